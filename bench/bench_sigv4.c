/*
 * bench_sigv4 [PASSES] < specs.jsonl: time aws/sigv4 over the requests on
 * stdin (the JSON lines of tests/sigv4_sign_stdin.c; bench/sigv4 makes them
 * and runs botocore over the same ones).
 *
 * All requests are parsed first; then each pass signs every one of them
 * with one reused tp_sigv4_out (as aws/client does per thread), and the best
 * pass counts. A last pass clears the key cache before every signature to
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
	json_t *root;
	tp_sigv4_request req;
	tp_sigv4_creds creds;
	tp_sigv4_opts opts;
	tp_header *headers;
	unsigned char *body;
	int presign;
};

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static unsigned char *unhex(const char *hex, size_t *len)
{
	size_t i, n = hex ? strlen(hex) / 2 : 0;
	unsigned char *out = tp_xmalloc(n + 1);

	for (i = 0; i < n; i++) {
		char byte[3] = { hex[2 * i], hex[2 * i + 1], '\0' };

		out[i] = (unsigned char)strtoul(byte, NULL, 16);
	}
	*len = n;
	return out;
}

static int parse_item(struct item *it, const char *line)
{
	json_t *o = json_loads(line, 0, NULL), *hs;
	size_t i;

	it->root = o;
	if (!json_is_object(o))
		return -1;
	it->req.method = str(o, "method");
	it->req.path = str(o, "path");
	it->req.query = str(o, "query");
	it->req.payload_hash = str(o, "payload_hash");
	it->body = unhex(str(o, "body_hex"), &it->req.body_len);
	it->req.body = it->body;
	hs = json_object_get(o, "headers");
	it->headers = tp_xcalloc(json_array_size(hs) + 1, sizeof(*it->headers));
	for (i = 0; i < json_array_size(hs); i++) {
		it->headers[i].name = json_string_value(json_array_get(json_array_get(hs, i), 0));
		it->headers[i].value = json_string_value(json_array_get(json_array_get(hs, i), 1));
	}
	it->req.headers = it->headers;
	it->req.nheaders = json_array_size(hs);
	it->creds.access_key_id = str(o, "access_key");
	it->creds.secret_access_key = str(o, "secret");
	it->creds.session_token = str(o, "token");
	it->opts = (tp_sigv4_opts)TP_SIGV4_OPTS_INIT;
	it->opts.region = str(o, "region");
	it->opts.service = str(o, "service");
	it->opts.s3 = json_is_true(json_object_get(o, "s3"));
	it->opts.content_sha256_header = json_is_true(json_object_get(o, "content_sha256"));
	it->opts.expires = (unsigned)json_integer_value(json_object_get(o, "expires"));
	it->presign = json_is_true(json_object_get(o, "presign"));
	return 0;
}

static void item_release(struct item *it)
{
	json_decref(it->root);
	free(it->headers);
	free(it->body);
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

static struct item *read_items(size_t *count)
{
	struct item *items = NULL;
	char *line = NULL;
	size_t cap = 0, n = 0;

	while (getline(&line, &cap, stdin) > 0) {
		items = tp_xrealloc(items, (n + 1) * sizeof(*items));
		memset(&items[n], 0, sizeof(items[n]));
		if (parse_item(&items[n], line) < 0) {
			fprintf(stderr, "bench_sigv4: line %zu is not a request spec\n", n + 1);
			exit(2);
		}
		n++;
	}
	free(line);
	*count = n;
	return items;
}

int main(int argc, char **argv)
{
	tp_sigv4_out out = TP_SIGV4_OUT_INIT;
	unsigned long passes = 5;
	int64_t best = -1, cold, t;
	struct item *items;
	size_t n, i;

	if (argc > 1 && (tp_parse_ulong(argv[1], &passes) < 0 || passes == 0)) {
		fprintf(stderr, "usage: %s [PASSES] < specs.jsonl\n", argv[0]);
		return 2;
	}
	items = read_items(&n);
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
	for (i = 0; i < n; i++)
		item_release(&items[i]);
	free(items);
	return 0;
}
