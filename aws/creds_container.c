/*
 * Container credentials (ECS task roles, EKS Pod Identity, CodeBuild):
 * GET AWS_CONTAINER_CREDENTIALS_RELATIVE_URI from http://169.254.170.2, or
 * AWS_CONTAINER_CREDENTIALS_FULL_URI, which (as in botocore) must be https
 * or name a loopback address or one of the container hosts, so a stray
 * variable cannot send the authorization token anywhere else. The token
 * comes from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read on every load:
 * it rotates) or AWS_CONTAINER_AUTHORIZATION_TOKEN.
 *
 * Like botocore: 2 s timeouts, 3 attempts 1 s apart; once configured, a
 * failure is an error rather than a fall-through to IMDS.
 */
#include "aws/creds_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aws/error.h"
#include "aws/util.h"

#define ECS_HOST "http://169.254.170.2"
#define TIMEOUT_MS 2000
#define ATTEMPTS 3
#define RETRY_SLEEP_MS 1000

static const char *const allowed_hosts[] = {
	"169.254.170.2", "169.254.170.23", "fd00:ec2::23", "localhost"
};

struct container {
	tp_cred_provider base;
	char *url;
};

static int is_loopback(const char *host)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, host, a) == 1)
		return memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
	return 0;
}

/* The host of an http(s) URL, without brackets, port or user info. */
static char *url_host(const char *url)
{
	const char *p = strstr(url, "://") + 3;
	size_t n = strcspn(p, "/?#");
	const char *at = memchr(p, '@', n), *end;

	if (at) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	if (*p == '[') {
		end = memchr(p, ']', n);
		return end ? tp_xstrndup(p + 1, (size_t)(end - p - 1)) : NULL;
	}
	end = memchr(p, ':', n);
	return tp_xstrndup(p, end ? (size_t)(end - p) : n);
}

static int allowed_url(const char *url)
{
	char *host;
	size_t i;
	int ok;

	if (tp_starts_with(url, "https://"))
		return 1;
	if (!tp_starts_with(url, "http://") || !(host = url_host(url)))
		return 0;
	ok = is_loopback(host);
	for (i = 0; i < TP_ARRAY_SIZE(allowed_hosts) && !ok; i++)
		ok = strcasecmp(host, allowed_hosts[i]) == 0;
	free(host);
	return ok;
}

/* The Authorization header value, or NULL when none is configured. */
static int auth_token(char **out)
{
	const char *file = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *env = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	size_t len = 0;

	*out = NULL;
	if (file && *file) {
		if (tp_read_file(file, out, &len) < 0) {
			char why[512];   /* not the error buffer itself: it is rewritten */
			tp_strlcpy(why, tp_error_last()->msg, sizeof(why));
			return tp_error_set(TP_EAUTH, "container credentials: "
					    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %s", why);
		}
	} else if (env) {
		*out = tp_xstrdup(env);
		len = strlen(env);
	} else {
		return 0;
	}
	while (len > 0 && isspace((unsigned char)(*out)[len - 1]))
		(*out)[--len] = '\0';
	if (strpbrk(*out, "\r\n")) {
		free(*out);
		*out = NULL;
		return tp_error_set(TP_EINVAL, "container credentials: the authorization token "
				    "contains a line break");
	}
	return 0;
}

/* One GET; 0 with credentials, or -1 with the reason in `why`. */
static int fetch(const struct container *c, const char *token, tp_creds *out,
		 char *why, size_t size)
{
	tp_header h[2] = { { "Accept", "application/json" }, { "Authorization", token } };
	tp_http_response resp = TP_HTTP_RESPONSE_INIT;
	tp_http_request req;
	const char *bad = NULL;
	int rc;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = c->url;
	req.headers = h;
	req.nheaders = token ? 2 : 1;
	req.connect_timeout_ms = TIMEOUT_MS;
	req.timeout_ms = TIMEOUT_MS;
	req.max_response = 1 << 20;
	if ((rc = tp_http_send(&resp, &req)) < 0)
		tp_creds_http_reason(why, size, rc);
	else if (resp.status != 200)
		snprintf(why, size, "HTTP %ld: %.200s", resp.status, tp_buf_cstr(&resp.body));
	else if (tp_creds_from_json(&resp.body, out, &bad) < 0)
		tp_strlcpy(why, bad, size);
	rc = rc < 0 || resp.status != 200 || bad ? -1 : 0;
	tp_http_response_release(&resp);
	return rc;
}

static int container_load(tp_cred_provider *self, tp_creds *out)
{
	struct container *c = (struct container *)self;
	char why[512] = "";
	char *token = NULL;
	int i, rc;

	if ((rc = auth_token(&token)) < 0)
		return rc;
	for (i = 0, rc = -1; i < ATTEMPTS && rc < 0; i++) {
		if (i > 0)
			tp_sleep_ms(RETRY_SLEEP_MS);
		tp_creds_release(out);
		rc = fetch(c, token, out, why, sizeof(why));
	}
	if (token)
		memset(token, 0, strlen(token));
	free(token);
	if (rc < 0)
		return tp_error_set(TP_EAUTH, "container credentials from %s: %s (after %d attempts)",
				    c->url, why, ATTEMPTS);
	out->source = tp_xstrdup("container");
	return 0;
}

static void container_free(tp_cred_provider *self)
{
	struct container *c = (struct container *)self;

	free(c->url);
	free(c);
}

int tp_creds_source_container(const tp_creds_config *cfg, tp_cred_provider **out)
{
	const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	struct container *c;

	(void)cfg;
	*out = NULL;
	if (!rel && !full)
		return tp_error_set(TP_ENOTFOUND, "container (not configured)");
	if (!rel && !allowed_url(full))
		return tp_error_set(TP_EINVAL, "AWS_CONTAINER_CREDENTIALS_FULL_URI %s: only https, a "
				    "loopback address, 169.254.170.2, 169.254.170.23, fd00:ec2::23 "
				    "or localhost may serve credentials", full);
	c = tp_xcalloc(1, sizeof(*c));
	c->base.name = "container";
	c->base.load = container_load;
	c->base.free = container_free;
	c->url = rel ? tp_xasprintf("%s%s", ECS_HOST, rel) : tp_xstrdup(full);
	*out = &c->base;
	return 0;
}
