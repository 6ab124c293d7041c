/* timeline.html: self-contained, a row per account, a titled bar per phase. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/util.h"
#include "runner/report.h"
#include "runner/timeline.h"

static int count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static void test_timeline__bars_titles_and_no_external_resources(void **state)
{
	tp_report r;
	tp_buf b = TP_BUF_INIT;
	int a0, a1, sp;
	const char *html;

	(void)state;
	tp_report_init(&r, "shop<&>", "run-1");
	tp_report_add_suite(&r, "orders", 1000);
	tp_report_add_suite(&r, "pay\"ments", 1000);
	a0 = tp_report_account_index(&r, "111111111111");
	a1 = tp_report_account_index(&r, "222222222222");
	tp_report_span_open(&r, TP_SPAN_LEASE, a0, -1, 0);
	tp_report_span_open(&r, TP_SPAN_LEASE, a1, -1, 0);
	sp = tp_report_span_open(&r, TP_SPAN_DEPLOY, a0, 0, 1);
	tp_report_span_close(&r, sp, 1);
	sp = tp_report_span_open(&r, TP_SPAN_TEST, a0, 0, 1);
	r.spans[sp].start_ms = 1000;
	tp_report_span_close(&r, sp, 1);
	r.spans[sp].end_ms = 13345;
	sp = tp_report_span_open(&r, TP_SPAN_TEST, a1, 1, 1);
	tp_report_span_close(&r, sp, 0);
	sp = tp_report_span_open(&r, TP_SPAN_CLEAN, a1, -1, 0);
	tp_report_span_close(&r, sp, 1);
	r.duration_ms = 20000;
	tp_timeline_html(&b, &r);
	html = tp_buf_cstr(&b);

	assert_int_equal(count(html, "<svg"), 1);
	assert_int_equal(count(html, "class=\"bar lease band\""), 2);
	assert_int_equal(count(html, "class=\"bar test ok\" data-account=\"111111111111\" data-suite=\"orders\""), 1);
	assert_int_equal(count(html, "class=\"bar test fail\" data-account=\"222222222222\" data-suite=\"pay&quot;ments\""), 1);
	assert_int_equal(count(html, "class=\"bar deploy ok\""), 1);
	assert_int_equal(count(html, "class=\"bar clean ok\""), 1);
	assert_non_null(strstr(html, "<title>orders \xe2\x80\x94 12.3 s (test, attempt 1, ok"));
	assert_non_null(strstr(html, "shop&lt;&amp;&gt;"));
	assert_null(strstr(html, "shop<&>"));
	/* self-contained */
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<link"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "url("));
	assert_int_equal(count(html, "http"), 1);     /* the SVG namespace only */
	tp_buf_release(&b);
	tp_report_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeline__bars_titles_and_no_external_resources),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
