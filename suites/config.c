/*
 * Entry points of the tidepool.yaml loader: read the file (bounded), parse
 * it into a YAML tree (yaml_tree.c), decode the sections (config_*.c),
 * check cross-references, and free the result.
 */
#include "suites/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"
#include "suites/config_internal.h"
#include "suites/yaml_tree.h"

/* The directory part of `path`, made absolute when it exists. */
static char *project_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *real;

	if (!slash)
		dir = tp_xstrdup(".");
	else
		dir = tp_xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
	real = realpath(dir, NULL);
	if (!real)
		return dir;
	free(dir);
	return real;
}

int tp_config_parse(tp_config **out, const char *name, const char *data, size_t len)
{
	tp_config *c = tp_xcalloc(1, sizeof(*c));
	tp_cfg_ctx ctx = { c, name, TP_BUF_INIT };
	tp_ynode *root = NULL;
	int rc = -1;

	*out = NULL;
	c->path = tp_xstrdup(name);
	c->dir = project_dir(name);
	if (tp_ytree_parse(&root, name, data, len) < 0 ||
	    tp_cfg_decode_root(&ctx, root) < 0 || tp_cfg_check_refs(&ctx) < 0)
		goto done;
	*out = c;
	c = NULL;
	rc = 0;
done:
	tp_buf_release(&ctx.path);
	tp_ytree_free(root);
	tp_config_free(c);
	return rc;
}

#define READ_CHUNK 65536

/* Read until EOF or just past TP_CONFIG_MAX_BYTES (so "too large" is known). */
static int read_bounded(const char *path, tp_buf *b)
{
	char chunk[READ_CHUNK];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0) {
		tp_error_set(TP_EINVAL, "%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && b->len <= TP_CONFIG_MAX_BYTES &&
	       (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno != EINTR)
			rc = tp_error_set(TP_EINVAL, "%s: cannot read: %s", path, strerror(errno));
		else if (n > 0)
			tp_buf_add(b, chunk, (size_t)n);
	}
	close(fd);
	return rc;
}

int tp_config_load(tp_config **out, const char *path)
{
	tp_buf b = TP_BUF_INIT;
	int rc;

	*out = NULL;
	tp_buf_init(&b, TP_CONFIG_MAX_BYTES + READ_CHUNK);
	rc = read_bounded(path, &b);
	if (rc == 0) /* refuses more than TP_CONFIG_MAX_BYTES */
		rc = tp_config_parse(out, path, tp_buf_cstr(&b), b.len);
	tp_buf_release(&b);
	return rc < 0 ? -1 : 0;
}

/* DIR/tidepool.yaml, else DIR/tidepool.yml when only that exists, else NULL. */
static char *config_in(const char *dir)
{
	static const char *const names[] = { "tidepool.yaml", "tidepool.yml" };
	const char *sep = tp_ends_with(dir, "/") ? "" : "/";
	struct stat st;
	size_t i;

	for (i = 0; i < TP_ARRAY_SIZE(names); i++) {
		char *path = tp_xasprintf("%s%s%s", dir, sep, names[i]);

		if (stat(path, &st) == 0 || errno != ENOENT)
			return path;
		free(path);
	}
	return NULL;
}

int tp_config_load_dir(tp_config **out, const char *dir)
{
	char *path = config_in(dir);
	int rc;

	*out = NULL;
	if (!path) {
		tp_error_set(TP_EINVAL, "%s: no tidepool.yaml (or tidepool.yml) in this directory",
			     dir);
		return -1;
	}
	rc = tp_config_load(out, path);
	free(path);
	return rc;
}

static void stack_release(tp_config_stack *s)
{
	size_t i;

	free(s->name);
	free(s->template);
	free(s->template_path);
	free(s->command);
	tp_cfg_map_release(&s->parameters);
	tp_cfg_list_release(&s->capabilities);
	tp_cfg_map_release(&s->tags);
	for (i = 0; s->watch_paths && i < s->watch.n; i++)
		free(s->watch_paths[i]);
	free(s->watch_paths);
	tp_cfg_list_release(&s->watch);
	tp_cfg_list_release(&s->depends_on);
}

static void suite_release(tp_config_suite *s)
{
	free(s->name);
	free(s->command);
	tp_cfg_list_release(&s->stacks);
	tp_cfg_list_release(&s->tags);
	tp_cfg_map_release(&s->env);
}

static void cleaner_release(tp_config_cleaner *cl)
{
	size_t i;

	for (i = 0; i < cl->n_protect; i++)
		tp_cfg_protect_release(&cl->protect[i]);
	free(cl->protect);
	tp_cfg_list_release(&cl->include);
	tp_cfg_list_release(&cl->exclude);
}

static void pool_release(tp_config_pool *p)
{
	free(p->store);
	free(p->store_target);
	free(p->role);
	tp_cfg_list_release(&p->accounts);
	free(p->organizational_unit);
	tp_cfg_list_release(&p->blocklist);
}

void tp_config_free(tp_config *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_stacks; i++)
		stack_release(&c->stacks[i]);
	free(c->stacks);
	for (i = 0; i < c->n_suites; i++)
		suite_release(&c->suites[i]);
	free(c->suites);
	cleaner_release(&c->cleaner);
	pool_release(&c->pool);
	tp_cfg_list_release(&c->regions);
	free(c->project);
	free(c->dir);
	free(c->path);
	free(c);
}

const tp_config_stack *tp_config_find_stack(const tp_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_stacks; i++)
		if (!strcmp(c->stacks[i].name, name))
			return &c->stacks[i];
	return NULL;
}

const tp_config_suite *tp_config_find_suite(const tp_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_suites; i++)
		if (!strcmp(c->suites[i].name, name))
			return &c->suites[i];
	return NULL;
}
