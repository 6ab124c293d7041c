#include "suites/yaml_tree.h"

#include <stdint.h>
#include <string.h>

#include <yaml.h>

#include "aws/error.h"
#include "aws/util.h"

/* The collections being filled, innermost last. */
typedef struct builder {
	const char *name;
	tp_ynode *root;
	tp_ynode *open[TP_YTREE_MAX_DEPTH];
	size_t depth;
	size_t nodes;
	int documents;
} builder;

static int fail(const builder *b, yaml_mark_t m, const char *what)
{
	return tp_error_set(TP_EINVAL, "%s:%zu:%zu: %s", b->name, m.line + 1,
			    m.column + 1, what);
}

static int is_null_text(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	       !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static tp_ynode *new_node(tp_ynode_kind kind, yaml_mark_t m)
{
	tp_ynode *n = tp_xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = m.line + 1 > UINT32_MAX ? UINT32_MAX : (unsigned)(m.line + 1);
	n->column = m.column + 1 > UINT32_MAX ? UINT32_MAX : (unsigned)(m.column + 1);
	return n;
}

static tp_ynode *new_scalar(const yaml_event_t *ev)
{
	tp_ynode *n = new_node(TP_YNODE_SCALAR, ev->start_mark);

	n->len = ev->data.scalar.length;
	n->text = tp_xmalloc(n->len + 1);
	memcpy(n->text, ev->data.scalar.value, n->len);
	n->text[n->len] = '\0';
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && is_null_text(n->text))
		n->kind = TP_YNODE_NULL;
	return n;
}

static void append(tp_ynode *parent, tp_ynode *kid)
{
	if (parent->n == parent->alloc) {
		parent->alloc = parent->alloc ? 2 * parent->alloc : 4;
		parent->kids = tp_xrealloc(parent->kids, parent->alloc * sizeof(*parent->kids));
	}
	parent->kids[parent->n++] = kid;
}

/* Hang a new node under the innermost open collection (or make it the root). */
static int add(builder *b, const yaml_event_t *ev, tp_ynode_kind kind)
{
	tp_ynode *n;

	if (++b->nodes > TP_YTREE_MAX_NODES)
		return fail(b, ev->start_mark, "too many YAML nodes (the limit is 100000)");
	if (kind != TP_YNODE_SCALAR && b->depth == TP_YTREE_MAX_DEPTH)
		return fail(b, ev->start_mark, "YAML nested too deeply (the limit is 64 levels)");
	n = kind == TP_YNODE_SCALAR ? new_scalar(ev) : new_node(kind, ev->start_mark);
	if (b->depth)
		append(b->open[b->depth - 1], n);
	else
		b->root = n;
	if (kind != TP_YNODE_SCALAR)
		b->open[b->depth++] = n;
	return 0;
}

static int on_event(builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->documents > 1)
			return fail(b, ev->start_mark,
				    "more than one YAML document (tidepool.yaml holds one)");
		return 0;
	case YAML_ALIAS_EVENT:
		return fail(b, ev->start_mark, "YAML aliases (*name) are not supported");
	case YAML_SCALAR_EVENT:
		return add(b, ev, TP_YNODE_SCALAR);
	case YAML_SEQUENCE_START_EVENT:
		return add(b, ev, TP_YNODE_SEQ);
	case YAML_MAPPING_START_EVENT:
		return add(b, ev, TP_YNODE_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		b->depth--;
		return 0;
	default:
		return 0;
	}
}

/* Reader errors (bad UTF-8) carry a byte offset, not a mark. */
static yaml_mark_t offset_mark(const char *data, size_t offset)
{
	yaml_mark_t m = { offset, 0, 0 };
	size_t i;

	for (i = 0; i < offset; i++) {
		m.column++;
		if (data[i] == '\n') {
			m.line++;
			m.column = 0;
		}
	}
	return m;
}

static int syntax_error(const builder *b, const yaml_parser_t *p, const char *data)
{
	char what[512];

	if (p->error == YAML_MEMORY_ERROR)
		return tp_error_set(TP_EINVAL, "%s: out of memory parsing YAML", b->name);
	if (p->error == YAML_READER_ERROR) {
		snprintf(what, sizeof(what), "invalid YAML: %s", p->problem);
		return fail(b, offset_mark(data, p->problem_offset), what);
	}
	if (p->context)
		snprintf(what, sizeof(what), "invalid YAML: %s (%s at line %zu, column %zu)",
			 p->problem, p->context, p->context_mark.line + 1,
			 p->context_mark.column + 1);
	else
		snprintf(what, sizeof(what), "invalid YAML: %s", p->problem);
	return fail(b, p->problem_mark, what);
}

static int run_parser(builder *b, yaml_parser_t *p, const char *data)
{
	yaml_event_t ev;
	int rc = 0, end = 0;

	while (!end && rc == 0) {
		if (!yaml_parser_parse(p, &ev))
			return syntax_error(b, p, data);
		end = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(b, &ev);
		yaml_event_delete(&ev);
	}
	return rc;
}

int tp_ytree_parse(tp_ynode **root, const char *name, const char *data, size_t len)
{
	static const yaml_mark_t start = { 0, 0, 0 };
	builder b = { .name = name };
	yaml_parser_t p;
	int rc;

	*root = NULL;
	if (len > TP_YTREE_MAX_BYTES)
		return fail(&b, start, "file too large (the limit is 4 MiB)");
	if (!yaml_parser_initialize(&p))
		return tp_error_set(TP_EINVAL, "%s: out of memory parsing YAML", name);
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	rc = run_parser(&b, &p, data);
	yaml_parser_delete(&p);
	if (rc < 0) {
		tp_ytree_free(b.root);
		return rc;
	}
	*root = b.root ? b.root : new_node(TP_YNODE_NULL, start);
	return 0;
}

void tp_ytree_free(tp_ynode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++)
		tp_ytree_free(n->kids[i]);
	free(n->kids);
	free(n->text);
	free(n);
}

const char *tp_ynode_kind_name(const tp_ynode *n)
{
	switch (n->kind) {
	case TP_YNODE_SCALAR:
		return "a string";
	case TP_YNODE_SEQ:
		return "a list";
	case TP_YNODE_MAP:
		return "a map";
	default:
		return "null";
	}
}
