/*
 * The cleaner's readers of response fields (cleaner/fields.h): times as
 * JSON numbers (seconds, milliseconds), ISO 8601 strings (with Lambda's
 * "+0000"), and what is no time at all. Numbers too large for a date were
 * converted to time_t unchecked (undefined behaviour, found by fuzz_json).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "cleaner/fields.h"

static void test_fields__jtime(void **state)
{
	static const struct {
		const char *json;
		time_t want;
	} cases[] = {
		{ "{\"t\": 1700000000}", 1700000000 },
		{ "{\"t\": 1700000000.75}", 1700000000 },
		{ "{\"t\": 1700000000000}", 1700000000 },           /* milliseconds */
		{ "{\"t\": \"2023-11-14T22:13:20Z\"}", 1700000000 },
		{ "{\"t\": \"2023-11-14T22:13:20.000+0000\"}", 1700000000 },   /* Lambda */
		{ "{\"t\": \"2023-11-15T00:13:20+02:00\"}", 1700000000 },
		{ "{\"t\": 0}", 0 },
		{ "{\"t\": -5}", 0 },
		{ "{\"t\": 1e300}", 0 },                            /* no date, no UB */
		{ "{\"t\": -1e300}", 0 },
		{ "{\"t\": 9.3e21}", 0 },                           /* ms beyond time_t */
		{ "{\"t\": 253402300800000}", 0 },                  /* ms of year 10000 */
		{ "{\"t\": 253402300799000}", 253402300799 },       /* the last second of 9999 */
		{ "{\"t\": \"soon\"}", 0 },
		{ "{\"t\": \"2023-11-14T22:13:20+2:0\"}", 0 },
		{ "{\"t\": true}", 0 },
		{ "{}", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *o = json_loads(cases[i].json, 0, NULL);

		assert_non_null(o);
		if (tp_jtime(o, "t") != cases[i].want)
			fail_msg("%s: got %lld, want %lld", cases[i].json,
				 (long long)tp_jtime(o, "t"), (long long)cases[i].want);
		json_decref(o);
	}
}

static void test_fields__jstr_and_jbool(void **state)
{
	json_t *o = json_loads("{\"s\": \"x\", \"n\": 1, \"b\": true, \"f\": false}", 0, NULL);

	(void)state;
	assert_string_equal(tp_jstr(o, "s"), "x");
	assert_null(tp_jstr(o, "n"));
	assert_null(tp_jstr(o, "missing"));
	assert_null(tp_jstr(NULL, "s"));
	assert_int_equal(tp_jbool(o, "b"), 1);
	assert_int_equal(tp_jbool(o, "f"), 0);
	assert_int_equal(tp_jbool(o, "s"), 0);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields__jtime),
		cmocka_unit_test(test_fields__jstr_and_jbool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
