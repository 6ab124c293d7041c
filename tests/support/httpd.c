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
#include <sys/time.h>
#include <unistd.h>

#include "aws/util.h"

struct tp_test_httpd {
	int fd;
	int port;
	char url[64];
	pthread_t thread;
	atomic_int stop;
	atomic_int count;
	atomic_int active;           /* connection threads still running */
	pthread_mutex_t handler_lock; /* handlers run one at a time */
	tp_test_handler handler;
	void *ctx;
};

/* read() that gives up when the server stops (the socket has a 100 ms timeout). */
static ssize_t read_some(atomic_int *stop, int fd, char *p, size_t n)
{
	for (;;) {
		ssize_t r = read(fd, p, n);
		if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return r;
		if (atomic_load(stop))
			return -1;
	}
}

/* Read one request from `fd` into req; 0 ok, -1 closed/broken/stopping. */
static int read_request(atomic_int *stop, int fd, tp_test_http_req *req, char *buf,
			size_t size, size_t *have)
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
		ssize_t n = read_some(stop, fd, buf + *have, size - 1 - *have);
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
		ssize_t n = read_some(stop, fd, buf + *have, size - 1 - *have);
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
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
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
	static _Thread_local char buf[1 << 18];
	size_t have = 0;
	tp_test_http_req req;

	struct timeval tv = { 0, 100000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (!atomic_load(&s->stop) &&
	       read_request(&s->stop, fd, &req, buf, sizeof(buf), &have) == 0) {
		tp_test_reply r;
		char head[4096];
		size_t blen;

		memset(&r, 0, sizeof(r));
		r.status = 200;
		atomic_fetch_add(&s->count, 1);
		pthread_mutex_lock(&s->handler_lock);
		s->handler(s->ctx, &req, &r);
		pthread_mutex_unlock(&s->handler_lock);
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

struct conn {
	struct tp_test_httpd *s;
	int fd;
};

static void *conn_main(void *arg)
{
	struct conn *c = arg;

	serve(c->s, c->fd);
	atomic_fetch_sub(&c->s->active, 1);
	free(c);
	return NULL;
}

/* Accept loop: one detached thread per connection, so a slow reply does not
 * hold up the client's retry on a new connection. */
static void *run(void *arg)
{
	struct tp_test_httpd *s = arg;

	while (!atomic_load(&s->stop)) {
		struct pollfd p = { s->fd, POLLIN, 0 };
		struct conn *c;
		pthread_t t;
		int fd;

		if (poll(&p, 1, 100) <= 0)
			continue;
		fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		c = tp_xmalloc(sizeof(*c));
		c->s = s;
		c->fd = fd;
		atomic_fetch_add(&s->active, 1);
		if (pthread_create(&t, NULL, conn_main, c) != 0) {
			atomic_fetch_sub(&s->active, 1);
			close(fd);
			free(c);
			continue;
		}
		pthread_detach(t);
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
	pthread_mutex_init(&s->handler_lock, NULL);
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
	/* Connection threads end when their client closes or on `stop`
	 * after the current request; wait for them. */
	while (atomic_load(&s->active) > 0)
		tp_sleep_ms(5);
	close(s->fd);
	pthread_mutex_destroy(&s->handler_lock);
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
