/*
 * What the container endpoint and IMDS have in common: the JSON credential
 * document they serve, and short reasons for transport failures.
 */
#include "aws/creds_internal.h"

#include <string.h>

#include <jansson.h>

#include "aws/error.h"
#include "aws/util.h"

static const char *member(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v && *v ? v : NULL;
}

int tp_creds_from_json(const tp_buf *body, tp_creds *out, const char **why)
{
	json_t *doc = json_loadb(tp_buf_cstr(body), body->len, 0, NULL);
	const char *exp = member(doc, "Expiration");
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(doc))
		*why = "the response is not a JSON object";
	else if (!member(doc, "AccessKeyId") || !member(doc, "SecretAccessKey") ||
		 !member(doc, "Token") || !exp)
		*why = "the response lacks AccessKeyId, SecretAccessKey, Token or Expiration";
	else if (tp_time_parse_iso8601(exp, &out->expiration) < 0)
		*why = "the response's Expiration is not an ISO 8601 time";
	else
		rc = 0;
	if (rc == 0) {
		out->access_key_id = tp_xstrdup(member(doc, "AccessKeyId"));
		out->secret_access_key = tp_xstrdup(member(doc, "SecretAccessKey"));
		out->session_token = tp_xstrdup(member(doc, "Token"));
		out->account_id = tp_xstrdup(member(doc, "AccountId"));
	}
	json_decref(doc);
	return rc;
}

void tp_creds_http_reason(char *buf, size_t size, int rc)
{
	const char *msg = tp_error_last()->msg;
	const char *p = tp_starts_with(msg, "cannot reach ") ? strstr(msg, ": ") : NULL;

	if (rc == TP_ETIMEOUT)
		tp_strlcpy(buf, "timed out", size);
	else
		tp_strlcpy(buf, p ? p + 2 : msg, size);
}
