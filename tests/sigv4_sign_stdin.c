/*
 * sigv4_sign_stdin: sign requests described as JSON lines on stdin and
 * print one JSON line per request on stdout. The differential test
 * (sigv4_differential.py) drives it and compares with botocore.
 *
 * In:  {"method": "GET", "path": "/a%20b", "query": "x=1" | null,
 *       "headers": [["Host", "example.com"], ...], "body_hex": "",
 *       "payload_hash": null, "access_key": "...", "secret": "...",
 *       "token": null, "region": "us-east-1", "service": "sts",
 *       "time": 1440938160, "s3": false, "content_sha256": false,
 *       "presign": false, "expires": 3600}
 * Out: {"authorization": "..." | "query": "...", "signature": "...",
 *       "canonical_request": "..."}   or   {"error": "..."}
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/sigv4.h"
#include "aws/util.h"

struct spec {
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

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int decode_body(struct spec *s, const char *hex)
{
	size_t i, n = strlen(hex) / 2;

	s->body = tp_xmalloc(n + 1);
	for (i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		s->body[i] = (unsigned char)(hi << 4 | lo);
	}
	s->req.body = s->body;
	s->req.body_len = n;
	return 0;
}

static int parse_headers(struct spec *s, json_t *arr)
{
	size_t i, n = json_array_size(arr);

	s->headers = tp_xcalloc(n ? n : 1, sizeof(*s->headers));
	for (i = 0; i < n; i++) {
		json_t *pair = json_array_get(arr, i);

		s->headers[i].name = json_string_value(json_array_get(pair, 0));
		s->headers[i].value = json_string_value(json_array_get(pair, 1));
		if (!s->headers[i].name || !s->headers[i].value)
			return -1;
	}
	s->req.headers = s->headers;
	s->req.nheaders = n;
	return 0;
}

static int parse_spec(struct spec *s, const char *line)
{
	json_t *o;

	s->root = o = json_loads(line, 0, NULL);
	if (!json_is_object(o))
		return -1;
	s->req.method = str(o, "method");
	s->req.path = str(o, "path");
	s->req.query = str(o, "query");
	s->req.payload_hash = str(o, "payload_hash");
	s->creds.access_key_id = str(o, "access_key");
	s->creds.secret_access_key = str(o, "secret");
	s->creds.session_token = str(o, "token");
	s->opts.region = str(o, "region");
	s->opts.service = str(o, "service");
	s->opts.now = (time_t)json_integer_value(json_object_get(o, "time"));
	s->opts.s3 = json_is_true(json_object_get(o, "s3"));
	s->opts.content_sha256_header = json_is_true(json_object_get(o, "content_sha256"));
	s->opts.expires = (unsigned)json_integer_value(json_object_get(o, "expires"));
	s->presign = json_is_true(json_object_get(o, "presign"));
	if (parse_headers(s, json_object_get(o, "headers")) < 0)
		return -1;
	return decode_body(s, str(o, "body_hex") ? str(o, "body_hex") : "");
}

static void spec_release(struct spec *s)
{
	json_decref(s->root);
	free(s->headers);
	free(s->body);
}

/* Sign one line's request and print the result line. */
static void sign_line(const char *line)
{
	struct spec s = { 0 };
	tp_sigv4_out out = TP_SIGV4_OUT_INIT;
	json_t *res = json_object();
	char *text;
	int rc;

	s.opts = (tp_sigv4_opts)TP_SIGV4_OPTS_INIT;
	if (parse_spec(&s, line) < 0) {
		json_object_set_new(res, "error", json_string("bad request spec"));
	} else {
		rc = s.presign ? tp_sigv4_presign(&out, &s.req, &s.creds, &s.opts)
			       : tp_sigv4_sign(&out, &s.req, &s.creds, &s.opts);
		if (rc < 0) {
			json_object_set_new(res, "error", json_string(tp_error_last()->msg));
		} else {
			json_object_set_new(res, s.presign ? "query" : "authorization",
				json_string(tp_buf_cstr(s.presign ? &out.query : &out.authorization)));
			json_object_set_new(res, "signature", json_string(out.signature));
			json_object_set_new(res, "canonical_request",
					    json_string(tp_buf_cstr(&out.canonical_request)));
		}
	}
	text = json_dumps(res, JSON_COMPACT);
	puts(text ? text : "{\"error\": \"cannot encode result\"}");
	free(text);
	json_decref(res);
	tp_sigv4_out_release(&out);
	spec_release(&s);
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (*line)
			sign_line(line);
	}
	free(line);
	return 0;
}
