/* STS calls (query protocol). */
#ifndef TP_STS_H
#define TP_STS_H

#include "aws/client.h"
#include "aws/creds.h"

typedef struct tp_identity {
	char account[16];
	char arn[512];
	char user_id[256];
} tp_identity;

/* GetCallerIdentity. */
int tp_sts_get_caller_identity(tp_aws_client *c, tp_identity *out);

/*
 * AssumeRole: temporary credentials of `role_arn` into `out` (caller
 * releases), with expiration and account id filled. `external_id` may be
 * NULL; duration_s 0 = 3600.
 */
int tp_sts_assume_role(tp_aws_client *c, tp_creds *out, const char *role_arn,
		       const char *session_name, const char *external_id, int duration_s);

/* AssumeRoleWithWebIdentity (call through an anonymous client). */
int tp_sts_assume_role_with_web_identity(tp_aws_client *c, tp_creds *out,
					 const char *role_arn, const char *session_name,
					 const char *token, int duration_s);

/*
 * The credentials in an `action` ("AssumeRole") response document, into
 * `out` (zeroed first; caller releases). Returns 0, or TP_EAWS with `out`
 * empty when the document has no usable credentials. Exposed for the fuzz
 * target (tests/fuzz/fuzz_xml.c).
 */
int tp_sts_parse_credentials(xmlDocPtr doc, const char *action, tp_creds *out);

#endif
