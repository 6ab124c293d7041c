/*
 * aws/util.h: ISO 8601 times as AWS writes them. An offset shorter than
 * "+hh:mm" ("+1:1") was accepted by sscanf and then skipped as six bytes,
 * reading past the end of the string (found by fuzz_json / fuzz_xml).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/util.h"

static void test_util__parse_iso8601(void **state)
{
	static const struct {
		const char *text;
		int rc;
		time_t want;
	} cases[] = {
		{ "2023-11-14T22:13:20Z", 0, 1700000000 },
		{ "2023-11-14T22:13:20z", 0, 1700000000 },
		{ "2023-11-14T22:13:20.123456Z", 0, 1700000000 },
		{ "2023-11-14T22:13:20", 0, 1700000000 },
		{ "2023-11-15T00:13:20+02:00", 0, 1700000000 },
		{ "2023-11-14T20:43:20-01:30", 0, 1700000000 },
		{ "2023-11-14T22:13:20.5+00:00", 0, 1700000000 },
		{ "2023-11-14T22:13:20+1:1", -1, 0 },
		{ "2023-11-14T22:13:20+01:1", -1, 0 },
		{ "2023-11-14T22:13:20+01", -1, 0 },
		{ "2023-11-14T22:13:20+", -1, 0 },
		{ "2023-11-14T22:13:20+ 1:01", -1, 0 },
		{ "2023-11-14T22:13:20+-1:01", -1, 0 },
		{ "2023-11-14T22:13:20+0100", -1, 0 },
		{ "2023-11-14T22:13:20+01:00x", -1, 0 },
		{ "2023-11-14", -1, 0 },
		{ "", -1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* An exact-size heap copy, so a read past the end is an ASan report. */
		size_t n = strlen(cases[i].text) + 1;
		char *s = malloc(n);
		time_t t = 0;
		int rc;

		memcpy(s, cases[i].text, n);
		rc = tp_time_parse_iso8601(s, &t);
		if (rc != cases[i].rc || (rc == 0 && t != cases[i].want))
			fail_msg("%s: rc %d t %lld, want rc %d t %lld", cases[i].text, rc,
				 (long long)t, cases[i].rc, (long long)cases[i].want);
		free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_util__parse_iso8601),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
