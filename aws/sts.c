#include "aws/sts.h"

#include <stdio.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "aws/xml.h"

int tp_sts_get_caller_identity(tp_aws_client *c, tp_identity *out)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = tp_aws_query(c, &doc, "sts", NULL, "GetCallerIdentity", NULL)) < 0)
		return rc;
	r = tp_xml_child(tp_xml_root(doc), "GetCallerIdentityResult");
	tp_xml_text_buf(r, "Account", out->account, sizeof(out->account));
	tp_xml_text_buf(r, "Arn", out->arn, sizeof(out->arn));
	tp_xml_text_buf(r, "UserId", out->user_id, sizeof(out->user_id));
	xmlFreeDoc(doc);
	if (!out->arn[0])
		return tp_error_set(TP_EAWS, "sts GetCallerIdentity: no Arn in the response");
	return 0;
}

/* arn:aws:sts::123456789012:assumed-role/x/y -> 123456789012 */
static char *account_of_arn(const char *arn)
{
	const char *p = arn;
	int i;

	for (i = 0; i < 4 && p; i++) {
		p = strchr(p, ':');
		if (p)
			p++;
	}
	return p && strlen(p) >= 12 ? tp_xstrndup(p, 12) : NULL;
}

int tp_sts_parse_credentials(xmlDocPtr doc, const char *action, tp_creds *out)
{
	char result[96], *exp;
	xmlNodePtr r, cr;
	char *arn;

	memset(out, 0, sizeof(*out));
	snprintf(result, sizeof(result), "%sResult", action);
	r = tp_xml_child(tp_xml_root(doc), result);
	cr = tp_xml_child(r, "Credentials");
	out->access_key_id = tp_xml_text(cr, "AccessKeyId");
	out->secret_access_key = tp_xml_text(cr, "SecretAccessKey");
	out->session_token = tp_xml_text(cr, "SessionToken");
	exp = tp_xml_text(cr, "Expiration");
	if (!out->access_key_id || !out->secret_access_key || !exp ||
	    tp_time_parse_iso8601(exp, &out->expiration) < 0) {
		free(exp);
		tp_creds_release(out);
		return tp_error_set(TP_EAWS, "sts %s: the response has no usable credentials", action);
	}
	free(exp);
	arn = tp_xml_text(r, "AssumedRoleUser/Arn");
	out->account_id = arn ? account_of_arn(arn) : NULL;
	free(arn);
	return 0;
}

static int assume(tp_aws_client *c, tp_creds *out, const char *action, tp_params *p)
{
	xmlDocPtr doc = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = tp_aws_query(c, &doc, "sts", NULL, action, p);
	if (rc == 0)
		rc = tp_sts_parse_credentials(doc, action, out);
	xmlFreeDoc(doc);
	return rc;
}

int tp_sts_assume_role(tp_aws_client *c, tp_creds *out, const char *role_arn,
		       const char *session_name, const char *external_id, int duration_s)
{
	tp_params p = TP_PARAMS_INIT;
	int rc;

	tp_params_add(&p, "RoleArn", role_arn);
	tp_params_add(&p, "RoleSessionName", session_name);
	tp_params_addf(&p, "DurationSeconds", "%d", duration_s > 0 ? duration_s : 3600);
	if (external_id && *external_id)
		tp_params_add(&p, "ExternalId", external_id);
	rc = assume(c, out, "AssumeRole", &p);
	tp_params_release(&p);
	if (rc == 0)
		out->source = tp_xasprintf("assumed role %s", role_arn);
	return rc;
}

int tp_sts_assume_role_with_web_identity(tp_aws_client *c, tp_creds *out,
					 const char *role_arn, const char *session_name,
					 const char *token, int duration_s)
{
	tp_params p = TP_PARAMS_INIT;
	int rc;

	tp_params_add(&p, "RoleArn", role_arn);
	tp_params_add(&p, "RoleSessionName", session_name);
	tp_params_add(&p, "WebIdentityToken", token);
	tp_params_addf(&p, "DurationSeconds", "%d", duration_s > 0 ? duration_s : 3600);
	rc = assume(c, out, "AssumeRoleWithWebIdentity", &p);
	tp_params_release(&p);
	if (rc == 0)
		out->source = tp_xasprintf("web identity %s", role_arn);
	return rc;
}
