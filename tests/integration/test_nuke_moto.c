/*
 * `tidepool nuke` end to end against moto (issue 5, must-show 1): the
 * populate script fills two regions of a member account (200+ resources,
 * 25+ types; managed and unmanaged stacks; resources the protect rules keep
 * by name glob, regex and tag), the inventory script lists the account
 * independently of tidepool before and after:
 *   - a dry run lists every resource and deletes nothing;
 *   - --no-dry-run --yes in full mode leaves exactly the protected ones
 *     (and the access role), in keep-stacks mode also the managed stacks
 *     and their resources, nothing else;
 *   - a second nuke finds nothing nukeable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "aws/buf.h"
#include "aws/local.h"
#include "aws/util.h"
#include "tests/support/moto.h"
#include "tests/support/testutil.h"

#define ROLE "OrganizationAccountAccessRole"

typedef struct fixture {
	tp_local *moto;
	const char *account;
	char *dir;
	char *env[12];
	json_t *pop;          /* populate.py's document */
} fixture;

static char *envf(const char *fmt, const char *v)
{
	return tp_xasprintf(fmt, v);
}

static void start(fixture *f)
{
	size_t n = 0;

	memset(f, 0, sizeof(*f));
	f->moto = tp_test_moto_start(0, 1);
	f->account = tp_local_account(f->moto, 0);
	f->dir = tp_test_tmpdir("nuke");
	f->env[n++] = envf("AWS_ENDPOINT_URL=%s", tp_local_endpoint(f->moto));
	f->env[n++] = envf("AWS_ACCESS_KEY_ID=%s", tp_local_access_key(f->moto));
	f->env[n++] = envf("AWS_SECRET_ACCESS_KEY=%s", tp_local_secret_key(f->moto));
	f->env[n++] = tp_xstrdup("AWS_SESSION_TOKEN=");
	f->env[n++] = tp_xstrdup("AWS_PROFILE=");
	f->env[n++] = tp_xstrdup("AWS_REGION=us-east-1");
	f->env[n++] = tp_xstrdup("AWS_DEFAULT_REGION=us-east-1");
	f->env[n++] = tp_xstrdup("AWS_CONFIG_FILE=/nonexistent/tidepool-test");
	f->env[n++] = tp_xstrdup("AWS_SHARED_CREDENTIALS_FILE=/nonexistent/tidepool-test");
	f->env[n] = NULL;
}

static void stop(fixture *f)
{
	size_t i;

	for (i = 0; f->env[i]; i++)
		free(f->env[i]);
	json_decref(f->pop);
	tp_local_stop(f->moto);
	tp_test_rmtree(f->dir);
	free(f->dir);
}

/* Run a script of tests/cleaner; its stdout (caller frees). */
static char *script(fixture *f, const char *name, const char *extra)
{
	char *path = tp_test_source_path(name), *out = NULL, *err = NULL;
	char *argv[] = { "python3", path, "--endpoint", (char *)tp_local_endpoint(f->moto),
			 "--account", (char *)f->account, "--regions", "us-east-1,eu-west-1",
			 (char *)extra, NULL };
	int rc;

	rc = tp_test_run(argv, f->env, &out, &err);
	if (rc != 0)
		fail_msg("%s exited %d:\n%s", name, rc, err);
	free(err);
	free(path);
	return out;
}

static void populate(fixture *f)
{
	char *out = script(f, "tests/cleaner/populate.py", NULL);
	json_error_t je;

	f->pop = json_loads(out, 0, &je);
	if (!f->pop)
		fail_msg("populate.py printed no JSON: %s", je.text);
	free(out);
	assert_true(json_integer_value(json_object_get(f->pop, "total")) >= 200);
	assert_true(json_object_size(json_object_get(f->pop, "counts")) >= 25);
}

/* tidepool.yaml: the pool is the member account, the rules are populate's. */
static void write_config(fixture *f, const char *mode)
{
	char *rules = json_dumps(json_object_get(f->pop, "rules"), JSON_COMPACT);
	char *yaml = tp_xasprintf("project: nuketest\nregions: [us-east-1, eu-west-1]\n"
				  "pool:\n  store: sqlite:pool.db\n  role: %s\n"
				  "  accounts: [\"%s\"]\n"
				  "cleaner:\n  mode: %s\n  protect: %s\n", ROLE, f->account, mode, rules);

	free(tp_test_write_file(f->dir, "tidepool.yaml", yaml));
	free(yaml);
	free(rules);
}

static int tidepool(fixture *f, const char *a1, const char *a2, const char *a3, char **out,
		    char **err)
{
	char *argv[] = { (char *)tp_test_tidepool_bin(), "nuke", "-C", f->dir, (char *)f->account,
			 (char *)a1, (char *)a2, (char *)a3, NULL };

	return tp_test_run(argv, f->env, out, err);
}

/* A growing list of "TYPE|REGION|ID" keys, joined sorted for comparison. */
typedef struct keys {
	char **k;
	size_t n;
} keys;

static void keys_add(keys *ks, json_t *o)
{
	ks->k = tp_xrealloc(ks->k, (ks->n + 1) * sizeof(*ks->k));
	ks->k[ks->n++] = tp_xasprintf("%s|%s|%s", json_string_value(json_object_get(o, "type")),
				      json_string_value(json_object_get(o, "region")),
				      json_string_value(json_object_get(o, "id")));
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keys sorted, one per line; frees them. */
static char *keys_join(keys *ks)
{
	tp_buf b = TP_BUF_INIT;
	size_t i;

	qsort(ks->k, ks->n, sizeof(*ks->k), by_str);
	for (i = 0; i < ks->n; i++) {
		tp_buf_addf(&b, "%s\n", ks->k[i]);
		free(ks->k[i]);
	}
	free(ks->k);
	return tp_buf_detach(&b);
}

/* Every resource the inventory lists (independently of tidepool). */
static char *inventory(fixture *f)
{
	char *out = script(f, "tests/cleaner/inventory.py", NULL), *line, *next;
	keys ks = { NULL, 0 };
	json_error_t je;

	for (line = out; line && *line; line = next) {
		json_t *o;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!*line)
			continue;
		o = json_loads(line, 0, &je);
		if (!o)
			fail_msg("inventory.py: bad line '%s'", line);
		keys_add(&ks, o);
		json_decref(o);
	}
	free(out);
	return keys_join(&ks);
}

/* What should be left: populate's protected resources (and, keeping
 * stacks, the managed ones), plus the access role. */
static char *expected(fixture *f, int keep_managed)
{
	json_t *res = json_object_get(f->pop, "resources"), *r;
	json_t *role = json_pack("{s:s, s:s, s:s}", "type", "IAMRole", "region", "global",
				 "id", ROLE);
	keys ks = { NULL, 0 };
	size_t i;

	json_array_foreach(res, i, r) {
		if (!json_is_null(json_object_get(r, "protected")) ||
		    (keep_managed && json_is_true(json_object_get(r, "managed"))))
			keys_add(&ks, r);
	}
	keys_add(&ks, role);
	json_decref(role);
	return keys_join(&ks);
}

static void assert_same(const char *what, const char *want, const char *got)
{
	if (strcmp(want, got) != 0)
		fail_msg("%s differs\n--- expected\n%s--- found\n%s", what, want, got);
}

/* "REGION - TYPE - ID - " of a populate resource. */
static char *line_of(json_t *r)
{
	return tp_xasprintf("%s - %s - %s - ", json_string_value(json_object_get(r, "region")),
			    json_string_value(json_object_get(r, "type")),
			    json_string_value(json_object_get(r, "id")));
}

static const char *rule_of(json_t *r)
{
	const char *kind = json_string_value(json_object_get(r, "protected"));

	if (!kind)
		return NULL;
	return strcmp(kind, "glob") == 0 ? "filtered: protected by cleaner.protect[0]" :
	       strcmp(kind, "regex") == 0 ? "filtered: protected by cleaner.protect[1]" :
					    "filtered: protected by cleaner.protect[2]";
}

/* Every populated resource has its line, with the state its protection implies. */
static void assert_every_line(fixture *f, const char *out)
{
	json_t *res = json_object_get(f->pop, "resources"), *r;
	size_t i;

	json_array_foreach(res, i, r) {
		char *line = line_of(r);
		const char *at = strstr(out, line), *want = rule_of(r);

		if (!at)
			fail_msg("no line '%s...' in the dry run", line);
		at += strlen(line);
		if (!tp_starts_with(at, want ? want : "would remove"))
			fail_msg("'%s' is '%.80s', expected '%s'", line, at,
				 want ? want : "would remove");
		free(line);
	}
}

static size_t summary_number(const char *out, const char *label)
{
	const char *at = strstr(out, label);

	if (!at)
		fail_msg("no '%s' in:\n%s", label, out);
	return strtoul(at + strlen(label), NULL, 10);
}

/* ---- tests --------------------------------------------------------------------- */

static void test_nuke__dry_run_lists_every_resource_and_deletes_nothing(void **state)
{
	fixture f;
	char *before, *after, *out = NULL, *err = NULL;
	json_t *doc;
	json_error_t je;
	size_t total;

	(void)state;
	start(&f);
	populate(&f);
	write_config(&f, "full");
	before = inventory(&f);
	assert_int_equal(tidepool(&f, NULL, NULL, NULL, &out, &err), 0);
	assert_every_line(&f, out);
	total = summary_number(out, "Scan complete: ");
	assert_true((json_int_t)total >= json_integer_value(json_object_get(f.pop, "total")));
	assert_non_null(strstr(out, "Provide --no-dry-run to actually destroy resources."));
	assert_null(strstr(out, " - removed"));
	after = inventory(&f);
	assert_same("the inventory after a dry run", before, after);
	free(out);
	free(err);
	/* The same as one JSON document. */
	assert_int_equal(tidepool(&f, "--json", NULL, NULL, &out, &err), 0);
	doc = json_loads(out, 0, &je);
	assert_non_null(doc);
	assert_true(json_is_true(json_object_get(doc, "dry_run")));
	assert_int_equal(json_array_size(json_object_get(json_array_get(
				 json_object_get(doc, "accounts"), 0), "resources")), total);
	json_decref(doc);
	free(out);
	free(err);
	free(before);
	free(after);
	stop(&f);
}

/* Nuke for real; what is left must be `want`; a second nuke finds nothing. */
static void nuke_leaves(fixture *f, const char *want)
{
	char *out = NULL, *err = NULL, *left;
	int rc;

	rc = tidepool(f, "--no-dry-run", "--yes", NULL, &out, &err);
	if (rc != 0)
		fail_msg("nuke exited %d:\n%s\n%s", rc, out, err);
	assert_int_equal(summary_number(out, "Nuke complete: "), 0);   /* 0 failed */
	free(out);
	free(err);
	left = inventory(f);
	assert_same("what the nuke left", want, left);
	free(left);
	assert_int_equal(tidepool(f, "--no-dry-run", "--yes", NULL, &out, &err), 0);
	if (!strstr(out, " 0 nukeable,"))
		fail_msg("the second nuke found something:\n%s", out);
	assert_non_null(strstr(out, "Nuke complete: 0 failed, "));
	free(out);
	free(err);
}

static void test_nuke__full_mode_leaves_exactly_the_protected(void **state)
{
	fixture f;
	char *want;

	(void)state;
	start(&f);
	populate(&f);
	write_config(&f, "full");
	want = expected(&f, 0);
	nuke_leaves(&f, want);
	free(want);
	stop(&f);
}

static void test_nuke__keep_stacks_mode_also_leaves_managed_stacks(void **state)
{
	fixture f;
	char *want;

	(void)state;
	start(&f);
	populate(&f);
	write_config(&f, "keep-stacks");
	want = expected(&f, 1);
	nuke_leaves(&f, want);
	free(want);
	stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nuke__dry_run_lists_every_resource_and_deletes_nothing),
		cmocka_unit_test(test_nuke__full_mode_leaves_exactly_the_protected),
		cmocka_unit_test(test_nuke__keep_stacks_mode_also_leaves_managed_stacks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
