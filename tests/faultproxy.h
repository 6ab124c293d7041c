/*
 * tests/faultproxy.py from a C test: start it in front of an endpoint, read
 * and change its rates and counters (GET/POST /__faults), stop it.
 *
 * The proxy runs as a child of the test (it exits by itself when the test
 * process dies). Header-only (static inline) so a test stays one source
 * file; it needs cmocka included first, and tp_http_global_init().
 */
#ifndef TP_TEST_FAULTPROXY_H
#define TP_TEST_FAULTPROXY_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "aws/error.h"
#include "aws/http.h"
#include "aws/util.h"
#include "tests/support/testutil.h"

typedef struct tp_faultproxy {
	pid_t pid;
	char url[64];
	char *dir;                /* port file, stats file, the proxy's output */
} tp_faultproxy;

/*
 * Start the proxy in front of `upstream` with extra arguments (`args`,
 * NULL-terminated: "--throttle", "0.2", ...). Fails the test when it does
 * not listen within 15 s (with its output).
 */
static inline void tp_faultproxy_start(tp_faultproxy *p, const char *upstream,
				       const char *const *args)
{
	char *script = tp_test_source_path("tests/faultproxy.py");
	char *port_file, *log;
	char *argv[48];
	int64_t until;
	int n = 0;

	memset(p, 0, sizeof(*p));
	p->dir = tp_test_tmpdir("faultproxy");
	port_file = tp_xasprintf("%s/port", p->dir);
	log = tp_xasprintf("%s/proxy.log", p->dir);
	argv[n++] = "python3";
	argv[n++] = script;
	argv[n++] = "--upstream";
	argv[n++] = (char *)upstream;
	argv[n++] = "--port-file";
	argv[n++] = port_file;
	while (args && *args && n < 46)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	p->pid = fork();
	if (p->pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	for (until = tp_now_ms() + 15000;; tp_sleep_ms(50)) {
		char *data = NULL;
		size_t len;
		long port;

		if (tp_read_file(port_file, &data, &len) == 0) {
			data[strcspn(data, "\n")] = '\0';
			if (tp_parse_long(data, &port) == 0 && port > 0) {
				snprintf(p->url, sizeof(p->url), "http://127.0.0.1:%ld", port);
				free(data);
				break;
			}
			free(data);
		}
		tp_error_clear();
		if (tp_now_ms() > until || waitpid(p->pid, NULL, WNOHANG) == p->pid) {
			char *out = NULL;
			tp_read_file(log, &out, &len);
			fail_msg("tests/faultproxy.py did not start:\n%s", out ? out : "");
		}
	}
	free(port_file);
	free(log);
	free(script);
}

/* GET /__faults, or POST it `body` (JSON). The proxy's JSON answer (new reference). */
static inline json_t *tp_faultproxy_control(const tp_faultproxy *p, const char *body)
{
	tp_http_response resp = TP_HTTP_RESPONSE_INIT;
	tp_http_request req;
	char *url = tp_xasprintf("%s/__faults", p->url);
	json_t *j;

	memset(&req, 0, sizeof(req));
	req.method = body ? "POST" : "GET";
	req.url = url;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	if (tp_http_send(&resp, &req) < 0)
		fail_msg("faultproxy control: %s", tp_error_last()->msg);
	j = json_loadb(resp.body.ptr ? resp.body.ptr : "", resp.body.len, 0, NULL);
	if (resp.status != 200 || !j)
		fail_msg("faultproxy control %s: HTTP %ld: %.*s", body ? body : "GET", resp.status,
			 (int)resp.body.len, resp.body.ptr ? resp.body.ptr : "");
	tp_http_response_release(&resp);
	free(url);
	return j;
}

/* A counter of the proxy's answer: "requests", "faults.throttle", "throttle_by_flavour.s3". */
static inline long tp_faultproxy_count(json_t *stats, const char *path)
{
	char *copy = tp_xstrdup(path), *dot = strchr(copy, '.');
	json_t *v;

	if (dot)
		*dot = '\0';
	v = json_object_get(stats, copy);
	if (dot)
		v = json_object_get(v, dot + 1);
	free(copy);
	if (!json_is_integer(v))
		fail_msg("faultproxy: no counter %s", path);
	return (long)json_integer_value(v);
}

/* SIGTERM, wait; NULL-safe on a proxy that never started. */
static inline void tp_faultproxy_stop(tp_faultproxy *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		waitpid(p->pid, NULL, 0);
	}
	p->pid = 0;
	if (p->dir)
		tp_test_rmtree(p->dir);
	free(p->dir);
	p->dir = NULL;
}

#endif
