/*
 * IAMUser: every user of the account (global). remove first undoes
 * everything AWS refuses DeleteUser over, in the order the IAM guide
 * gives: login profile (password), access keys, signing certificates,
 * SSH public keys, MFA devices (deactivated, and deleted when virtual),
 * inline policies, managed-policy attachments, group memberships; then
 * DeleteUser. The groups themselves are left. Service-specific credentials
 * (CodeCommit, Keyspaces) are rare: they are removed only when DeleteUser
 * answers DeleteConflict, then DeleteUser once more (which also keeps the
 * common case a call shorter; moto lacks ListServiceSpecificCredentials).
 */
#include <string.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "aws/xml.h"
#include "cleaner/calls.h"
#include "cleaner/fields.h"
#include "cleaner/iam.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

typedef struct lister {
	tp_clean_ctx *ctx;
	tp_resource_list *out;
} lister;

static int add_user(void *arg, xmlNodePtr m)
{
	lister *l = arg;
	char name[128], arn[512];
	tp_resource *r;

	tp_xml_text_buf(m, "UserName", name, sizeof(name));
	tp_xml_text_buf(m, "Arn", arn, sizeof(arn));
	if (!name[0])
		return 0;
	r = tp_resource_new(&tp_type_iam_user, "global", name);
	tp_resource_set_arn(r, arn);
	r->created = tp_xml_time(m, "CreateDate");
	tp_tags_add(l->out, r, tp_iam_tags(l->ctx, "ListUserTags", "UserName", name, r));
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, out };

	(void)region;
	return tp_each_query(ctx->client, "iam", TP_IAM_REGION, "ListUsers", NULL, "Marker",
			     "Marker", "ListUsersResult/Users/member", add_user, &l);
}

/* The login profile: NoSuchEntity means the user has none. */
static int remove_login_profile(tp_clean_ctx *ctx, const char *user)
{
	int rc = tp_iam_call(ctx, "DeleteLoginProfile", "UserName", user, NULL, NULL);

	if (rc == TP_ENOTFOUND) {
		tp_error_clear();
		return 0;
	}
	return rc < 0 ? tp_error_prefix("deleting the login profile of %s: ", user) : 0;
}

static int remove_mfa_devices(tp_clean_ctx *ctx, const char *user)
{
	json_t *serials = json_array(), *s;
	size_t i;
	int rc;

	rc = tp_iam_collect(ctx, "ListMFADevices", "UserName", user, "MFADevices/member",
			    "SerialNumber", serials);
	if (rc == 0)
		rc = tp_iam_each(ctx, "DeactivateMFADevice", "UserName", user, "SerialNumber",
				 serials);
	json_array_foreach(serials, i, s) {
		const char *serial = json_string_value(s);

		if (rc < 0 || !strstr(serial, ":mfa/"))   /* hardware tokens are not deleted */
			continue;
		rc = tp_iam_call(ctx, "DeleteVirtualMFADevice", "SerialNumber", serial, NULL, NULL);
		if (rc == TP_ENOTFOUND) {
			tp_error_clear();
			rc = 0;
		}
	}
	json_decref(serials);
	return rc;
}

static int remove_user(tp_clean_ctx *ctx, const tp_resource *r)
{
	const char *u = r->id;
	int rc;

	/* GetUser first: NoSuchEntity -> TP_ENOTFOUND before anything else. */
	rc = tp_iam_call(ctx, "GetUser", "UserName", u, NULL, NULL);
	if (rc == 0)
		rc = remove_login_profile(ctx, u);
	if (rc == 0)
		rc = tp_iam_undo(ctx, "ListAccessKeys", "AccessKeyMetadata/member", "AccessKeyId",
				 "DeleteAccessKey", "UserName", u, "AccessKeyId");
	if (rc == 0)
		rc = tp_iam_undo(ctx, "ListSigningCertificates", "Certificates/member",
				 "CertificateId", "DeleteSigningCertificate", "UserName", u,
				 "CertificateId");
	if (rc == 0)
		rc = tp_iam_undo(ctx, "ListSSHPublicKeys", "SSHPublicKeys/member", "SSHPublicKeyId",
				 "DeleteSSHPublicKey", "UserName", u, "SSHPublicKeyId");
	if (rc == 0)
		rc = remove_mfa_devices(ctx, u);
	if (rc == 0)
		rc = tp_iam_undo(ctx, "ListUserPolicies", "PolicyNames/member", "",
				 "DeleteUserPolicy", "UserName", u, "PolicyName");
	if (rc == 0)
		rc = tp_iam_undo(ctx, "ListAttachedUserPolicies", "AttachedPolicies/member",
				 "PolicyArn", "DetachUserPolicy", "UserName", u, "PolicyArn");
	if (rc == 0)
		rc = tp_iam_undo(ctx, "ListGroupsForUser", "Groups/member", "GroupName",
				 "RemoveUserFromGroup", "UserName", u, "GroupName");
	if (rc == 0)
		rc = tp_iam_call(ctx, "DeleteUser", "UserName", u, NULL, NULL);
	if (rc < 0 && tp_error_is("DeleteConflict")) {
		rc = tp_iam_undo(ctx, "ListServiceSpecificCredentials",
				 "ServiceSpecificCredentials/member", "ServiceSpecificCredentialId",
				 "DeleteServiceSpecificCredential", "UserName", u,
				 "ServiceSpecificCredentialId");
		if (rc == 0)
			rc = tp_iam_call(ctx, "DeleteUser", "UserName", u, NULL, NULL);
	}
	return rc;
}

const tp_resource_type tp_type_iam_user = {
	.name = "IAMUser",
	.global = 1,
	.list = list,
	.remove = remove_user,
};
