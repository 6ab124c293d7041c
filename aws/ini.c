/*
 * The shared-file INI parser (see ini.h for the dialect). One pass over the
 * lines; each line is a comment, a continuation of the last value, a
 * section header or a key. Documents are small (a few profiles), so
 * sections and keys are plain arrays searched linearly.
 */
#include "aws/ini.h"

#include <ctype.h>
#include <string.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"

struct entry {
	char *key;
	tp_buf value;
	int line;
};

struct tp_ini_section {
	char *name;
	int line;
	struct entry *entries;
	size_t n, alloc;
};

struct tp_ini {
	tp_ini_section *sections;
	size_t n, alloc;
};

/* The parser's position: which value an indented line would continue. */
struct cursor {
	const char *name;
	int line;
	tp_ini_section *section;
	struct entry *entry;    /* NULL after a header: nothing to continue */
	size_t indent;          /* indentation of the entry's key line */
};

void tp_ini_free(tp_ini *ini)
{
	size_t i, j;

	if (!ini)
		return;
	for (i = 0; i < ini->n; i++) {
		tp_ini_section *s = &ini->sections[i];
		for (j = 0; j < s->n; j++) {
			free(s->entries[j].key);
			tp_buf_release(&s->entries[j].value);
		}
		free(s->entries);
		free(s->name);
	}
	free(ini->sections);
	free(ini);
}

static int syntax(const struct cursor *c, const char *what)
{
	return tp_error_set(TP_EINVAL, "%s:%d: %s", c->name, c->line, what);
}

static const char *trim(const char *s, const char *end, size_t *len)
{
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*len = (size_t)(end - s);
	return s;
}

static int header(tp_ini *ini, struct cursor *c, const char *s, size_t len)
{
	const char *close = NULL;
	const tp_ini_section *dup;
	tp_ini_section *sec;
	char *name;
	size_t i;

	for (i = 1; i < len; i++)
		if (s[i] == ']')
			close = s + i;
	if (!close || close == s + 1)
		return syntax(c, close ? "empty section name '[]'" : "expected ']' to end the section header");
	name = tp_xstrndup(s + 1, (size_t)(close - s - 1));
	dup = tp_ini_find(ini, name);
	if (dup) {
		tp_error_set(TP_EINVAL, "%s:%d: duplicate section [%s] (first at line %d)",
			     c->name, c->line, name, dup->line);
		free(name);
		return TP_EINVAL;
	}
	if (ini->n == ini->alloc) {
		ini->alloc = ini->alloc ? 2 * ini->alloc : 8;
		ini->sections = tp_xrealloc(ini->sections, ini->alloc * sizeof(*ini->sections));
	}
	sec = &ini->sections[ini->n++];
	memset(sec, 0, sizeof(*sec));
	sec->name = name;
	sec->line = c->line;
	c->section = sec;
	c->entry = NULL;
	return 0;
}

static struct entry *find_entry(const tp_ini_section *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->entries[i].key, key) == 0)
			return &s->entries[i];
	return NULL;
}

static int key_value(struct cursor *c, const char *s, size_t len, size_t indent)
{
	const char *delim = NULL, *k, *v;
	size_t klen, vlen, i;
	struct entry *e;
	char *key;

	if (!c->section)
		return syntax(c, "expected a [section] header before the first key");
	for (i = 0; i < len && !delim; i++)
		if (s[i] == '=' || s[i] == ':')
			delim = s + i;
	k = delim ? trim(s, delim, &klen) : NULL;
	if (!delim || klen == 0)
		return syntax(c, "expected 'key = value'");
	key = tp_xstrndup(k, klen);
	for (i = 0; key[i]; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	if ((e = find_entry(c->section, key)) != NULL) {
		tp_error_set(TP_EINVAL, "%s:%d: duplicate key '%s' in [%s] (first at line %d)",
			     c->name, c->line, key, c->section->name, e->line);
		free(key);
		return TP_EINVAL;
	}
	if (c->section->n == c->section->alloc) {
		c->section->alloc = c->section->alloc ? 2 * c->section->alloc : 8;
		c->section->entries = tp_xrealloc(c->section->entries,
						  c->section->alloc * sizeof(*e));
	}
	e = &c->section->entries[c->section->n++];
	e->key = key;
	e->line = c->line;
	tp_buf_init(&e->value, 0);
	v = trim(delim + 1, s + len, &vlen);
	tp_buf_add(&e->value, v, vlen);
	c->entry = e;
	c->indent = indent;
	return 0;
}

static int parse_line(tp_ini *ini, struct cursor *c, const char *line, const char *end)
{
	size_t indent = 0, len;
	const char *s;

	while (line + indent < end && (line[indent] == ' ' || line[indent] == '\t'))
		indent++;
	s = trim(line, end, &len);
	if (len == 0 || *s == '#' || *s == ';')
		return 0;
	if (c->entry && indent > c->indent) {
		tp_buf_addc(&c->entry->value, '\n');
		return tp_buf_add(&c->entry->value, s, len);
	}
	if (*s == '[')
		return header(ini, c, s, len);
	return key_value(c, s, len, indent);
}

int tp_ini_parse(tp_ini **out, const char *text, size_t len, const char *name)
{
	const char *p = text, *end = text + len, *eol;
	struct cursor c = { name, 0, NULL, NULL, 0 };
	tp_ini *ini = tp_xcalloc(1, sizeof(*ini));
	int rc = 0;

	*out = NULL;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;   /* a UTF-8 byte order mark, as some editors write */
	while (p < end && rc == 0) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		c.line++;
		if (memchr(p, '\0', (size_t)(eol - p)))
			rc = syntax(&c, "unexpected NUL byte");
		else
			rc = parse_line(ini, &c, p, eol);
		p = eol + 1;
	}
	if (rc < 0) {
		tp_ini_free(ini);
		return rc;
	}
	*out = ini;
	return 0;
}

int tp_ini_load(tp_ini **out, const char *path, const char *name)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = tp_read_file(path, &text, &len);
	if (rc == TP_ENOTFOUND) {
		tp_error_clear();
		*out = tp_xcalloc(1, sizeof(**out));
		return 0;
	}
	if (rc < 0)
		return rc;   /* "cannot read PATH: reason" */
	rc = tp_ini_parse(out, text, len, name);
	free(text);
	return rc;
}

size_t tp_ini_count(const tp_ini *ini)
{
	return ini ? ini->n : 0;
}

const tp_ini_section *tp_ini_at(const tp_ini *ini, size_t i)
{
	return ini && i < ini->n ? &ini->sections[i] : NULL;
}

const tp_ini_section *tp_ini_find(const tp_ini *ini, const char *name)
{
	size_t i;

	for (i = 0; ini && i < ini->n; i++)
		if (strcmp(ini->sections[i].name, name) == 0)
			return &ini->sections[i];
	return NULL;
}

const char *tp_ini_section_name(const tp_ini_section *s)
{
	return s->name;
}

const char *tp_ini_get(const tp_ini_section *s, const char *key)
{
	const struct entry *e = s ? find_entry(s, key) : NULL;

	return e ? tp_buf_cstr(&e->value) : NULL;
}
