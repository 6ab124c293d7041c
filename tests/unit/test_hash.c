/*
 * Stack content hashes (suites/hash.h): a pinned value (so a change of the
 * format cannot go unnoticed), stability across the
 * order of files, map keys and lists, a change for every input, framing
 * against concatenation, the recursion through watched directories
 * (symlinks not followed, VCS and bytecode caches skipped), and errors
 * naming where tidepool.yaml wrote the path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/error.h"
#include "aws/util.h"
#include "suites/config.h"
#include "suites/hash.h"
#include "tests/support/testutil.h"

static char *dir;

static int setup(void **state)
{
	(void)state;
	dir = tp_test_tmpdir("hash");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tp_test_rmtree(dir);
	free(dir);
	return 0;
}

static void put(const char *name, const char *data)
{
	free(tp_test_write_file(dir, name, data));
}

/* Hash of stack `idx` of DIR/tidepool.yaml written as `yaml`. */
static void hash_of(char out[TP_STACK_HASH_HEX], const char *yaml, size_t idx)
{
	tp_config *c = NULL;

	put("tidepool.yaml", yaml);
	if (tp_config_load_dir(&c, dir) < 0)
		fail_msg("%s", tp_error_last()->msg);
	if (tp_stack_hash(out, c, &c->stacks[idx], NULL, 0) < 0)
		fail_msg("%s", tp_error_last()->msg);
	tp_config_free(c);
}

#define POOL "pool: {accounts: ['111111111111']}\n"

static const char base_yaml[] =
	POOL
	"stacks:\n"
	"  - name: api\n"
	"    template: t.yaml\n"
	"    parameters: {Stage: test, Size: '3'}\n"
	"    capabilities: [CAPABILITY_NAMED_IAM, CAPABILITY_IAM]\n"
	"    tags: {team: shop, cost: ci}\n"
	"    watch: [src]\n";

static void write_base_tree(void)
{
	put("t.yaml", "Resources: {}\n");
	put("src/handler.py", "def handler(e, c):\n    return 1\n");
	put("src/lib/util.py", "X = 1\n");
}

/*
 * Pinned. Computed independently of suites/hash.c, with Python:
 *   fr = lambda t, n: t.encode() + struct.pack(">Q", n)
 *   f = lambda t, b: fr(t, len(b)) + b
 *   V "tidepool-stack-hash/1", T template, P 2 (k, v sorted), A 2 (a sorted),
 *   G 2 (k, v sorted), W 2 (f path, b bytes sorted by path); sha256().hexdigest()
 */
static void test_hash__pinned_value(void **state)
{
	char h[TP_STACK_HASH_HEX];

	(void)state;
	write_base_tree();
	hash_of(h, base_yaml, 0);
	assert_string_equal(h, "b80da75444d1a36c5a54e29bc283ad3091e4be73ac555f24c93e5ce4053dcae7");
}

static void test_hash__same_inputs_same_hash(void **state)
{
	char a[TP_STACK_HASH_HEX], b[TP_STACK_HASH_HEX];

	(void)state;
	write_base_tree();
	hash_of(a, base_yaml, 0);
	hash_of(b, base_yaml, 0);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 64);
	assert_int_equal(strspn(a, "0123456789abcdef"), 64);
}

/* Files created in the opposite order (so readdir lists them differently). */
static void test_hash__file_order_does_not_matter(void **state)
{
	char a[TP_STACK_HASH_HEX], b[TP_STACK_HASH_HEX];
	static const char *const names[] = { "src/a", "src/b/c", "src/b/a", "src/z", "src/m" };
	size_t i;

	(void)state;
	put("t.yaml", "Resources: {}\n");
	for (i = 0; i < TP_ARRAY_SIZE(names); i++)
		put(names[i], names[i]);
	hash_of(a, base_yaml, 0);
	tp_test_rmtree(dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	put("t.yaml", "Resources: {}\n");
	for (i = TP_ARRAY_SIZE(names); i-- > 0;)
		put(names[i], names[i]);
	hash_of(b, base_yaml, 0);
	assert_string_equal(a, b);
}

/* Map keys, capabilities and watch entries in another order: the same hash. */
static void test_hash__written_order_does_not_matter(void **state)
{
	char a[TP_STACK_HASH_HEX], b[TP_STACK_HASH_HEX];

	(void)state;
	write_base_tree();
	put("other/x", "x");
	hash_of(a, POOL "stacks:\n  - name: api\n    template: t.yaml\n"
		"    parameters: {Stage: test, Size: '3'}\n"
		"    capabilities: [CAPABILITY_NAMED_IAM, CAPABILITY_IAM]\n"
		"    tags: {team: shop, cost: ci}\n    watch: [src, other]\n", 0);
	hash_of(b, POOL "stacks:\n  - name: api\n    template: t.yaml\n"
		"    tags: {cost: ci, team: shop}\n"
		"    capabilities: [CAPABILITY_IAM, CAPABILITY_NAMED_IAM]\n"
		"    parameters: {Size: '3', Stage: test}\n    watch: [./other/, src]\n", 0);
	assert_string_equal(a, b);
}

/* The name, depends_on and the project are not content. */
static void test_hash__name_and_dependencies_are_not_content(void **state)
{
	char a[TP_STACK_HASH_HEX], b[TP_STACK_HASH_HEX];

	(void)state;
	write_base_tree();
	hash_of(a, base_yaml, 0);
	hash_of(b, "project: other\n" POOL "stacks:\n  - {name: base, template: t.yaml}\n"
		"  - name: renamed\n    template: t.yaml\n"
		"    parameters: {Stage: test, Size: '3'}\n"
		"    capabilities: [CAPABILITY_NAMED_IAM, CAPABILITY_IAM]\n"
		"    tags: {team: shop, cost: ci}\n    watch: [src]\n    depends_on: [base]\n", 1);
	assert_string_equal(a, b);
}

/* One variation of the base project per row: each must change the hash. */
typedef struct variation {
	const char *what;
	const char *yaml;          /* NULL = base_yaml */
	const char *file, *data;   /* a file to write first (NULL = none) */
	const char *remove;        /* a file to remove first */
} variation;

static const variation variations[] = {
	{ "template byte", NULL, "t.yaml", "Resources: {} \n", NULL },
	{ "parameter value", POOL "stacks:\n  - {name: api, template: t.yaml, "
	  "parameters: {Stage: prod, Size: '3'}, capabilities: [CAPABILITY_NAMED_IAM, "
	  "CAPABILITY_IAM], tags: {team: shop, cost: ci}, watch: [src]}\n", NULL, NULL, NULL },
	{ "parameter name", POOL "stacks:\n  - {name: api, template: t.yaml, "
	  "parameters: {Stag: test, Size: '3'}, capabilities: [CAPABILITY_NAMED_IAM, "
	  "CAPABILITY_IAM], tags: {team: shop, cost: ci}, watch: [src]}\n", NULL, NULL, NULL },
	{ "one parameter fewer", POOL "stacks:\n  - {name: api, template: t.yaml, "
	  "parameters: {Stage: test}, capabilities: [CAPABILITY_NAMED_IAM, "
	  "CAPABILITY_IAM], tags: {team: shop, cost: ci}, watch: [src]}\n", NULL, NULL, NULL },
	{ "capability", POOL "stacks:\n  - {name: api, template: t.yaml, "
	  "parameters: {Stage: test, Size: '3'}, capabilities: [CAPABILITY_NAMED_IAM], "
	  "tags: {team: shop, cost: ci}, watch: [src]}\n", NULL, NULL, NULL },
	{ "tag value", POOL "stacks:\n  - {name: api, template: t.yaml, "
	  "parameters: {Stage: test, Size: '3'}, capabilities: [CAPABILITY_NAMED_IAM, "
	  "CAPABILITY_IAM], tags: {team: shop, cost: cd}, watch: [src]}\n", NULL, NULL, NULL },
	{ "no watch", POOL "stacks:\n  - {name: api, template: t.yaml, "
	  "parameters: {Stage: test, Size: '3'}, capabilities: [CAPABILITY_NAMED_IAM, "
	  "CAPABILITY_IAM], tags: {team: shop, cost: ci}}\n", NULL, NULL, NULL },
	{ "watched file bytes", NULL, "src/handler.py", "def handler(e, c):\n    return 2\n", NULL },
	{ "file deep in a watched dir", NULL, "src/lib/util.py", "X = 2\n", NULL },
	{ "new file in a watched subdir", NULL, "src/lib/new/more.py", "", NULL },
	{ "watched file removed", NULL, NULL, NULL, "src/lib/util.py" },
	{ "empty file added", NULL, "src/empty", "", NULL },
};

static void test_hash__every_input_counts(void **state)
{
	char base[TP_STACK_HASH_HEX], h[TP_STACK_HASH_HEX];
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(variations); i++) {
		const variation *v = &variations[i];

		tp_test_rmtree(dir);
		assert_int_equal(mkdir(dir, 0700), 0);
		write_base_tree();
		hash_of(base, base_yaml, 0);
		if (v->file)
			put(v->file, v->data);
		if (v->remove) {
			char *p = tp_xasprintf("%s/%s", dir, v->remove);

			assert_int_equal(unlink(p), 0);
			free(p);
		}
		hash_of(h, v->yaml ? v->yaml : base_yaml, 0);
		if (strcmp(base, h) == 0)
			fail_msg("changing the %s did not change the hash", v->what);
	}
}

/* A rename moves bytes between path and content: framing keeps them apart. */
static void test_hash__no_collision_by_concatenation(void **state)
{
	char a[TP_STACK_HASH_HEX], b[TP_STACK_HASH_HEX];

	(void)state;
	put("t.yaml", "x");
	hash_of(a, POOL "stacks:\n  - {name: s, template: t.yaml, parameters: {A: bc}}\n", 0);
	hash_of(b, POOL "stacks:\n  - {name: s, template: t.yaml, parameters: {Ab: c}}\n", 0);
	assert_string_not_equal(a, b);
	put("w/ab", "c");
	hash_of(a, POOL "stacks:\n  - {name: s, template: t.yaml, watch: [w]}\n", 0);
	tp_test_rmtree(dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	put("t.yaml", "x");
	put("w/a", "bc");
	hash_of(b, POOL "stacks:\n  - {name: s, template: t.yaml, watch: [w]}\n", 0);
	assert_string_not_equal(a, b);
}

static void test_hash__command_stack(void **state)
{
	char a[TP_STACK_HASH_HEX], b[TP_STACK_HASH_HEX], t[TP_STACK_HASH_HEX];

	(void)state;
	put("svc/app.js", "exports.x = 1;\n");
	put("deploy", "npx serverless deploy");
	hash_of(a, POOL "stacks:\n  - {name: s, command: 'npx serverless deploy', watch: [svc]}\n", 0);
	hash_of(b, POOL "stacks:\n  - {name: s, command: 'npx serverless deploy -v', watch: [svc]}\n", 0);
	assert_string_not_equal(a, b);
	/* a template with the command's text as its bytes is not the same stack */
	hash_of(t, POOL "stacks:\n  - {name: s, template: deploy, watch: [svc]}\n", 0);
	assert_string_not_equal(a, t);
	put("svc/app.js", "exports.x = 2;\n");
	hash_of(b, POOL "stacks:\n  - {name: s, command: 'npx serverless deploy', watch: [svc]}\n", 0);
	assert_string_not_equal(a, b);
}

/* Symlinks are hashed as their target text; .git and __pycache__ are skipped. */
static void test_hash__links_and_skipped_dirs(void **state)
{
	char a[TP_STACK_HASH_HEX], b[TP_STACK_HASH_HEX];
	static const char yaml[] = POOL "stacks:\n  - {name: s, command: deploy, watch: [src]}\n";
	char *link = tp_xasprintf("%s/src/current", dir);

	(void)state;
	put("src/main.c", "int main(void) { return 0; }\n");
	put("outside/big", "1");
	assert_int_equal(symlink("../outside", link), 0);
	hash_of(a, yaml, 0);
	put("outside/big", "2");                  /* behind the link: not followed */
	put("src/.git/HEAD", "ref: refs/heads/main\n");
	put("src/lib/__pycache__/m.cpython-311.pyc", "\x01\x02");
	hash_of(b, yaml, 0);
	assert_string_equal(a, b);
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink("../elsewhere", link), 0);   /* a dangling link is fine too */
	hash_of(b, yaml, 0);
	assert_string_not_equal(a, b);
	free(link);
}

static void test_hash__missing_watch_path_names_the_line(void **state)
{
	tp_config *c = NULL;
	char h[TP_STACK_HASH_HEX] = "unchanged";
	char *want;

	(void)state;
	put("tidepool.yaml", POOL "stacks:\n  - name: s\n    command: deploy\n"
	    "    watch:\n      - src\n      - nope/x\n");
	put("src/a", "a");
	assert_int_equal(tp_config_load_dir(&c, dir), 0);
	assert_int_equal(tp_stack_hash(h, c, &c->stacks[0], NULL, 0), TP_EINVAL);
	assert_string_equal(h, "unchanged");
	want = tp_xasprintf("%s:7:9: stacks[0].watch[1]: %s/nope/x: No such file or directory",
			    c->path, c->dir);
	assert_string_equal(tp_error_last()->msg, want);
	free(want);
	tp_config_free(c);
}

static void test_hash__missing_template(void **state)
{
	tp_config *c = NULL;
	char h[TP_STACK_HASH_HEX];

	(void)state;
	put("tidepool.yaml", POOL "stacks:\n  - {name: s, template: gone.yaml}\n");
	assert_int_equal(tp_config_load_dir(&c, dir), 0);
	assert_int_equal(tp_stack_hash(h, c, &c->stacks[0], NULL, 0), TP_EINVAL);
	assert_non_null(strstr(tp_error_last()->msg, ":3:5: stacks[0].template: cannot read "));
	assert_non_null(strstr(tp_error_last()->msg, "gone.yaml: No such file or directory"));
	/* bytes given by the caller are used instead of the file */
	assert_int_equal(tp_stack_hash(h, c, &c->stacks[0], "x", 1), 0);
	tp_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hash__pinned_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash__same_inputs_same_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash__file_order_does_not_matter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash__written_order_does_not_matter, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hash__name_and_dependencies_are_not_content,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash__every_input_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash__no_collision_by_concatenation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hash__command_stack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash__links_and_skipped_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash__missing_watch_path_names_the_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hash__missing_template, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
