/*
 * aws/sigv4: canonicalisation edge cases, header folding, the key cache,
 * presigning, S3 mode, errors, and concurrent signing. AWS's own vectors run
 * in test_sigv4_suite; botocore is compared in test_sigv4_differential.
 * Expected signatures below were computed with botocore 1.43 at
 * 2015-08-30T12:36:00Z with AWS's example credentials.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/sigv4.h"
#include "aws/util.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define T20150830 ((time_t)1440938160)        /* 2015-08-30T12:36:00Z */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const tp_sigv4_creds creds = { AKID, SECRET, NULL };

static tp_sigv4_opts opts_for(const char *service, int s3)
{
	tp_sigv4_opts o = TP_SIGV4_OPTS_INIT;

	o.service = service;
	o.region = "us-east-1";
	o.now = T20150830;
	o.s3 = s3;
	o.content_sha256_header = s3;
	return o;
}

/* Line n (0-based) of s into buf. */
static const char *line_of(const char *s, int n, char *buf, size_t size)
{
	size_t len;

	while (n-- > 0 && s)
		s = (s = strchr(s, '\n')) ? s + 1 : NULL;
	if (!s)
		return "(no such line)";
	len = strcspn(s, "\n");
	if (len >= size)
		len = size - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

/* Sign GET path?query for host example.amazonaws.com; returns rc. */
static int sign_get(tp_sigv4_out *out, const char *path, const char *query,
		    const tp_sigv4_opts *o)
{
	const tp_header h[] = { { "Host", "example.amazonaws.com" } };
	tp_sigv4_request req = { "GET", path, query, h, 1, NULL, 0, NULL };

	return tp_sigv4_sign(out, &req, &creds, o);
}

static void expect_line(const char *name, const tp_sigv4_out *out, int line,
			const char *want)
{
	char buf[1024];
	const char *got = line_of(tp_buf_cstr(&out->canonical_request), line, buf, sizeof(buf));

	if (strcmp(got, want) != 0)
		fail_msg("%s: canonical request line %d is \"%s\", want \"%s\"", name, line,
			 got, want);
}

static void test_sigv4__uri_encode(void **state)
{
	static const struct { const char *in; int keep_slash; const char *want; } v[] = {
		{ "", 0, "" },
		{ "AZaz09-._~", 0, "AZaz09-._~" },
		{ "a b/c", 0, "a%20b%2Fc" },
		{ "a b/c", 1, "a%20b/c" },
		{ "%2F+*!", 0, "%252F%2B%2A%21" },
		{ "\xe1\x88\xb4", 1, "%E1%88%B4" },
		{ "\x7f\x01", 0, "%7F%01" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(v); i++) {
		tp_buf b = TP_BUF_INIT;

		assert_int_equal(tp_sigv4_uri_encode(&b, v[i].in, strlen(v[i].in),
						     v[i].keep_slash), 0);
		if (strcmp(tp_buf_cstr(&b), v[i].want) != 0)
			fail_msg("encode \"%s\": \"%s\", want \"%s\"", v[i].in, tp_buf_cstr(&b),
				 v[i].want);
		tp_buf_release(&b);
	}
}

static void test_sigv4__canonical_uri(void **state)
{
	static const struct {
		const char *path;
		int s3, keep_path;
		const char *want;
	} v[] = {
		{ NULL, 0, 0, "/" },
		{ "", 0, 0, "/" },
		{ "/", 0, 0, "/" },
		{ "//", 0, 0, "/" },
		{ "/a/./b//c/../", 0, 0, "/a/b/" },
		{ "/example/..", 0, 0, "/" },
		{ "/a/b/../../..", 0, 0, "/" },
		{ "/./a", 0, 0, "/a" },
		{ "/a/.", 0, 0, "/a" },              /* as botocore: no slash after "." */
		{ "/a/b/", 0, 0, "/a/b/" },          /* trailing slash kept */
		{ "//a//b//", 0, 0, "/a/b/" },
		{ "/.../a", 0, 0, "/.../a" },        /* only "." and ".." are dot segments */
		{ "/a b", 0, 0, "/a%20b" },
		{ "/a%20b", 0, 0, "/a%2520b" },      /* double encoding */
		{ "/%2e%2e/a", 0, 0, "/%252e%252e/a" },
		{ "/\xe1\x88\xb4", 0, 0, "/%E1%88%B4" },
		{ "/a:b@c!$'()*+,;=", 0, 0, "/a%3Ab%40c%21%24%27%28%29%2A%2B%2C%3B%3D" },
		{ "/a/../b", 0, 1, "/a/../b" },      /* keep_path: encoded, not normalised */
		{ "/a%2F/..", 0, 1, "/a%252F/.." },
		{ "/a%20b/../c//d", 1, 0, "/a%20b/../c//d" },   /* S3: as sent */
		{ "/photos/2015/cat.jpg", 1, 0, "/photos/2015/cat.jpg" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(v); i++) {
		tp_sigv4_out out = TP_SIGV4_OUT_INIT;
		tp_sigv4_opts o = opts_for("service", v[i].s3);
		char name[128];

		o.keep_path = v[i].keep_path;
		assert_int_equal(sign_get(&out, v[i].path, NULL, &o), 0);
		snprintf(name, sizeof(name), "path \"%s\"", v[i].path ? v[i].path : "(null)");
		expect_line(name, &out, 1, v[i].want);
		tp_sigv4_out_release(&out);
	}
}

static void test_sigv4__canonical_query(void **state)
{
	static const struct { const char *query, *want; } v[] = {
		{ NULL, "" },
		{ "", "" },
		{ "a", "a=" },
		{ "a=", "a=" },
		{ "=x", "=x" },
		{ "b=2&a=1", "a=1&b=2" },
		{ "a=2&a=1&a=", "a=&a=1&a=2" },              /* repeated: by value */
		{ "a&&b&", "a=&b=" },                        /* empty segments dropped */
		{ "B=1&a=1&A=1&_=1&~=1", "A=1&B=1&_=1&a=1&~=1" },  /* byte order */
		{ "a-=1&a=1", "a=1&a-=1" },
		{ "a+b=c d", "a%2Bb=c%20d" },                /* '+' is a plus */
		{ "%7e=%41%2f%2F", "~=A%2F%2F" },            /* decoded, re-encoded */
		{ "\xc3\xa9=1", "%C3%A9=1" },                /* raw UTF-8 */
		{ "a=b=c", "a=b%3Dc" },
		{ "k=%E1%88%B4&%E1%88%B4=v", "%E1%88%B4=v&k=%E1%88%B4" },
		{ "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
		  "%E1%88%B4=Value1&Param=Value2&Param-3=Value3" },
		{ "=", "=" },
		{ "&=&", "=" },
		/* already canonical, kept as it is; the rest re-encoded */
		{ "a=%2F%3D%25", "a=%2F%3D%25" },
		{ "a=%2f", "a=%2F" },                        /* lower-case hex */
		{ "a=%41%2F", "a=A%2F" },                    /* escaped unreserved byte */
		{ "a=%2F%20x y", "a=%2F%20x%20y" },          /* canonical, then not */
		{ "%3D=%26", "%3D=%26" },
		/* keys alike in their first eight bytes: the rest decides, then the value */
		{ "prefix123=1&prefix12=2&prefix124=0&prefix123=0&prefix1=9&prefix12%2F=3",
		  "prefix1=9&prefix12=2&prefix12%2F=3&prefix123=0&prefix123=1&prefix124=0" },
		{ "abcdefgh=2&abcdefg=1&abcdefgh=1&abcdefghi=0",
		  "abcdefg=1&abcdefgh=1&abcdefgh=2&abcdefghi=0" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(v); i++) {
		tp_sigv4_out out = TP_SIGV4_OUT_INIT;
		tp_sigv4_opts o = opts_for("service", 0);
		char name[128];

		assert_int_equal(sign_get(&out, "/", v[i].query, &o), 0);
		snprintf(name, sizeof(name), "query \"%s\"", v[i].query ? v[i].query : "(null)");
		expect_line(name, &out, 2, v[i].want);
		tp_sigv4_out_release(&out);
	}
}

/* Past the insertion-sort size: the same order, from qsort. */
static void test_sigv4__many_params_and_headers(void **state)
{
	tp_buf query = TP_BUF_INIT, want_q = TP_BUF_INIT, want_h = TP_BUF_INIT;
	tp_header h[41];
	char names[40][8], values[40][8];
	tp_sigv4_out out = TP_SIGV4_OUT_INIT;
	tp_sigv4_opts o = opts_for("service", 0);
	tp_sigv4_request req = { "GET", "/", NULL, h, 0, NULL, 0, NULL };
	int i;

	(void)state;
	for (i = 39; i >= 0; i--)       /* k39=b&k39=a&k38=b&... */
		tp_buf_addf(&query, "%sk%02d=b&k%02d=a", i == 39 ? "" : "&", i, i);
	for (i = 0; i < 40; i++)
		tp_buf_addf(&want_q, "%sk%02d=a&k%02d=b", i ? "&" : "", i, i);
	h[0].name = "Host";
	h[0].value = "example.amazonaws.com";
	for (i = 0; i < 40; i++) {      /* X-H19: 1, x-h19: 0, X-H18: 1, ... */
		snprintf(names[i], sizeof(names[i]), i % 2 ? "x-h%02d" : "X-H%02d", 19 - i / 2);
		snprintf(values[i], sizeof(values[i]), "%d", 1 - i % 2);
		h[i + 1].name = names[i];
		h[i + 1].value = values[i];
	}
	tp_buf_adds(&want_h, "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n");
	for (i = 0; i < 20; i++)
		tp_buf_addf(&want_h, "x-h%02d:1,0\n", i);
	req.query = query.ptr;
	req.nheaders = 41;
	assert_int_equal(tp_sigv4_sign(&out, &req, &creds, &o), 0);
	expect_line("many parameters", &out, 2, want_q.ptr);
	assert_non_null(strstr(out.canonical_request.ptr, want_h.ptr));
	tp_sigv4_out_release(&out);
	tp_buf_release(&query);
	tp_buf_release(&want_q);
	tp_buf_release(&want_h);
}

static void test_sigv4__bad_query_is_einval(void **state)
{
	static const char *const v[] = { "a=%zz", "a=%4", "a=%", "%g0=1", "a=1&b=%2" };
	tp_sigv4_out out = TP_SIGV4_OUT_INIT;
	tp_sigv4_opts o = opts_for("service", 0);
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(v); i++) {
		if (sign_get(&out, "/", v[i], &o) != TP_EINVAL)
			fail_msg("query \"%s\" was accepted", v[i]);
		assert_int_equal(tp_error_last()->code, TP_EINVAL);
		assert_int_equal(out.nadd_headers, 0);
	}
	/* The same out signs the next request as if new. */
	assert_int_equal(sign_get(&out, "/", NULL, &o), 0);
	assert_string_equal(out.signature,
		"5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	tp_sigv4_out_release(&out);
}

static void test_sigv4__header_folding(void **state)
{
	static const struct {
		const char *value, *value2;     /* value2: a second My-Header, or NULL */
		const char *want;
	} v[] = {
		{ "value1", NULL, "my-header:value1" },
		{ "  a   b  ", NULL, "my-header:a b" },
		{ "\ta\t \tb\t", NULL, "my-header:a b" },
		{ "\"a   b   c\"", NULL, "my-header:\"a b c\"" },
		{ "", NULL, "my-header:" },
		{ "   ", NULL, "my-header:" },
		{ "value1\n  value2\n     value3", NULL, "my-header:value1,value2,value3" },
		{ "a\r\n b", NULL, "my-header:a,b" },
		{ "a\n\n  \nb c", NULL, "my-header:a,b c" },
		{ "\n  a", NULL, "my-header:a" },
		{ "value2", "value1", "my-header:value2,value1" },   /* request order */
		{ " x ", "", "my-header:x," },
		{ "\x01" "a", NULL, "my-header:\x01" "a" },           /* controls kept */
		{ "  0123456789abcdef  ghij\tklmn \x01 op  ", NULL,
		  "my-header:0123456789abcdef ghij klmn \x01 op" },
		{ "0123456789abcdefghijklmnopqrstuvwxyz", NULL,
		  "my-header:0123456789abcdefghijklmnopqrstuvwxyz" },
		{ "01234567\n89abcdef\r\n  \t", NULL, "my-header:01234567,89abcdef" },
		{ "a\x7f\xc3\xa9 \xe1\x88\xb4", NULL, "my-header:a\x7f\xc3\xa9 \xe1\x88\xb4" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(v); i++) {
		tp_header h[3] = { { "My-Header", v[i].value }, { "Host", "example.amazonaws.com" },
				   { "my-HEADER", v[i].value2 } };
		tp_sigv4_request req = { "GET", "/", NULL, h, v[i].value2 ? 3 : 2, NULL, 0, NULL };
		tp_sigv4_out out = TP_SIGV4_OUT_INIT;
		tp_sigv4_opts o = opts_for("service", 0);
		char name[128];

		assert_int_equal(tp_sigv4_sign(&out, &req, &creds, &o), 0);
		snprintf(name, sizeof(name), "header value #%zu", i);
		expect_line(name, &out, 4, v[i].want);
		expect_line(name, &out, 7, "host;my-header;x-amz-date");
		tp_sigv4_out_release(&out);
	}
}

/* Names alike in their first eight bytes sort by the rest, then by request order. */
static void test_sigv4__header_order(void **state)
{
	const tp_header h[] = {
		{ "X-Amz-Meta-B", "1" }, { "x-amz-meta-a", "2" }, { "X-Amz-Me", "3" },
		{ "x-amz-meta", "4" }, { "Host", "example.amazonaws.com" },
		{ "X-AMZ-META-A", "5" }, { "x-amz-m", "6" }, { "x-amz-meta-\xc3\xa9", "7" },
	};
	static const char *const want[] = {
		"host:example.amazonaws.com", "x-amz-date:20150830T123600Z", "x-amz-m:6",
		"x-amz-me:3", "x-amz-meta:4", "x-amz-meta-a:2,5", "x-amz-meta-b:1",
		"x-amz-meta-\xc3\xa9:7", "",
		("host;x-amz-date;x-amz-m;x-amz-me;x-amz-meta;x-amz-meta-a;x-amz-meta-b;"
		 "x-amz-meta-\xc3\xa9"),
	};
	tp_sigv4_request req = { "GET", "/", NULL, h, TP_ARRAY_SIZE(h), NULL, 0, NULL };
	tp_sigv4_out out = TP_SIGV4_OUT_INIT;
	tp_sigv4_opts o = opts_for("service", 0);
	size_t i;

	(void)state;
	assert_int_equal(tp_sigv4_sign(&out, &req, &creds, &o), 0);
	for (i = 0; i < TP_ARRAY_SIZE(want); i++)
		expect_line("header order", &out, (int)i + 3, want[i]);
	tp_sigv4_out_release(&out);
}

/* The signer's own headers: added, signed, and a caller's stale copy replaced. */
static void test_sigv4__signer_headers(void **state)
{
	static const struct {
		const char *token;
		int sha_header;
		const char *signed_list;
		size_t nadd;
	} v[] = {
		{ NULL, 0, "host;x-amz-date", 2 },
		{ "TOKEN", 0, "host;x-amz-date;x-amz-security-token", 3 },
		{ NULL, 1, "host;x-amz-content-sha256;x-amz-date", 3 },
		{ "TOKEN", 1, "host;x-amz-content-sha256;x-amz-date;x-amz-security-token", 4 },
		{ "", 0, "host;x-amz-date", 2 },        /* empty token = none */
	};
	const tp_header h[] = {
		{ "Host", "example.amazonaws.com" }, { "X-Amz-Date", "20000101T000000Z" },
		{ "Authorization", "stale" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(v); i++) {
		char token[16] = "";
		tp_sigv4_creds c = { AKID, SECRET, NULL };
		tp_sigv4_request req = { "GET", "/", NULL, h, TP_ARRAY_SIZE(h), NULL, 0, NULL };
		tp_sigv4_out out = TP_SIGV4_OUT_INIT;
		tp_sigv4_opts o = opts_for("service", 0);
		char buf[256], name[64];
		const tp_header *a;

		if (v[i].token) {
			tp_strlcpy(token, v[i].token, sizeof(token));
			c.session_token = token;
		}
		o.content_sha256_header = v[i].sha_header;
		assert_int_equal(tp_sigv4_sign(&out, &req, &c, &o), 0);
		snprintf(name, sizeof(name), "signer headers #%zu", i);
		expect_line(name, &out, 3, "host:example.amazonaws.com");
		/* host and the signer's headers but Authorization, then a blank line */
		assert_string_equal(line_of(out.canonical_request.ptr, (int)v[i].nadd + 3, buf,
					    sizeof(buf)), "");
		expect_line(name, &out, (int)v[i].nadd + 4, v[i].signed_list);
		assert_non_null(strstr(out.canonical_request.ptr, "x-amz-date:20150830T123600Z\n"));
		assert_null(strstr(out.canonical_request.ptr, "stale"));
		assert_int_equal(out.nadd_headers, v[i].nadd);
		a = out.add_headers;
		assert_string_equal(a[0].name, "X-Amz-Date");
		assert_string_equal(a[0].value, "20150830T123600Z");
		assert_string_equal(a[out.nadd_headers - 1].name, "Authorization");
		assert_non_null(strstr(a[out.nadd_headers - 1].value, v[i].signed_list));
		if (*token) {
			memset(token, 'X', 5);      /* the caller's copy may go away */
			assert_string_equal(a[1].name, "X-Amz-Security-Token");
			assert_string_equal(a[1].value, "TOKEN");
		}
		tp_sigv4_out_release(&out);
	}
}

/* Whole signatures against AWS's suite and botocore. */
static void test_sigv4__signatures(void **state)
{
	static const struct {
		const char *name, *method, *path, *query, *service, *body, *payload_hash;
		int s3;
		const char *want;       /* the Authorization value */
	} v[] = {
		{ "get-vanilla", "GET", "/", NULL, "service", NULL, NULL, 0,
		  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
		  "SignedHeaders=host;x-amz-date, "
		  "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
		{ "s3 path as sent", "GET", "/a%20b/../c//d.txt", "prefix=x%2Fy&list-type=2", "s3",
		  NULL, NULL, 1,
		  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, "
		  "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
		  "Signature=725f11fd216700b839cacef31c6876164861cb686dcd8504673ddde224cdc009" },
		{ "s3 unsigned payload", "PUT", "/photos/2015/cat.jpg", NULL, "s3", "x",
		  "UNSIGNED-PAYLOAD", 1,
		  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, "
		  "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
		  "Signature=c5d074c7ffd6e1eb0e2ffe7ba3d9c71e52a5e482e81a4efd3e327af944b651a3" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(v); i++) {
		const char *host = v[i].s3 ? "examplebucket.s3.amazonaws.com" : "example.amazonaws.com";
		const tp_header h[] = { { "Host", host } };
		tp_sigv4_request req = { v[i].method, v[i].path, v[i].query, h, 1, v[i].body,
					 v[i].body ? strlen(v[i].body) : 0, v[i].payload_hash };
		tp_sigv4_out out = TP_SIGV4_OUT_INIT;
		tp_sigv4_opts o = opts_for(v[i].service, v[i].s3);

		assert_int_equal(tp_sigv4_sign(&out, &req, &creds, &o), 0);
		if (strcmp(out.add_headers[out.nadd_headers - 1].value, v[i].want) != 0)
			fail_msg("%s: Authorization %s\nwant %s", v[i].name,
				 out.add_headers[out.nadd_headers - 1].value, v[i].want);
		if (v[i].s3) {
			assert_string_equal(out.add_headers[1].name, "X-Amz-Content-Sha256");
			assert_string_equal(out.add_headers[1].value,
					    v[i].payload_hash ? v[i].payload_hash : EMPTY_SHA256);
		}
		tp_sigv4_out_release(&out);
	}
}

static void test_sigv4__presign(void **state)
{
	static const struct {
		const char *name, *path, *query, *service, *token, *payload_hash;
		int s3;
		unsigned expires;
		const char *want;       /* the signed query */
	} v[] = {
		{ "get-vanilla", "/", NULL, "service", NULL, NULL, 0, 0,
		  "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2F"
		  "us-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600"
		  "&X-Amz-SignedHeaders=host&X-Amz-Signature="
		  "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d" },
		{ "caller's query kept in front", "/", "Action=ListUsers&Version=2010-05-08", "iam",
		  NULL, NULL, 0, 300,
		  "Action=ListUsers&Version=2010-05-08&X-Amz-Algorithm=AWS4-HMAC-SHA256"
		  "&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fiam%2Faws4_request"
		  "&X-Amz-Date=20150830T123600Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host"
		  "&X-Amz-Signature=77dc6f21cca083549c8d99efff5b3ba595ca1c1d84be1260c98dd4d670f6bef3" },
		{ "s3 object", "/test.txt", NULL, "s3", NULL, "UNSIGNED-PAYLOAD", 1, 86400,
		  "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2F"
		  "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=86400"
		  "&X-Amz-SignedHeaders=host&X-Amz-Signature="
		  "22f95d09b0190803168fd8aa457df8a63da2968679a9db522dc3ede3c488fc6f" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(v); i++) {
		const char *host = v[i].s3 ? "examplebucket.s3.amazonaws.com" : "example.amazonaws.com";
		const tp_header h[] = { { "Host", host } };
		tp_sigv4_request req = { "GET", v[i].path, v[i].query, h, 1, NULL, 0,
					 v[i].payload_hash };
		tp_sigv4_out out = TP_SIGV4_OUT_INIT;
		tp_sigv4_opts o = opts_for(v[i].service, v[i].s3);

		o.expires = v[i].expires;
		assert_int_equal(tp_sigv4_presign(&out, &req, &creds, &o), 0);
		if (strcmp(tp_buf_cstr(&out.query), v[i].want) != 0)
			fail_msg("%s: query %s\nwant %s", v[i].name, tp_buf_cstr(&out.query),
				 v[i].want);
		assert_int_equal(out.nadd_headers, 0);
		tp_sigv4_out_release(&out);
	}
}

/* The session token goes into the signed query (AWS suite, post-sts-header-before). */
static void test_sigv4__presign_token(void **state)
{
	static const char token[] = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
	const tp_header h[] = { { "Host", "example.amazonaws.com" } };
	tp_sigv4_request req = { "POST", "/", NULL, h, 1, NULL, 0, NULL };
	tp_sigv4_creds c = { AKID, SECRET, token };
	tp_sigv4_out out = TP_SIGV4_OUT_INIT;
	tp_sigv4_opts o = opts_for("service", 0);

	(void)state;
	assert_int_equal(tp_sigv4_presign(&out, &req, &c, &o), 0);
	assert_string_equal(out.signature,
		"46c2e3c63c1dbe7d39f8ada16fe7f001c1f56c5791441565323677f96308871c");
	assert_non_null(strstr(out.query.ptr, "&X-Amz-Security-Token=AQoDYXdzEPT%2F%2F"));
	assert_int_equal(tp_sigv4_sign(&out, &req, &c, &o), 0);
	assert_string_equal(out.signature,
		"85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
	tp_sigv4_out_release(&out);
}

static void test_sigv4__body_hash(void **state)
{
	static const char body[] = "Param1=value1";
	const tp_header h[] = {
		{ "Content-Type", "application/x-www-form-urlencoded" },
		{ "Host", "example.amazonaws.com" }, { "Content-Length", "13" },
	};
	tp_sigv4_request req = { "POST", "/", NULL, h, 3, body, strlen(body), NULL };
	tp_sigv4_out out = TP_SIGV4_OUT_INIT;
	tp_sigv4_opts o = opts_for("service", 0);

	(void)state;
	o.content_sha256_header = 1;
	assert_int_equal(tp_sigv4_sign(&out, &req, &creds, &o), 0);
	assert_string_equal(out.payload_hash,
		"9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
	assert_string_equal(out.signature,
		"d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b");
	tp_sigv4_out_release(&out);
}

static void test_sigv4__errors(void **state)
{
	static const struct {
		const char *name;
		int has_host, has_secret, has_region;
		const char *method;
	} v[] = {
		{ "no Host", 0, 1, 1, "GET" },
		{ "no secret", 1, 0, 1, "GET" },
		{ "no region", 1, 1, 0, "GET" },
		{ "no method", 1, 1, 1, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(v); i++) {
		const tp_header h[] = { { v[i].has_host ? "HOST" : "X-Other", "example.com" } };
		tp_sigv4_request req = { v[i].method, "/", NULL, h, 1, NULL, 0, NULL };
		tp_sigv4_creds c = { AKID, v[i].has_secret ? SECRET : NULL, NULL };
		tp_sigv4_out out = TP_SIGV4_OUT_INIT;
		tp_sigv4_opts o = opts_for("service", 0);

		if (!v[i].has_region)
			o.region = NULL;
		if (tp_sigv4_sign(&out, &req, &c, &o) != TP_EINVAL ||
		    tp_sigv4_presign(&out, &req, &c, &o) != TP_EINVAL)
			fail_msg("%s: signed", v[i].name);
		assert_null(strstr(tp_error_last()->msg, SECRET));
		tp_sigv4_out_release(&out);
	}
}

static void test_sigv4__key_cache(void **state)
{
	unsigned char k1[32], k2[32], k3[32];
	char hex[65];
	int i;

	(void)state;
	tp_sigv4_cache_clear();
	/* AWS's example of deriving a signing key. */
	assert_int_equal(tp_sigv4_signing_key(k1, SECRET, "20120215", "us-east-1", "iam"), 0);
	tp_hex(hex, k1, sizeof(k1));
	assert_string_equal(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
	/* Same inputs: from the cache, the same key. */
	assert_int_equal(tp_sigv4_signing_key(k2, SECRET, "20120215", "us-east-1", "iam"), 1);
	assert_memory_equal(k1, k2, 32);
	/* Another day, region, service or secret: derived, different. */
	assert_int_equal(tp_sigv4_signing_key(k3, SECRET, "20120216", "us-east-1", "iam"), 0);
	assert_memory_not_equal(k1, k3, 32);
	assert_int_equal(tp_sigv4_signing_key(k3, SECRET, "20120215", "eu-west-1", "iam"), 0);
	assert_memory_not_equal(k1, k3, 32);
	assert_int_equal(tp_sigv4_signing_key(k3, SECRET, "20120215", "us-east-1", "sts"), 0);
	assert_memory_not_equal(k1, k3, 32);
	assert_int_equal(tp_sigv4_signing_key(k3, SECRET "x", "20120215", "us-east-1", "iam"), 0);
	assert_memory_not_equal(k1, k3, 32);
	/* Parts are not run together: ("ab", "c") is not ("a", "bc"). */
	assert_int_equal(tp_sigv4_signing_key(k2, SECRET, "20120215", "us-east-1i", "am"), 0);
	assert_int_equal(tp_sigv4_signing_key(k2, SECRET, "20120215", "us-east-1", "iam"), 1);
	/* Secrets alike in length and first and last eight bytes are still told apart. */
	assert_int_equal(tp_sigv4_signing_key(k2, "AAAAAAAAxBBBBBBBB", "20120215", "us-east-1",
					      "iam"), 0);
	assert_int_equal(tp_sigv4_signing_key(k3, "AAAAAAAAyBBBBBBBB", "20120215", "us-east-1",
					      "iam"), 0);
	assert_memory_not_equal(k2, k3, 32);
	assert_int_equal(tp_sigv4_signing_key(k3, "AAAAAAAAxBBBBBBBB", "20120215", "us-east-1",
					      "iam"), 1);
	assert_memory_equal(k2, k3, 32);
	/* A hundred other keys push it out (the least recently used goes). */
	for (i = 0; i < 100; i++) {
		char service[16];

		snprintf(service, sizeof(service), "svc%d", i);
		assert_int_equal(tp_sigv4_signing_key(k3, SECRET, "20120215", "us-east-1", service), 0);
	}
	assert_int_equal(tp_sigv4_signing_key(k2, SECRET, "20120215", "us-east-1", "iam"), 0);
	assert_memory_equal(k1, k2, 32);
	/* Clearing drops everything. */
	tp_sigv4_cache_clear();
	assert_int_equal(tp_sigv4_signing_key(k2, SECRET, "20120215", "us-east-1", "iam"), 0);
	assert_memory_equal(k1, k2, 32);
}

/* A signature made with a cached key equals one made with a fresh key. */
static void test_sigv4__cached_key_same_signature(void **state)
{
	tp_sigv4_out out = TP_SIGV4_OUT_INIT;
	tp_sigv4_opts o = opts_for("service", 0);
	char first[65];

	(void)state;
	tp_sigv4_cache_clear();
	assert_int_equal(sign_get(&out, "/", NULL, &o), 0);
	memcpy(first, out.signature, sizeof(first));
	assert_int_equal(sign_get(&out, "/", NULL, &o), 0);
	assert_string_equal(out.signature, first);
	o.now += 86400;         /* the next day: a new key, a new signature */
	assert_int_equal(sign_get(&out, "/", NULL, &o), 0);
	assert_string_not_equal(out.signature, first);
	tp_sigv4_out_release(&out);
}

/*
 * A cached key remembers the first block of the last string it signed;
 * signing alternately at two seconds of a day (the block changes each
 * time) gives the signatures a fresh cache gives.
 */
static void test_sigv4__string_to_sign_memo(void **state)
{
	tp_sigv4_out out = TP_SIGV4_OUT_INIT;
	tp_sigv4_opts o = opts_for("service", 0);
	char fresh[2][65];
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		tp_sigv4_cache_clear();
		o.now = T20150830 + i;
		assert_int_equal(sign_get(&out, "/", NULL, &o), 0);
		memcpy(fresh[i], out.signature, 65);
	}
	assert_string_not_equal(fresh[0], fresh[1]);
	for (i = 0; i < 6; i++) {
		o.now = T20150830 + i % 2;
		assert_int_equal(sign_get(&out, "/", NULL, &o), 0);
		assert_string_equal(out.signature, fresh[i % 2]);
	}
	tp_sigv4_out_release(&out);
}

/*
 * Concurrency: threads sign the same requests with keys from several
 * accounts, regions and days (more than the cache holds, so entries are
 * evicted under them) while one thread keeps clearing the cache; every
 * signature must equal the one computed alone.
 */
#define NTHREADS 6
#define NREQ 96
#define ROUNDS 30

struct job {
	char secret[48];
	char region[16];
	time_t now;
	char want[65];
};

static struct job jobs[NREQ];
static atomic_int stop_clearing;

static int sign_job(const struct job *j, char sig[65])
{
	const tp_header h[] = { { "Host", "sts.amazonaws.com" }, { "X-Thing", " a  b " } };
	tp_sigv4_request req = { "POST", "/a/../b", "x=1&y=%20", h, 2, "Action=GetCallerIdentity",
				 24, NULL };
	tp_sigv4_creds c = { AKID, j->secret, "token" };
	tp_sigv4_out out = TP_SIGV4_OUT_INIT;
	tp_sigv4_opts o = opts_for("sts", 0);
	int rc;

	o.region = j->region;
	o.now = j->now;
	rc = tp_sigv4_sign(&out, &req, &c, &o);
	memcpy(sig, out.signature, 65);
	tp_sigv4_out_release(&out);
	return rc;
}

static void *signer_thread(void *arg)
{
	size_t i, start = (size_t)(uintptr_t)arg;
	int r, bad = 0;

	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < NREQ; i++) {
			const struct job *j = &jobs[(start + i) % NREQ];
			char sig[65];

			if (sign_job(j, sig) != 0 || strcmp(sig, j->want) != 0)
				bad++;
		}
	}
	return (void *)(uintptr_t)bad;
}

static void *clearer_thread(void *arg)
{
	(void)arg;
	while (!stop_clearing)
		tp_sigv4_cache_clear();
	return NULL;
}

static void test_sigv4__threads(void **state)
{
	pthread_t th[NTHREADS], clearer;
	size_t i;
	int bad = 0;

	(void)state;
	for (i = 0; i < NREQ; i++) {
		snprintf(jobs[i].secret, sizeof(jobs[i].secret), "secret-%zu", i % 40);
		snprintf(jobs[i].region, sizeof(jobs[i].region), "region-%zu", i % 3);
		jobs[i].now = T20150830 + (time_t)(i % 2) * 86400;
		assert_int_equal(sign_job(&jobs[i], jobs[i].want), 0);
	}
	stop_clearing = 0;
	assert_int_equal(pthread_create(&clearer, NULL, clearer_thread, NULL), 0);
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, signer_thread,
						(void *)(uintptr_t)(i * 17)), 0);
	for (i = 0; i < NTHREADS; i++) {
		void *res;

		assert_int_equal(pthread_join(th[i], &res), 0);
		bad += (int)(uintptr_t)res;
	}
	stop_clearing = 1;
	assert_int_equal(pthread_join(clearer, NULL), 0);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigv4__uri_encode),
		cmocka_unit_test(test_sigv4__canonical_uri),
		cmocka_unit_test(test_sigv4__canonical_query),
		cmocka_unit_test(test_sigv4__many_params_and_headers),
		cmocka_unit_test(test_sigv4__bad_query_is_einval),
		cmocka_unit_test(test_sigv4__header_folding),
		cmocka_unit_test(test_sigv4__header_order),
		cmocka_unit_test(test_sigv4__signer_headers),
		cmocka_unit_test(test_sigv4__signatures),
		cmocka_unit_test(test_sigv4__presign),
		cmocka_unit_test(test_sigv4__presign_token),
		cmocka_unit_test(test_sigv4__body_hash),
		cmocka_unit_test(test_sigv4__errors),
		cmocka_unit_test(test_sigv4__key_cache),
		cmocka_unit_test(test_sigv4__cached_key_same_signature),
		cmocka_unit_test(test_sigv4__string_to_sign_memo),
		cmocka_unit_test(test_sigv4__threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
