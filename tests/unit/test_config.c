/*
 * tidepool.yaml loader (suites/config.h): the corpus of invalid files under
 * tests/config/invalid (each NAME.yaml with its exact message in
 * NAME.expected), the valid files under tests/config/valid, and inline
 * documents for defaults, durations, ${VAR} expansion and the limits.
 *
 * The tests run from the source tree (TP_SOURCE_DIR) so that messages name
 * files as "tests/config/invalid/NAME.yaml", as the .expected files do.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"
#include "suites/config.h"
#include "suites/regex_guard.h"
#include "suites/suggest.h"
#include "tests/support/testutil.h"

#define INVALID_DIR "tests/config/invalid"
#define VALID_DIR "tests/config/valid"

static const char *source_dir(void)
{
	const char *env = getenv("TP_SOURCE_DIR");

	return env && *env ? env : TP_SOURCE_DIR;
}

static int group_setup(void **state)
{
	(void)state;
	unsetenv("TIDEPOOL_TEST_UNSET_VAR");
	setenv("TP_CFG_TEST_PROJECT", "envproj", 1);
	setenv("TP_CFG_TEST_ACCOUNT", "123456789012", 1);
	setenv("TP_CFG_TEST_TTL", "45m", 1);
	unsetenv("TP_CFG_TEST_REGION");
	unsetenv("TP_CFG_TEST_UNSET_DIR");
	unsetenv("TP_CFG_TEST_RETRIES");
	return 0;
}

static tp_config *load_ok(const char *path)
{
	tp_config *c = NULL;

	if (tp_config_load(&c, path) < 0)
		fail_msg("%s: %s", path, tp_error_last()->msg);
	return c;
}

static tp_config *parse_ok(const char *yaml)
{
	tp_config *c = NULL;

	if (tp_config_parse(&c, "inline.yaml", yaml, strlen(yaml)) < 0)
		fail_msg("%s", tp_error_last()->msg);
	return c;
}

/* Parse a document that must fail; returns the message (static storage). */
static const char *parse_err(const char *yaml, size_t len)
{
	tp_config *c = (tp_config *)1;

	assert_int_equal(tp_config_parse(&c, "inline.yaml", yaml, len), -1);
	assert_null(c);
	assert_int_equal(tp_error_last()->code, TP_EINVAL);
	return tp_error_last()->msg;
}

static char *realpath_of(const char *rel)
{
	char *p = realpath(rel, NULL);

	assert_non_null(p);
	return p;
}

/* ---- the invalid corpus --------------------------------------------- */

static int is_yaml(const struct dirent *e)
{
	return tp_ends_with(e->d_name, ".yaml");
}

static char *expected_message(const char *yaml_path)
{
	char *path = tp_xasprintf("%.*s.expected", (int)(strlen(yaml_path) - 5), yaml_path);
	char *text = NULL;
	size_t len = 0;

	if (tp_read_file(path, &text, &len) < 0)
		fail_msg("%s has no .expected file", yaml_path);
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	free(path);
	return text;
}

/* 1 when loading `path` fails with exactly the message in its .expected file. */
static int check_invalid(const char *path)
{
	char *want = expected_message(path);
	tp_config *c = (tp_config *)1;
	int rc = tp_config_load(&c, path), ok;

	ok = rc == -1 && !c && tp_error_last()->code == TP_EINVAL &&
	     !strcmp(tp_error_last()->msg, want);
	if (!ok)
		print_error("%s\n  expected: %s\n  got:      %s\n", path, want,
			    rc == 0 ? "(loaded without error)" : tp_error_last()->msg);
	if (rc == 0)
		tp_config_free(c);
	free(want);
	return ok;
}

/* One test per corpus file; state is the path of the .yaml. */
static void test_config__invalid_case(void **state)
{
	assert_true(check_invalid(*state));
}

static int is_expected(const struct dirent *e)
{
	return tp_ends_with(e->d_name, ".expected");
}

/* A stray .expected (its .yaml renamed or deleted) would silently test nothing. */
static void test_config__invalid_corpus_is_paired(void **state)
{
	struct dirent **list = NULL;
	int n, i;

	(void)state;
	n = scandir(INVALID_DIR, &list, is_expected, alphasort);
	assert_true(n >= 40);
	for (i = 0; i < n; i++) {
		char *yaml = tp_xasprintf("%s/%.*s.yaml", INVALID_DIR,
					  (int)(strlen(list[i]->d_name) - 9), list[i]->d_name);

		if (access(yaml, R_OK) < 0)
			fail_msg("%s has no .yaml file", list[i]->d_name);
		free(yaml);
		free(list[i]);
	}
	free(list);
}

/* ---- valid files ------------------------------------------------------ */

static void test_config__valid_files_load(void **state)
{
	struct dirent **list = NULL;
	int n, i;

	(void)state;
	n = scandir(VALID_DIR, &list, is_yaml, alphasort);
	assert_true(n >= 4);
	for (i = 0; i < n; i++) {
		char *path = tp_xasprintf("%s/%s", VALID_DIR, list[i]->d_name);

		tp_config_free(load_ok(path));
		free(path);
		free(list[i]);
	}
	free(list);
}

static void assert_list(const tp_config_list *l, const char *const *want, size_t n)
{
	size_t i;

	assert_int_equal(l->n, n);
	for (i = 0; i < n; i++)
		assert_string_equal(l->items[i], want[i]);
}

static void check_full_pool(const tp_config *c)
{
	static const char *const accounts[] = { "111111111111", "222222222222" };
	static const char *const blocklist[] = { "999999999999" };

	assert_string_equal(c->pool.store, "sqlite:.tidepool/pool.db");
	assert_int_equal(c->pool.store_kind, TP_CONFIG_STORE_SQLITE);
	assert_string_equal(c->pool.role, "OrganizationAccountAccessRole");
	assert_list(&c->pool.accounts, accounts, 2);
	assert_null(c->pool.organizational_unit);
	assert_int_equal(c->pool.lease_ttl, 7200);
	assert_list(&c->pool.blocklist, blocklist, 1);
	assert_int_equal(c->pool.accounts.marks[1].line, 8);
	assert_int_equal(c->pool.accounts.marks[1].column, 30);
}

static void check_full_stacks(const tp_config *c)
{
	static const char *const caps[] = { "CAPABILITY_NAMED_IAM" };
	static const char *const watch[] = { "services/tracing", "serverless.yml" };
	static const char *const deps[] = { "common" };
	const tp_config_stack *s = c->stacks;

	assert_int_equal(c->n_stacks, 3);
	assert_string_equal(s[0].name, "common");
	assert_string_equal(s[0].template, "stacks/common.yaml");
	assert_null(s[0].command);
	assert_list(&s[0].capabilities, caps, 1);
	assert_int_equal(s[0].tags.n, 2);
	assert_string_equal(s[0].tags.items[1].key, "cost-center");
	assert_string_equal(s[0].tags.items[1].value, "42");
	assert_int_equal(s[0].depends_on.n, 0);
	assert_list(&s[1].depends_on, deps, 1);
	assert_null(s[2].template);
	assert_null(s[2].template_path);
	assert_string_equal(s[2].command, "npx serverless deploy --stage test");
	assert_list(&s[2].watch, watch, 2);
	assert_int_equal(s[2].mark.line, 20);
	assert_int_equal(s[2].mark.column, 5);
}

/* Parameters keep the file's order, and non-string scalars keep their text. */
static void check_full_parameters(const tp_config *c)
{
	static const char *const keys[] = { "Stage", "Replicas", "Debug", "Empty" };
	static const char *const values[] = { "test", "3", "true", "" };
	const tp_config_map *p = &c->stacks[0].parameters;
	size_t i;

	assert_int_equal(p->n, 4);
	for (i = 0; i < 4; i++) {
		assert_string_equal(p->items[i].key, keys[i]);
		assert_string_equal(p->items[i].value, values[i]);
		assert_int_equal(p->items[i].mark.line, 14);
	}
}

static void check_full_suites(const tp_config *c)
{
	static const char *const stacks[] = { "tracing", "api" };
	const tp_config_suite *s = c->suites;

	assert_int_equal(c->n_suites, 2);
	assert_string_equal(s[0].name, "orders");
	assert_string_equal(s[0].command, "pytest tests/orders --junitxml=$TIDEPOOL_JUNIT");
	assert_int_equal(s[0].timeout, 900);
	assert_int_equal(s[0].retries, 1);
	assert_string_equal(s[0].tags.items[0], "smoke");
	assert_int_equal(s[0].env.n, 2);
	assert_string_equal(s[0].env.items[1].key, "PRICE");
	assert_string_equal(s[0].env.items[1].value, "$5");
	assert_int_equal(s[0].mark.line, 25);
	assert_string_equal(s[1].name, "tracing-e2e");
	assert_int_equal(s[1].timeout, 1800);
	assert_int_equal(s[1].retries, 0);
	assert_list(&s[1].stacks, stacks, 2);
}

static void check_full_cleaner(const tp_config *c)
{
	const tp_config_cleaner *cl = &c->cleaner;
	const tp_config_protect *p = cl->protect;

	assert_int_equal(cl->mode, TP_CONFIG_CLEAN_KEEP_STACKS);
	assert_int_equal(cl->n_protect, 6);
	assert_string_equal(p[0].type, "IAMRole");
	assert_int_equal(p[0].match, TP_CONFIG_MATCH_EXACT);
	assert_string_equal(p[1].tag_key, "keep");
	assert_string_equal(p[1].tag_value, "true");
	assert_null(p[1].type);
	assert_int_equal(p[2].match, TP_CONFIG_MATCH_GLOB);
	assert_int_equal(p[2].has_name_re, 0);
	assert_int_equal(p[3].match, TP_CONFIG_MATCH_REGEX);
	assert_true(p[3].has_arn_re);
	assert_int_equal(regexec(&p[3].arn_re, "arn:aws:lambda:eu-west-1:111111111111:function:ops-x",
				 0, NULL, 0), 0);
	assert_int_not_equal(regexec(&p[3].arn_re, "arn:aws:lambda:eu-west-1:1:function:app",
				     0, NULL, 0), 0);
	assert_string_equal(p[4].tag_value, "team-*");
	assert_int_equal(p[4].created_after, 1706659200); /* 2024-01-31T00:00:00Z */
	assert_int_equal(p[5].created_after, 1706788800); /* 2024-02-01T12:00:00Z */
	assert_true(p[5].invert);
	assert_int_equal(p[5].type_mark.line, 46);
	assert_int_equal(cl->exclude.n, 1);
	assert_string_equal(cl->exclude.items[0], "IAMUser");
	assert_int_equal(cl->include.n, 0);
	assert_false(cl->allow_prod_alias);
}

static void test_config__full_example(void **state)
{
	static const char *const regions[] = { "us-east-1", "eu-west-1" };
	tp_config *c = load_ok(VALID_DIR "/full.yaml");

	(void)state;
	assert_string_equal(c->path, VALID_DIR "/full.yaml");
	assert_string_equal(c->project, "shop");
	assert_list(&c->regions, regions, 2);
	check_full_pool(c);
	check_full_stacks(c);
	check_full_parameters(c);
	check_full_suites(c);
	check_full_cleaner(c);
	tp_config_free(c);
}

static void test_config__defaults(void **state)
{
	tp_config *c = load_ok(VALID_DIR "/minimal.yaml");
	char *dir = realpath_of(VALID_DIR), *db = tp_xasprintf("%s/.tidepool/pool.db", dir);

	(void)state;
	assert_string_equal(c->dir, dir);
	assert_string_equal(c->project, "valid");
	assert_int_equal(c->regions.n, 1);
	assert_string_equal(c->regions.items[0], "us-east-1");
	assert_string_equal(c->pool.store, "sqlite:.tidepool/pool.db");
	assert_string_equal(c->pool.store_target, db);
	assert_string_equal(c->pool.role, "OrganizationAccountAccessRole");
	assert_int_equal(c->pool.lease_ttl, 2 * 3600);
	assert_int_equal(c->pool.accounts.n, 0);
	assert_int_equal(c->n_stacks, 0);
	assert_int_equal(c->n_suites, 0);
	assert_int_equal(c->cleaner.mode, TP_CONFIG_CLEAN_KEEP_STACKS);
	assert_int_equal(c->cleaner.n_protect, 0);
	assert_false(c->cleaner.allow_prod_alias);
	free(db);
	free(dir);
	tp_config_free(c);
}

static void test_config__ou_and_dynamodb(void **state)
{
	tp_config *c = load_ok(VALID_DIR "/ou.yaml");

	(void)state;
	assert_int_equal(c->pool.store_kind, TP_CONFIG_STORE_DYNAMODB);
	assert_string_equal(c->pool.store_target, "tidepool-leases");
	assert_string_equal(c->pool.organizational_unit, "ou-ab12-cd34ef56");
	assert_string_equal(c->pool.role, "SandboxAdmin");
	assert_int_equal(c->pool.lease_ttl, 90 * 60);
	assert_int_equal(c->cleaner.mode, TP_CONFIG_CLEAN_FULL);
	assert_int_equal(c->cleaner.include.n, 2);
	assert_true(c->cleaner.allow_prod_alias);
	tp_config_free(c);
}

static void test_config__durations(void **state)
{
	static const struct { const char *text; long seconds; } ok[] = {
		{ "90s", 90 }, { "15m", 900 }, { "2h", 7200 }, { "3d", 259200 }, { "45", 45 },
		{ "'1h'", 3600 },
	};
	static const char *const bad[] = { "2w", "-1m", "1.5h", "h", "0m", "''", "[1h]" };
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(ok); i++) {
		char *yaml = tp_xasprintf("pool: {lease_ttl: %s}\n", ok[i].text);
		tp_config *c = parse_ok(yaml);

		assert_int_equal(c->pool.lease_ttl, ok[i].seconds);
		tp_config_free(c);
		free(yaml);
	}
	for (i = 0; i < TP_ARRAY_SIZE(bad); i++) {
		char *yaml = tp_xasprintf("pool: {lease_ttl: %s}\n", bad[i]);

		assert_true(tp_starts_with(parse_err(yaml, strlen(yaml)),
					   "inline.yaml:1:19: pool.lease_ttl: "));
		free(yaml);
	}
}

static void test_config__env_expansion(void **state)
{
	tp_config *c;

	(void)state;
	c = load_ok(VALID_DIR "/env.yaml");
	assert_string_equal(c->project, "envproj");
	assert_string_equal(c->regions.items[0], "ap-southeast-2");
	assert_string_equal(c->pool.store_target, "/var/lib/tidepool/pool.db");
	assert_string_equal(c->pool.accounts.items[0], "123456789012");
	assert_int_equal(c->pool.lease_ttl, 45 * 60);
	assert_string_equal(c->suites[0].command, "echo $HOME is $HOME and envproj");
	assert_int_equal(c->suites[0].timeout, 3 * 86400);
	assert_int_equal(c->suites[0].retries, 2);
	tp_config_free(c);

	setenv("TP_CFG_TEST_REGION", "eu-north-1", 1);
	setenv("TP_CFG_TEST_RETRIES", "", 1); /* empty takes the default too */
	c = load_ok(VALID_DIR "/env.yaml");
	assert_string_equal(c->regions.items[0], "eu-north-1");
	assert_int_equal(c->suites[0].retries, 2);
	tp_config_free(c);
	unsetenv("TP_CFG_TEST_REGION");
	unsetenv("TP_CFG_TEST_RETRIES");
}

static void test_config__env_errors(void **state)
{
	(void)state;
	unsetenv("TP_CFG_TEST_NOPE");
	assert_string_equal(parse_err("pool: {role: \"x${TP_CFG_TEST_NOPE}y\"}", 37),
			    "inline.yaml:1:14: pool.role: environment variable 'TP_CFG_TEST_NOPE' "
			    "is not set (write ${TP_CFG_TEST_NOPE:-default} for a default)");
	assert_string_equal(parse_err("pool: {role: '${A-B}'}", 22),
			    "inline.yaml:1:14: pool.role: invalid variable reference '${A-B}' "
			    "(expected ${NAME} or ${NAME:-default})");
	/* keys are not expanded: ${X} as a key is just an unknown key */
	assert_true(tp_starts_with(parse_err("pool:\n  ${X}: 1\n", 16),
				   "inline.yaml:2:3: pool: unknown key '${X}'"));
}

static void test_config__paths_resolved(void **state)
{
	tp_config *c = load_ok(VALID_DIR "/full.yaml");
	char *dir = realpath_of(VALID_DIR);
	char *tpl = tp_xasprintf("%s/stacks/api.yaml", dir);
	char *watch = tp_xasprintf("%s/serverless.yml", dir);

	(void)state;
	assert_string_equal(c->dir, dir);
	assert_string_equal(c->stacks[1].template, "stacks/api.yaml");
	assert_string_equal(c->stacks[1].template_path, tpl);
	assert_string_equal(c->stacks[2].watch.items[1], "serverless.yml");
	assert_string_equal(c->stacks[2].watch_paths[1], watch);
	free(watch);
	free(tpl);
	free(dir);
	tp_config_free(c);

	c = parse_ok("pool: {store: 'sqlite:/tmp/x.db'}\nstacks:\n"
		     "  - {name: abs, template: /srv/t.yaml, watch: [/srv/w]}\n");
	assert_string_equal(c->pool.store_target, "/tmp/x.db");
	assert_string_equal(c->stacks[0].template_path, "/srv/t.yaml");
	assert_string_equal(c->stacks[0].watch_paths[0], "/srv/w");
	tp_config_free(c);
}

static void test_config__load_dir(void **state)
{
	tp_config *c = NULL;
	char *tmp = tp_test_tmpdir("config");

	(void)state;
	assert_int_equal(tp_config_load_dir(&c, VALID_DIR "/yml_dir/"), 0);
	assert_string_equal(c->project, "yml");
	assert_string_equal(c->path, VALID_DIR "/yml_dir/tidepool.yml");
	tp_config_free(c);

	free(tp_test_write_file(tmp, "tidepool.yaml", "project: yaml\npool: {}\n"));
	free(tp_test_write_file(tmp, "tidepool.yml", "project: yml\npool: {}\n"));
	assert_int_equal(tp_config_load_dir(&c, tmp), 0);
	assert_string_equal(c->project, "yaml"); /* .yaml wins over .yml */
	tp_config_free(c);

	c = (tp_config *)1;
	assert_int_equal(tp_config_load_dir(&c, INVALID_DIR), -1);
	assert_null(c);
	assert_string_equal(tp_error_last()->msg, INVALID_DIR ": no tidepool.yaml "
			    "(or tidepool.yml) in this directory");
	tp_test_rmtree(tmp);
	free(tmp);
}

static void test_config__load_missing_file(void **state)
{
	tp_config *c = (tp_config *)1;

	(void)state;
	assert_int_equal(tp_config_load(&c, "tests/config/nope.yaml"), -1);
	assert_null(c);
	assert_int_equal(tp_error_last()->code, TP_EINVAL);
	assert_string_equal(tp_error_last()->msg,
			    "tests/config/nope.yaml: cannot read: No such file or directory");
}

static void test_config__find(void **state)
{
	tp_config *c = load_ok(VALID_DIR "/full.yaml");

	(void)state;
	assert_ptr_equal(tp_config_find_stack(c, "api"), &c->stacks[1]);
	assert_null(tp_config_find_stack(c, "API"));
	assert_ptr_equal(tp_config_find_suite(c, "tracing-e2e"), &c->suites[1]);
	assert_null(tp_config_find_suite(c, "tracing"));
	tp_config_free(c);
	tp_config_free(NULL);
}

static const char *const registry[] = { "IAMRole", "IAMUser", "S3Bucket", "LambdaFunction" };

static int registry_has(const char *type)
{
	size_t i;

	for (i = 0; i < TP_ARRAY_SIZE(registry); i++)
		if (!strcmp(registry[i], type))
			return 1;
	return 0;
}

static void test_config__validate_types(void **state)
{
	tp_config *c = load_ok(VALID_DIR "/full.yaml");

	(void)state;
	/* DynamoDBTable (protect[5]) is not in this registry */
	assert_int_equal(tp_config_validate_types(c, registry_has, registry, 4), -1);
	assert_string_equal(tp_error_last()->msg, VALID_DIR "/full.yaml:46:14: "
			    "cleaner.protect[5].type: unknown resource type 'DynamoDBTable'");
	tp_config_free(c);

	c = parse_ok("pool: {}\ncleaner:\n  protect: [{type: S3Bucket}]\n"
		     "  resource_types: {exclude: [IAMRole, S3Buckt]}\n");
	assert_int_equal(tp_config_validate_types(c, NULL, registry, 4), -1);
	assert_string_equal(tp_error_last()->msg, "inline.yaml:4:39: "
			    "cleaner.resource_types.exclude: unknown resource type 'S3Buckt' "
			    "(did you mean 'S3Bucket'?)");
	tp_config_free(c);

	c = load_ok(VALID_DIR "/ou.yaml");
	assert_int_equal(tp_config_validate_types(c, registry_has, registry, 4), 0);
	tp_config_free(c);
}

static void test_config__suggest(void **state)
{
	static const struct { const char *a, *b; size_t d; } dist[] = {
		{ "comon", "common", 1 }, { "regoins", "regions", 1 }, { "Name", "name", 0 },
		{ "retry", "retries", 3 }, { "", "abc", 3 }, { "kitten", "sitting", 3 },
	};
	tp_suggest s;
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(dist); i++)
		assert_int_equal(tp_suggest_distance(dist[i].a, dist[i].b), dist[i].d);
	tp_suggest_init(&s, "timout");
	tp_suggest_add(&s, "retries");
	tp_suggest_add(&s, "timeout");
	assert_string_equal(tp_suggest_best(&s), "timeout");
	tp_suggest_init(&s, "xyz");
	tp_suggest_add(&s, "tags");
	assert_null(tp_suggest_best(&s));
}

/* ---- limits: what the fuzzer would otherwise find --------------------- */

/* glibc regcomp copies E for E+ and E{n,m}: nesting multiplies, sequence adds. */
static void test_config__regex_guard(void **state)
{
	static const char *const ok[] = {
		"audit-.*", "^arn:aws:s3:::[a-z0-9.-]{3,63}$", "a+b+c+d+e+f+g+h+i+j+k+l+m+",
		"[[:alpha:]]{1000}", "(a*)*b", "[\\1]x", "((a{1,5}){1,5}){1,5}",
	};
	static const char *const refused[] = {
		"a++++++++++++++++++++++++++++++", "((a{99}){99})", "(((a{21}){21}){21})",
		"((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)", "(a)\\1", "a{99999}",
		"audit-.**", "x?+", "a{2}{3}", "(a{,250}){250}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(ok); i++)
		if (tp_regex_hazard(ok[i]))
			fail_msg("'%s' refused: %s", ok[i], tp_regex_hazard(ok[i]));
	for (i = 0; i < TP_ARRAY_SIZE(refused); i++)
		if (!tp_regex_hazard(refused[i]))
			fail_msg("'%s' accepted (cost %zu)", refused[i], tp_regex_cost(refused[i]));
}

static void test_config__too_large(void **state)
{
	size_t len = TP_CONFIG_MAX_BYTES + 1;
	char *big = tp_xmalloc(len);

	(void)state;
	memset(big, '#', len);
	assert_string_equal(parse_err(big, len),
			    "inline.yaml:1:1: file too large (the limit is 4 MiB)");
	free(big);
}

static void test_config__too_many_nodes(void **state)
{
	tp_buf b = TP_BUF_INIT;
	size_t i;

	(void)state;
	tp_buf_adds(&b, "pool: {}\nx: [");
	for (i = 0; i < 100000; i++)
		tp_buf_adds(&b, "1,");
	tp_buf_adds(&b, "1]\n");
	assert_true(tp_starts_with(parse_err(b.ptr, b.len), "inline.yaml:2:"));
	assert_true(tp_ends_with(tp_error_last()->msg,
				 ": too many YAML nodes (the limit is 100000)"));
	tp_buf_release(&b);
}

/* A long depends_on chain closing on itself: found iteratively, named in full. */
static void test_config__long_cycle(void **state)
{
	tp_buf b = TP_BUF_INIT;
	size_t i, n = 10000; /* 9 nodes each, under the node limit */

	(void)state;
	tp_buf_adds(&b, "pool: {}\nstacks:\n");
	for (i = 0; i < n; i++)
		tp_buf_addf(&b, "- {name: s%zu, template: t, depends_on: [s%zu]}\n", i,
			    (i + 1) % n);
	assert_true(tp_starts_with(parse_err(b.ptr, b.len),
				   "inline.yaml:3:3: stacks: depends_on cycle: s0 -> s1 -> s2 -> "));
	tp_buf_release(&b);
}

/* Duplicate detection must not be quadratic: 40000 keys, the duplicate last. */
static void test_config__big_map_duplicate(void **state)
{
	tp_buf b = TP_BUF_INIT;
	size_t i;

	(void)state;
	tp_buf_adds(&b, "pool: {}\nstacks:\n- name: a\n  template: t\n  tags:\n");
	for (i = 0; i < 40000; i++)
		tp_buf_addf(&b, "    k%zu: v\n", i);
	tp_buf_adds(&b, "    k7: again\n");
	assert_string_equal(parse_err(b.ptr, b.len), "inline.yaml:40006:5: stacks[0].tags: "
			    "duplicate key 'k7' (first at line 13)");
	tp_buf_release(&b);
}

static void test_config__nul_bytes(void **state)
{
	static const char doc[] = "pool: {role: \"a\\0b\"}\n";

	(void)state;
	assert_string_equal(parse_err(doc, sizeof(doc) - 1),
			    "inline.yaml:1:14: pool.role: must not contain NUL bytes");
	assert_true(tp_starts_with(parse_err("pool: {}\0x", 10), "inline.yaml:1:9: invalid YAML"));
}

static const struct CMUnitTest fixed_tests[] = {
	cmocka_unit_test(test_config__invalid_corpus_is_paired),
	cmocka_unit_test(test_config__valid_files_load),
	cmocka_unit_test(test_config__full_example),
	cmocka_unit_test(test_config__defaults),
	cmocka_unit_test(test_config__ou_and_dynamodb),
	cmocka_unit_test(test_config__durations),
	cmocka_unit_test(test_config__env_expansion),
	cmocka_unit_test(test_config__env_errors),
	cmocka_unit_test(test_config__paths_resolved),
	cmocka_unit_test(test_config__load_dir),
	cmocka_unit_test(test_config__load_missing_file),
	cmocka_unit_test(test_config__find),
	cmocka_unit_test(test_config__validate_types),
	cmocka_unit_test(test_config__suggest),
	cmocka_unit_test(test_config__regex_guard),
	cmocka_unit_test(test_config__too_large),
	cmocka_unit_test(test_config__too_many_nodes),
	cmocka_unit_test(test_config__long_cycle),
	cmocka_unit_test(test_config__big_map_duplicate),
	cmocka_unit_test(test_config__nul_bytes),
};

/* The fixed tests, then test_config__invalid_<case> for every corpus file. */
int main(void)
{
	size_t n_fixed = TP_ARRAY_SIZE(fixed_tests), n = n_fixed, i;
	struct dirent **list = NULL;
	struct CMUnitTest *tests;
	int n_files, rc;

	if (chdir(source_dir()) < 0 ||
	    (n_files = scandir(INVALID_DIR, &list, is_yaml, alphasort)) < 0) {
		fprintf(stderr, "test_config: no %s/%s\n", source_dir(), INVALID_DIR);
		return 1;
	}
	tests = tp_xcalloc(n_fixed + (size_t)n_files, sizeof(*tests));
	memcpy(tests, fixed_tests, sizeof(fixed_tests));
	for (i = 0; i < (size_t)n_files; i++, n++) {
		const char *name = list[i]->d_name;
		size_t base = strlen(name) - strlen(".yaml");

		tests[n].name = tp_xasprintf("test_config__invalid_%.*s", (int)base, name);
		tests[n].test_func = test_config__invalid_case;
		tests[n].initial_state = tp_xasprintf("%s/%s", INVALID_DIR, name);
		free(list[i]);
	}
	free(list);
	rc = _cmocka_run_group_tests("config", tests, n, group_setup, NULL);
	for (i = n_fixed; i < n; i++) {
		free((char *)tests[i].name);
		free(tests[i].initial_state);
	}
	free(tests);
	return rc;
}
