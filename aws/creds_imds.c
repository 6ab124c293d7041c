/*
 * EC2 instance metadata (IMDSv2), the last source of the chain:
 *
 *   PUT /latest/api/token          (X-aws-ec2-metadata-token-ttl-seconds)
 *   GET /latest/meta-data/iam/security-credentials/        -> role name
 *   GET /latest/meta-data/iam/security-credentials/ROLE    -> credentials
 *
 * the GETs carrying X-aws-ec2-metadata-token. As in botocore, a token
 * request answered 403/404/405 falls back to IMDSv1 (no token) unless
 * AWS_EC2_METADATA_V1_DISABLED=true. Off EC2 nothing answers, so requests
 * are short (1 s to connect, AWS_METADATA_SERVICE_TIMEOUT) and tried twice
 * (AWS_METADATA_SERVICE_NUM_ATTEMPTS); an unreachable service is "not
 * found" (the chain lists why), never an error. AWS_EC2_METADATA_DISABLED
 * =true turns the source off; AWS_EC2_METADATA_SERVICE_ENDPOINT (or the
 * profile's ec2_metadata_service_endpoint) moves it, which is what the
 * tests do.
 */
#include "aws/creds_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aws/error.h"
#include "aws/util.h"

#define IMDS_V4 "http://169.254.169.254"
#define IMDS_V6 "http://[fd00:ec2::254]"
#define TOKEN_TTL "21600"
#define CREDS_PATH "/latest/meta-data/iam/security-credentials/"

struct imds {
	tp_cred_provider base;
	char *base_url;        /* no trailing '/' */
	int attempts;
	long timeout_ms;
	int v1_disabled;
};

/* One exchange for the caller's loop: the transport error is kept in `why`. */
static int send_once(const struct imds *m, const char *method, const char *path,
		     const char *token, tp_http_response *resp, char *why, size_t size)
{
	tp_header h = { token ? "X-aws-ec2-metadata-token" : "X-aws-ec2-metadata-token-ttl-seconds",
			token ? token : TOKEN_TTL };
	char *url = tp_xasprintf("%s%s", m->base_url, path);
	tp_http_request req;
	int rc;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.headers = &h;
	req.nheaders = token || strcmp(method, "PUT") == 0 ? 1 : 0;
	req.connect_timeout_ms = m->timeout_ms;
	req.timeout_ms = 2 * m->timeout_ms;
	req.max_response = 1 << 20;
	rc = tp_http_send(resp, &req);
	if (rc < 0)
		tp_creds_http_reason(why, size, rc);
	free(url);
	return rc;
}

/*
 * The session token into *token (NULL: use IMDSv1). TP_ENOTFOUND with the
 * reason in `why` when the service is not there.
 */
static int get_token(const struct imds *m, char **token, char *why, size_t size)
{
	tp_http_response resp = TP_HTTP_RESPONSE_INIT;
	long status = 0;
	int i, rc = -1;

	*token = NULL;
	for (i = 0; i < m->attempts; i++) {
		rc = send_once(m, "PUT", "/latest/api/token", NULL, &resp, why, size);
		status = rc == 0 ? resp.status : 0;
		if (rc == 0 && (status == 200 || status == 400 || status == 403 ||
				status == 404 || status == 405))
			break;   /* an answer; 5xx and transport errors are retried */
	}
	if (rc == 0 && status == 200 && resp.body.len > 0)
		*token = tp_buf_detach(&resp.body);
	tp_http_response_release(&resp);
	if (rc < 0)
		return TP_ENOTFOUND;
	if (*token)
		return 0;
	if (status == 400 || m->v1_disabled) {
		snprintf(why, size, status == 400 ? "the token request was refused (HTTP %ld)"
			 : "no session token (HTTP %ld) and IMDSv1 is disabled", status);
		return TP_ENOTFOUND;
	}
	return 0;   /* IMDSv1 */
}

/* GET `path` until it answers 200 with a body; the body into `out`. */
static int get(const struct imds *m, const char *path, const char *token, tp_buf *out,
	       char *why, size_t size)
{
	tp_http_response resp = TP_HTTP_RESPONSE_INIT;
	int i, rc = -1;

	for (i = 0; i < m->attempts; i++) {
		rc = send_once(m, "GET", path, token, &resp, why, size);
		if (rc == 0 && resp.status == 200 && resp.body.len > 0)
			break;
		if (rc == 0)
			snprintf(why, size, "GET %s: HTTP %ld", path, resp.status);
		rc = -1;
	}
	if (rc == 0) {
		*out = resp.body;
		tp_buf_init(&resp.body, 0);
	}
	tp_http_response_release(&resp);
	return rc;
}

/* The first line of the role listing. */
static char *first_line(const tp_buf *b)
{
	const char *s = tp_buf_cstr(b);

	return tp_xstrndup(s, strcspn(s, "\r\n \t"));
}

static int imds_fetch(const struct imds *m, tp_creds *out, char *why, size_t size)
{
	tp_buf list = TP_BUF_INIT, doc = TP_BUF_INIT;
	char *token = NULL, *role = NULL, *path = NULL;
	const char *bad = NULL;
	int rc;

	if ((rc = get_token(m, &token, why, size)) < 0)
		goto done;
	if ((rc = get(m, CREDS_PATH, token, &list, why, size)) < 0)
		goto done;
	role = first_line(&list);
	path = tp_xasprintf("%s%s", CREDS_PATH, role);
	if ((rc = get(m, path, token, &doc, why, size)) < 0)
		goto done;
	if ((rc = tp_creds_from_json(&doc, out, &bad)) < 0)
		snprintf(why, size, "role %s: %s", role, bad);
	else
		out->source = tp_xasprintf("instance metadata (role %s)", role);
done:
	if (doc.ptr)
		memset(doc.ptr, 0, doc.len);
	tp_buf_release(&doc);
	tp_buf_release(&list);
	free(token);
	free(role);
	free(path);
	return rc;
}

static int imds_load(tp_cred_provider *self, tp_creds *out)
{
	struct imds *m = (struct imds *)self;
	char why[512] = "";

	if (imds_fetch(m, out, why, sizeof(why)) < 0) {
		tp_creds_release(out);
		return tp_error_set(TP_ENOTFOUND, "instance metadata (%s: %s)", m->base_url, why);
	}
	return 0;
}

static void imds_free(tp_cred_provider *self)
{
	struct imds *m = (struct imds *)self;

	free(m->base_url);
	free(m);
}

static int env_true(const char *name)
{
	const char *v = getenv(name);

	return v && strcasecmp(v, "true") == 0;
}

static long env_long(const char *name, long dflt, long lo, long hi)
{
	const char *v = getenv(name);
	long n;

	return v && tp_parse_long(v, &n) == 0 && n >= lo && n <= hi ? n : dflt;
}

/* AWS_EC2_METADATA_SERVICE_ENDPOINT, the profile's, the IPv6 mode's, or the default. */
static char *endpoint(const tp_creds_config *cfg)
{
	const char *e = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	size_t n;

	if (!e || !*e)
		e = tp_creds_config_get(cfg, cfg->profile, "ec2_metadata_service_endpoint");
	if (!mode || !*mode)
		mode = tp_creds_config_get(cfg, cfg->profile, "ec2_metadata_service_endpoint_mode");
	if (!e || !*e)
		e = mode && strcasecmp(mode, "IPv6") == 0 ? IMDS_V6 : IMDS_V4;
	n = strlen(e);
	while (n > 0 && e[n - 1] == '/')
		n--;
	return tp_xstrndup(e, n);
}

int tp_creds_source_imds(const tp_creds_config *cfg, tp_cred_provider **out)
{
	struct imds *m;
	char *base;

	*out = NULL;
	if (env_true("AWS_EC2_METADATA_DISABLED"))
		return tp_error_set(TP_ENOTFOUND, "instance metadata (AWS_EC2_METADATA_DISABLED=true)");
	base = endpoint(cfg);
	if (!tp_starts_with(base, "http://") && !tp_starts_with(base, "https://")) {
		tp_error_set(TP_EINVAL, "the instance metadata endpoint '%s' is not an http(s) URL", base);
		free(base);
		return TP_EINVAL;
	}
	m = tp_xcalloc(1, sizeof(*m));
	m->base.name = "imds";
	m->base.load = imds_load;
	m->base.free = imds_free;
	m->base_url = base;
	m->attempts = (int)env_long("AWS_METADATA_SERVICE_NUM_ATTEMPTS", 2, 1, 10);
	m->timeout_ms = 1000 * env_long("AWS_METADATA_SERVICE_TIMEOUT", 1, 1, 60);
	m->v1_disabled = env_true("AWS_EC2_METADATA_V1_DISABLED");
	*out = &m->base;
	return 0;
}
