/*
 * The stack graph (suites/graph.h): selection of what stacks and suites
 * need, topological order (dependencies first, the file's order among free
 * stacks), dependents, levels, and a cycle in a hand-built config (the
 * loader rejects those, the graph must still not loop on one).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "suites/config.h"
#include "suites/graph.h"

/*
 *   base    storage
 *   /  \       |
 * data messaging|      tracing(base)
 *   \   /  \    |
 *   worker   api(data, messaging, storage)
 *      \     /
 *        ops
 */
static const char shop[] =
	"pool: {accounts: ['111111111111']}\n"
	"stacks:\n"
	"  - {name: ops, template: t.yaml, depends_on: [api, worker]}\n"
	"  - {name: api, template: t.yaml, depends_on: [data, messaging, storage]}\n"
	"  - {name: worker, template: t.yaml, depends_on: [messaging, data]}\n"
	"  - {name: data, template: t.yaml, depends_on: [base]}\n"
	"  - {name: messaging, template: t.yaml, depends_on: [base]}\n"
	"  - {name: storage, template: t.yaml}\n"
	"  - {name: base, template: t.yaml}\n"
	"  - {name: tracing, command: 'true', depends_on: [base]}\n"
	"suites:\n"
	"  - {name: orders, command: 'true', stacks: [api]}\n"
	"  - {name: stock, command: 'true', stacks: [data]}\n"
	"  - {name: lint, command: 'true'}\n";

static tp_config *load(const char *yaml)
{
	tp_config *c = NULL;

	if (tp_config_parse(&c, "tidepool.yaml", yaml, strlen(yaml)) < 0)
		fail_msg("%s", tp_error_last()->msg);
	return c;
}

static size_t at(const tp_stack_graph *g, const char *name)
{
	size_t i = tp_stack_graph_find(g, name);

	if (i == (size_t)-1)
		fail_msg("stack %s is not in the graph", name);
	return i;
}

/* Every dependency comes before its dependents, and the lists agree. */
static void assert_topological(const tp_stack_graph *g)
{
	size_t i, j, k, n, m;

	for (i = 0; i < tp_stack_graph_count(g); i++) {
		const size_t *deps = tp_stack_graph_deps(g, i, &n);

		for (j = 0; j < n; j++) {
			const size_t *users = tp_stack_graph_dependents(g, deps[j], &m);
			int found = 0;

			assert_true(deps[j] < i);
			assert_true(tp_stack_graph_level(g, deps[j]) < tp_stack_graph_level(g, i));
			for (k = 0; k < m; k++)
				found |= users[k] == i;
			assert_true(found);
			if (j > 0)
				assert_true(deps[j - 1] < deps[j]);
		}
	}
}

static void test_graph__all_stacks_in_order(void **state)
{
	tp_config *c = load(shop);
	tp_stack_graph *g = NULL;
	static const char *const want[] = {
		"storage", "base", "data", "messaging", "api", "worker", "ops", "tracing",
	};
	size_t i;

	(void)state;
	assert_int_equal(tp_stack_graph_for_stacks(&g, c, NULL, 0), 0);
	assert_int_equal(tp_stack_graph_count(g), 8);
	for (i = 0; i < 8; i++)
		assert_string_equal(tp_stack_graph_stack(g, i)->name, want[i]);
	assert_topological(g);
	assert_int_equal(tp_stack_graph_depth(g), 3);
	assert_int_equal(tp_stack_graph_level(g, at(g, "ops")), 3);
	assert_int_equal(tp_stack_graph_level(g, at(g, "api")), 2);
	assert_int_equal(tp_stack_graph_level(g, at(g, "storage")), 0);
	tp_stack_graph_free(g);
	tp_config_free(c);
}

static void test_graph__dependents(void **state)
{
	tp_config *c = load(shop);
	tp_stack_graph *g = NULL;
	const size_t *v;
	size_t n;

	(void)state;
	assert_int_equal(tp_stack_graph_for_stacks(&g, c, NULL, 0), 0);
	v = tp_stack_graph_dependents(g, at(g, "base"), &n);
	assert_int_equal(n, 3);
	assert_int_equal(v[0], at(g, "data"));
	assert_int_equal(v[1], at(g, "messaging"));
	assert_int_equal(v[2], at(g, "tracing"));
	v = tp_stack_graph_deps(g, at(g, "api"), &n);
	assert_int_equal(n, 3);
	assert_int_equal(v[0], at(g, "storage"));
	tp_stack_graph_dependents(g, at(g, "ops"), &n);
	assert_int_equal(n, 0);
	tp_stack_graph_free(g);
	tp_config_free(c);
}

static void test_graph__selection_is_the_closure(void **state)
{
	tp_config *c = load(shop);
	tp_stack_graph *g = NULL;
	const char *want[] = { "worker" };

	(void)state;
	assert_int_equal(tp_stack_graph_for_stacks(&g, c, want, 1), 0);
	assert_int_equal(tp_stack_graph_count(g), 4);   /* worker, messaging, data, base */
	assert_true(tp_stack_graph_find(g, "api") == (size_t)-1);
	assert_true(tp_stack_graph_find(g, "storage") == (size_t)-1);
	assert_true(at(g, "base") < at(g, "data"));
	assert_topological(g);
	tp_stack_graph_free(g);
	tp_config_free(c);
}

static void test_graph__suites(void **state)
{
	tp_config *c = load(shop);
	tp_stack_graph *g = NULL;
	const char *both[] = { "stock", "orders" }, *lint[] = { "lint" }, *bad[] = { "nope" };

	(void)state;
	assert_int_equal(tp_stack_graph_for_suites(&g, c, both, 2), 0);
	assert_int_equal(tp_stack_graph_count(g), 5);   /* api, data, messaging, storage, base */
	assert_true(tp_stack_graph_find(g, "worker") == (size_t)-1);
	tp_stack_graph_free(g);
	assert_int_equal(tp_stack_graph_for_suites(&g, c, lint, 1), 0);
	assert_int_equal(tp_stack_graph_count(g), 0);
	assert_int_equal(tp_stack_graph_depth(g), 0);
	assert_true(tp_stack_graph_find(g, "base") == (size_t)-1);
	tp_stack_graph_free(g);
	assert_int_equal(tp_stack_graph_for_suites(&g, c, bad, 1), TP_EINVAL);
	assert_null(g);
	assert_string_equal(tp_error_last()->msg, "unknown suite 'nope'");
	tp_config_free(c);
}

static void test_graph__unknown_stack_suggests(void **state)
{
	tp_config *c = load(shop);
	tp_stack_graph *g = (tp_stack_graph *)1;
	const char *want[] = { "base", "wroker" };

	(void)state;
	assert_int_equal(tp_stack_graph_for_stacks(&g, c, want, 2), TP_EINVAL);
	assert_null(g);
	assert_string_equal(tp_error_last()->msg,
			    "unknown stack 'wroker' (did you mean 'worker'?)");
	tp_config_free(c);
}

/* The file's order decides among independent stacks, whatever the selection order. */
static void test_graph__order_is_stable(void **state)
{
	tp_config *c = load(shop);
	tp_stack_graph *a = NULL, *b = NULL;
	const char *x[] = { "ops", "tracing" }, *y[] = { "tracing", "ops", "base" };
	size_t i;

	(void)state;
	assert_int_equal(tp_stack_graph_for_stacks(&a, c, x, 2), 0);
	assert_int_equal(tp_stack_graph_for_stacks(&b, c, y, 3), 0);
	assert_int_equal(tp_stack_graph_count(a), tp_stack_graph_count(b));
	for (i = 0; i < tp_stack_graph_count(a); i++)
		assert_ptr_equal(tp_stack_graph_stack(a, i), tp_stack_graph_stack(b, i));
	tp_stack_graph_free(a);
	tp_stack_graph_free(b);
	tp_config_free(c);
}

static void test_graph__duplicate_dependency_counts_once(void **state)
{
	tp_config *c = load("pool: {accounts: ['111111111111']}\n"
			    "stacks:\n"
			    "  - {name: a, template: t.yaml}\n"
			    "  - {name: b, template: t.yaml, depends_on: [a]}\n");
	tp_stack_graph *g = NULL;
	char *twice[] = { "a", "a" };   /* the loader refuses this; a hand-built config may not */
	tp_config_list saved = c->stacks[1].depends_on;
	size_t n;

	(void)state;
	c->stacks[1].depends_on.items = twice;
	c->stacks[1].depends_on.n = 2;
	c->stacks[1].depends_on.marks = NULL;
	assert_int_equal(tp_stack_graph_for_stacks(&g, c, NULL, 0), 0);
	tp_stack_graph_deps(g, 1, &n);
	assert_int_equal(n, 1);
	tp_stack_graph_dependents(g, 0, &n);
	assert_int_equal(n, 1);
	tp_stack_graph_free(g);
	c->stacks[1].depends_on = saved;
	tp_config_free(c);
}

/* A config built by hand with a cycle the loader would have refused. */
static void test_graph__cycle_is_named_not_followed(void **state)
{
	tp_config *c = load("pool: {accounts: ['111111111111']}\n"
			    "stacks:\n"
			    "  - {name: root, template: t.yaml}\n"
			    "  - {name: x, template: t.yaml, depends_on: [root]}\n"
			    "  - {name: y, template: t.yaml, depends_on: [x]}\n"
			    "  - {name: z, template: t.yaml, depends_on: [y]}\n"
			    "  - {name: tail, template: t.yaml, depends_on: [z]}\n");
	tp_stack_graph *g = (tp_stack_graph *)1;
	tp_config_list *deps = &c->stacks[1].depends_on;    /* x: [root] -> [z] */
	char *old = deps->items[0];

	(void)state;
	deps->items[0] = "z";
	assert_int_equal(tp_stack_graph_for_stacks(&g, c, NULL, 0), TP_EINVAL);
	assert_null(g);
	assert_string_equal(tp_error_last()->msg,
			    "tidepool.yaml:4:5: stacks: depends_on cycle: x -> z -> y -> x");
	deps->items[0] = "x";    /* a self-loop */
	assert_int_equal(tp_stack_graph_for_stacks(&g, c, NULL, 0), TP_EINVAL);
	assert_string_equal(tp_error_last()->msg,
			    "tidepool.yaml:4:5: stacks: depends_on cycle: x -> x");
	deps->items[0] = old;
	tp_config_free(c);
}

/* A long chain: ordered without recursion, depth counted in edges. */
static void test_graph__long_chain(void **state)
{
	tp_config c;
	tp_config_stack *s;
	tp_stack_graph *g = NULL;
	char **names;
	size_t i, n = 20000;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.path = "hand.yaml";
	s = tp_xcalloc(n, sizeof(*s));
	names = tp_xcalloc(n, sizeof(*names));
	for (i = 0; i < n; i++) {
		names[i] = tp_xasprintf("s%zu", i);
		s[i].name = names[i];
	}
	for (i = 0; i + 1 < n; i++) {   /* s_i depends on s_{i+1}: against the file's order */
		s[i].depends_on.items = tp_xcalloc(1, sizeof(char *));
		s[i].depends_on.items[0] = names[i + 1];
		s[i].depends_on.n = 1;
	}
	c.stacks = s;
	c.n_stacks = n;
	assert_int_equal(tp_stack_graph_for_stacks(&g, &c, NULL, 0), 0);
	assert_int_equal(tp_stack_graph_depth(g), n - 1);
	assert_string_equal(tp_stack_graph_stack(g, 0)->name, "s19999");
	assert_string_equal(tp_stack_graph_stack(g, n - 1)->name, "s0");
	tp_stack_graph_free(g);
	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			free(s[i].depends_on.items);
		free(names[i]);
	}
	free(names);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_graph__all_stacks_in_order),
		cmocka_unit_test(test_graph__dependents),
		cmocka_unit_test(test_graph__selection_is_the_closure),
		cmocka_unit_test(test_graph__suites),
		cmocka_unit_test(test_graph__unknown_stack_suggests),
		cmocka_unit_test(test_graph__order_is_stable),
		cmocka_unit_test(test_graph__duplicate_dependency_counts_once),
		cmocka_unit_test(test_graph__cycle_is_named_not_followed),
		cmocka_unit_test(test_graph__long_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
