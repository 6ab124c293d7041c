/*
 * bench_sigv4 [PASSES] < specs.jsonl: time aws/sigv4 over the requests on
 * stdin (the JSON lines of tests/sigv4_sign_stdin.c; bench/sigv4 makes them
 * and runs botocore over the same ones).
 *
 * All requests are parsed first and packed one after the other into one
 * arena, so a pass streams through memory: in tidepool a request is built
 * just before it is signed and is in cache, and a benchmark that chased
 * 10,000 scattered JSON strings would time cache misses, not signing. Then
 * each pass signs every request with one reused tp_sigv4_out (as aws/client
 * does per thread), and the best pass counts. A last pass clears the key cache before every signature to
 * show the cost of deriving keys. Prints, for bench/sigv4 to read:
 *   tidepool us_per_signature=1.234 cold_us_per_signature=5.678 n=10000
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/sigv4.h"
#include "aws/util.h"

struct item {
	tp_sigv4_request req;
	tp_sigv4_creds creds;
	tp_sigv4_opts opts;
	int presign;
};

/* A bump allocator over one block; sized by the caller to fit. */
struct arena {
	char *base;
	size_t used, size;
};

static void *arena_alloc(struct arena *a, size_t n)
{
	void *p;

	a->used = (a->used + 15) & ~(size_t)15;
	if (n > a->size - a->used) {
		fprintf(stderr, "bench_sigv4: arena too small\n");
		exit(2);
	}
	p = a->base + a->used;
	a->used += n;
	return p;
}

static const char *arena_str(struct arena *a, const char *s)
{
	char *p;

	if (!s)
		return NULL;
	p = arena_alloc(a, strlen(s) + 1);
	memcpy(p, s, strlen(s) + 1);
	return p;
}

static const char *str(struct arena *a, json_t *o, const char *key)
{
	return arena_str(a, json_string_value(json_object_get(o, key)));
}

static const void *unhex(struct arena *a, const char *hex, size_t *len)
{
	size_t i, n = hex ? strlen(hex) / 2 : 0;
	unsigned char *out = arena_alloc(a, n + 1);

	for (i = 0; i < n; i++) {
		char byte[3] = { hex[2 * i], hex[2 * i + 1], '\0' };

		out[i] = (unsigned char)strtoul(byte, NULL, 16);
	}
	*len = n;
	return out;
}

static void pack_headers(struct item *it, struct arena *a, json_t *hs)
{
	size_t i, n = json_array_size(hs);
	tp_header *h = arena_alloc(a, (n + 1) * sizeof(*h));

	for (i = 0; i < n; i++) {
		json_t *pair = json_array_get(hs, i);

		h[i].name = arena_str(a, json_string_value(json_array_get(pair, 0)));
		h[i].value = arena_str(a, json_string_value(json_array_get(pair, 1)));
	}
	it->req.headers = h;
	it->req.nheaders = n;
}

/* Parse one line into *it, its strings packed into the arena. */
static int parse_item(struct item *it, struct arena *a, const char *line)
{
	json_t *o = json_loads(line, 0, NULL);

	if (!json_is_object(o)) {
		json_decref(o);
		return -1;
	}
	it->req.method = str(a, o, "method");
	it->req.path = str(a, o, "path");
	it->req.query = str(a, o, "query");
	pack_headers(it, a, json_object_get(o, "headers"));
	it->req.body = unhex(a, json_string_value(json_object_get(o, "body_hex")),
			     &it->req.body_len);
	it->req.payload_hash = str(a, o, "payload_hash");
	it->creds.access_key_id = str(a, o, "access_key");
	it->creds.secret_access_key = str(a, o, "secret");
	it->creds.session_token = str(a, o, "token");
	it->opts = (tp_sigv4_opts)TP_SIGV4_OPTS_INIT;
	it->opts.region = str(a, o, "region");
	it->opts.service = str(a, o, "service");
	it->opts.s3 = json_is_true(json_object_get(o, "s3"));
	it->opts.content_sha256_header = json_is_true(json_object_get(o, "content_sha256"));
	it->opts.expires = (unsigned)json_integer_value(json_object_get(o, "expires"));
	it->presign = json_is_true(json_object_get(o, "presign"));
	json_decref(o);
	return 0;
}

/* Sign every item once; returns the elapsed nanoseconds, or -1. */
static int64_t pass(struct item *items, size_t n, tp_sigv4_out *out, int cold)
{
	int64_t t0 = tp_now_ns();
	size_t i;

	for (i = 0; i < n; i++) {
		struct item *it = &items[i];
		int rc;

		if (cold)
			tp_sigv4_cache_clear();
		rc = it->presign ? tp_sigv4_presign(out, &it->req, &it->creds, &it->opts)
				 : tp_sigv4_sign(out, &it->req, &it->creds, &it->opts);
		if (rc < 0) {
			fprintf(stderr, "bench_sigv4: request %zu: %s\n", i, tp_error_last()->msg);
			return -1;
		}
	}
	return tp_now_ns() - t0;
}

/* Every line of stdin. */
static char **read_lines(size_t *count, size_t *bytes)
{
	char **lines = NULL, *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;

	*bytes = 0;
	while ((len = getline(&line, &cap, stdin)) > 0) {
		lines = tp_xrealloc(lines, (n + 1) * sizeof(*lines));
		lines[n++] = tp_xstrdup(line);
		*bytes += (size_t)len;
	}
	free(line);
	*count = n;
	return lines;
}

/*
 * The requests, packed: a JSON line is longer than the strings it decodes
 * to, so its length (plus room for the header array) bounds its share.
 */
static struct item *read_items(size_t *count, struct arena *a)
{
	size_t n, bytes, i;
	char **lines = read_lines(&n, &bytes);
	struct item *items = tp_xcalloc(n ? n : 1, sizeof(*items));

	a->size = 2 * bytes + n * 64 * sizeof(tp_header);
	a->base = tp_xmalloc(a->size);
	a->used = 0;
	for (i = 0; i < n; i++) {
		if (parse_item(&items[i], a, lines[i]) < 0) {
			fprintf(stderr, "bench_sigv4: line %zu is not a request spec\n", i + 1);
			exit(2);
		}
		free(lines[i]);
	}
	free(lines);
	*count = n;
	return items;
}

int main(int argc, char **argv)
{
	tp_sigv4_out out = TP_SIGV4_OUT_INIT;
	unsigned long passes = 5;
	int64_t best = -1, cold, t;
	struct arena arena;
	struct item *items;
	size_t n, i;

	if (argc > 1 && (tp_parse_ulong(argv[1], &passes) < 0 || passes == 0)) {
		fprintf(stderr, "usage: %s [PASSES] < specs.jsonl\n", argv[0]);
		return 2;
	}
	items = read_items(&n, &arena);
	if (!n) {
		fprintf(stderr, "bench_sigv4: no requests on stdin\n");
		return 2;
	}
	for (i = 0; i < passes; i++) {
		t = pass(items, n, &out, 0);
		if (t < 0)
			return 1;
		if (best < 0 || t < best)
			best = t;
	}
	cold = pass(items, n, &out, 1);
	if (cold < 0)
		return 1;
	printf("tidepool us_per_signature=%.3f cold_us_per_signature=%.3f n=%zu\n",
	       (double)best / 1e3 / (double)n, (double)cold / 1e3 / (double)n, n);
	tp_sigv4_out_release(&out);
	free(arena.base);
	free(items);
	return 0;
}
