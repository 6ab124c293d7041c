#include "tests/support/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aws/util.h"

struct tp_test_httpd {
	int fd;
	int port;
	char url[64];
	pthread_t thread;
	atomic_int stop;
	atomic_int count;
	tp_test_handler handler;
	void *ctx;
};

/* Read one request from `fd` into req; 0 ok, -1 closed/broken. */
static int read_request(int fd, tp_test_http_req *req, char *buf, size_t size, size_t *have)
{
	char *end;
	size_t hlen, need;
	long clen = 0;
	char v[32];

	for (;;) {
		buf[*have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end)
			break;
		ssize_t n = read(fd, buf + *have, size - 1 - *have);
		if (n <= 0)
			return -1;
		*have += (size_t)n;
	}
	hlen = (size_t)(end - buf) + 4;
	memset(req, 0, sizeof(*req));
	if (sscanf(buf, "%15s %2047s", req->method, req->path) != 2)
		return -1;
	end = strstr(buf, "\r\n") + 2;   /* the header block follows the request line */
	{
		size_t n = (size_t)(buf + hlen - 2 - end);
		if (n >= sizeof(req->headers))
			n = sizeof(req->headers) - 1;
		memcpy(req->headers, end, n);
		req->headers[n] = '\0';
	}
	if (tp_test_http_header(req, "Content-Length", v, sizeof(v)))
		clen = strtol(v, NULL, 10);
	need = hlen + (size_t)clen;
	if (need >= size)
		return -1;
	while (*have < need) {
		ssize_t n = read(fd, buf + *have, size - 1 - *have);
		if (n <= 0)
			return -1;
		*have += (size_t)n;
	}
	req->body = tp_xstrndup(buf + hlen, (size_t)clen);
	req->body_len = (size_t)clen;
	memmove(buf, buf + need, *have - need);
	*have -= need;
	return 0;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void reset(int fd)
{
	struct linger l = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/* Serve one connection until the peer closes or a fault ends it. */
static void serve(struct tp_test_httpd *s, int fd)
{
	static _Thread_local char buf[1 << 20];
	size_t have = 0;
	tp_test_http_req req;

	while (!atomic_load(&s->stop) && read_request(fd, &req, buf, sizeof(buf), &have) == 0) {
		tp_test_reply r;
		char head[4096];
		size_t blen;

		memset(&r, 0, sizeof(r));
		r.status = 200;
		atomic_fetch_add(&s->count, 1);
		s->handler(s->ctx, &req, &r);
		free(req.body);
		if (r.delay_ms)
			tp_sleep_ms(r.delay_ms);
		if (r.action != TP_TEST_REPLY) {
			free(r.body);
			if (r.action == TP_TEST_RESET)
				reset(fd);
			else
				close(fd);
			return;
		}
		blen = r.body ? strlen(r.body) : 0;
		snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n%s\r\n",
			 r.status, reason(r.status), blen, r.headers);
		write_all(fd, head, strlen(head));
		if (blen && strcmp(req.method, "HEAD") != 0)
			write_all(fd, r.body, blen);
		free(r.body);
	}
	close(fd);
}

static void *run(void *arg)
{
	struct tp_test_httpd *s = arg;

	while (!atomic_load(&s->stop)) {
		struct pollfd p = { s->fd, POLLIN, 0 };
		int fd;

		if (poll(&p, 1, 100) <= 0)
			continue;
		fd = accept(s->fd, NULL, NULL);
		if (fd >= 0)
			serve(s, fd);
	}
	return NULL;
}

tp_test_httpd *tp_test_httpd_start(tp_test_handler handler, void *ctx)
{
	struct tp_test_httpd *s = tp_xcalloc(1, sizeof(*s));
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int one = 1;

	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(s->fd, 16) < 0 || getsockname(s->fd, (struct sockaddr *)&a, &alen) < 0) {
		fprintf(stderr, "test httpd: %s\n", strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return NULL;
	}
	s->port = ntohs(a.sin_port);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
	s->handler = handler;
	s->ctx = ctx;
	pthread_create(&s->thread, NULL, run, s);
	return s;
}

int tp_test_httpd_port(const tp_test_httpd *s)
{
	return s->port;
}

const char *tp_test_httpd_url(const tp_test_httpd *s)
{
	return s->url;
}

int tp_test_httpd_count(tp_test_httpd *s)
{
	return atomic_load(&s->count);
}

void tp_test_httpd_stop(tp_test_httpd *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, 1);
	shutdown(s->fd, SHUT_RDWR);
	pthread_join(s->thread, NULL);
	close(s->fd);
	free(s);
}

const char *tp_test_http_header(const tp_test_http_req *req, const char *name,
				char *buf, size_t size)
{
	const char *p = req->headers;
	size_t nlen = strlen(name);

	while (*p) {
		const char *eol = strstr(p, "\r\n");
		size_t llen = eol ? (size_t)(eol - p) : strlen(p);
		if (llen > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
			const char *v = p + nlen + 1;
			while (*v == ' ')
				v++;
			size_t vlen = llen - (size_t)(v - p);
			if (vlen >= size)
				vlen = size - 1;
			memcpy(buf, v, vlen);
			buf[vlen] = '\0';
			return buf;
		}
		if (!eol)
			break;
		p = eol + 2;
	}
	return NULL;
}
