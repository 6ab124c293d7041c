/*
 * Which suites a run runs: --suite globs (any of them), --tag (any of
 * them), both narrowing together, then --shard I/N balanced by expected
 * duration (tp_sched_shard). A --suite or --tag that matches no suite of
 * the project is an error of its own, with a suggestion, so a typo never
 * silently runs nothing.
 */
#include <fnmatch.h>
#include <string.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"
#include "runner/run.h"
#include "runner/sched.h"
#include "suites/suggest.h"

static int glob_matches(const char *glob, const char *name)
{
	return fnmatch(glob, name, 0) == 0;
}

static int has_tag(const tp_config_suite *s, const char *tag)
{
	size_t i;

	for (i = 0; i < s->tags.n; i++)
		if (strcmp(s->tags.items[i], tag) == 0)
			return 1;
	return 0;
}

static int unknown_suite(const tp_config *c, const char *glob)
{
	tp_suggest sg;
	size_t i;

	tp_suggest_init(&sg, glob);
	for (i = 0; i < c->n_suites; i++)
		tp_suggest_add(&sg, c->suites[i].name);
	if (tp_suggest_best(&sg))
		return tp_error_set(TP_EINVAL, "--suite '%s' matches no suite of %s (did you mean '%s'?)",
				    glob, c->path, tp_suggest_best(&sg));
	return tp_error_set(TP_EINVAL, "--suite '%s' matches no suite of %s", glob, c->path);
}

static int unknown_tag(const tp_config *c, const char *tag)
{
	tp_suggest sg;
	size_t i, j;

	tp_suggest_init(&sg, tag);
	for (i = 0; i < c->n_suites; i++)
		for (j = 0; j < c->suites[i].tags.n; j++)
			tp_suggest_add(&sg, c->suites[i].tags.items[j]);
	if (tp_suggest_best(&sg))
		return tp_error_set(TP_EINVAL, "--tag '%s': no suite of %s has it (did you mean '%s'?)",
				    tag, c->path, tp_suggest_best(&sg));
	return tp_error_set(TP_EINVAL, "--tag '%s': no suite of %s has it", tag, c->path);
}

/* Every --suite and --tag must match some suite of the project. */
static int check_filters(const tp_run_opts *o)
{
	const tp_config *c = o->config;
	size_t i, j;

	for (i = 0; i < o->n_suites; i++) {
		for (j = 0; j < c->n_suites && !glob_matches(o->suites[i], c->suites[j].name); j++)
			;
		if (j == c->n_suites)
			return unknown_suite(c, o->suites[i]);
	}
	for (i = 0; i < o->n_tags; i++) {
		for (j = 0; j < c->n_suites && !has_tag(&c->suites[j], o->tags[i]); j++)
			;
		if (j == c->n_suites)
			return unknown_tag(c, o->tags[i]);
	}
	return 0;
}

static int wanted(const tp_run_opts *o, const tp_config_suite *s)
{
	size_t i;
	int by_name = o->n_suites == 0, by_tag = o->n_tags == 0;

	for (i = 0; i < o->n_suites && !by_name; i++)
		by_name = glob_matches(o->suites[i], s->name);
	for (i = 0; i < o->n_tags && !by_tag; i++)
		by_tag = has_tag(s, o->tags[i]);
	return by_name && by_tag;
}

static int none_selected(const tp_run_opts *o)
{
	tp_buf b = TP_BUF_INIT;
	size_t i;
	int rc;

	if (o->config->n_suites == 0) {
		rc = tp_error_set(TP_EINVAL, "%s defines no suites: add a `suites:` section",
				  o->config->path);
		return rc;
	}
	for (i = 0; i < o->n_suites; i++)
		tp_buf_addf(&b, " --suite %s", o->suites[i]);
	for (i = 0; i < o->n_tags; i++)
		tp_buf_addf(&b, " --tag %s", o->tags[i]);
	rc = tp_error_set(TP_EINVAL, "no suite of %s matches all of%s", o->config->path,
			  tp_buf_cstr(&b));
	tp_buf_release(&b);
	return rc;
}

/* Keep the suites of shard I/N among `idx`. */
static void shard(int *idx, size_t *n, const tp_run_opts *o, const int64_t *expected_ms)
{
	const char **names = tp_xcalloc(*n ? *n : 1, sizeof(*names));
	int64_t *ms = tp_xcalloc(*n ? *n : 1, sizeof(*ms));
	int *in = tp_xcalloc(*n ? *n : 1, sizeof(*in));
	size_t i, k = 0;

	for (i = 0; i < *n; i++) {
		names[i] = o->config->suites[idx[i]].name;
		ms[i] = expected_ms ? expected_ms[idx[i]] : 0;
	}
	tp_sched_shard(names, ms, *n, o->shard_index - 1, o->shard_count, in);
	for (i = 0; i < *n; i++)
		if (in[i])
			idx[k++] = idx[i];
	*n = k;
	free(names);
	free(ms);
	free(in);
}

int tp_run_select(int **idx, size_t *n, const tp_run_opts *o, const int64_t *expected_ms)
{
	const tp_config *c = o->config;
	size_t i;

	*idx = NULL;
	*n = 0;
	if (check_filters(o) < 0)
		return TP_EINVAL;
	*idx = tp_xcalloc(c->n_suites ? c->n_suites : 1, sizeof(**idx));
	for (i = 0; i < c->n_suites; i++)
		if (wanted(o, &c->suites[i]))
			(*idx)[(*n)++] = (int)i;
	if (*n == 0) {
		free(*idx);
		*idx = NULL;
		return none_selected(o);
	}
	if (o->shard_count > 0)
		shard(*idx, n, o, expected_ms);
	return 0;
}
