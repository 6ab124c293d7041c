/* The README's configuration example is a valid tidepool.yaml. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/error.h"
#include "aws/util.h"
#include "suites/config.h"
#include "tests/support/testutil.h"

static void test_readme__configuration_example_loads(void **state)
{
	char *path = tp_test_source_path("README.md"), *text = NULL;
	const char *start, *end;
	tp_config *c = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(tp_read_file(path, &text, &len), 0);
	start = strstr(text, "```yaml\nproject:");
	assert_non_null(start);
	start += strlen("```yaml\n");
	end = strstr(start, "```");
	assert_non_null(end);
	if (tp_config_parse(&c, "README.md", start, (size_t)(end - start)) < 0)
		fail_msg("README's example: %s", tp_error_last()->msg);
	assert_string_equal(c->project, "shop");
	assert_int_equal(c->n_stacks, 3);
	assert_int_equal(c->n_suites, 1);
	assert_true(c->cleaner.n_protect >= 3);
	tp_config_free(c);
	free(text);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme__configuration_example_loads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
