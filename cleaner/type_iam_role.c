/*
 * IAMRole: every role of the account (global). Skipped, with the reason:
 * service-linked roles (path /aws-service-role/: only their service may
 * delete them, through DeleteServiceLinkedRole once nothing uses them) and
 * IAM Identity Center roles (/aws-reserved/sso.amazonaws.com/). remove
 * undoes what hangs off the role, then deletes it: its links to instance
 * profiles (the profiles themselves are IAMInstanceProfile's; a role
 * cannot be deleted while in one, so no waits_for is needed either way),
 * its managed-policy attachments and its inline policies. A missing role
 * answers NoSuchEntity on the first step -> TP_ENOTFOUND.
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

static int add_role(void *arg, xmlNodePtr m)
{
	lister *l = arg;
	char name[128], arn[512], path[512];
	tp_resource *r;

	tp_xml_text_buf(m, "RoleName", name, sizeof(name));
	tp_xml_text_buf(m, "Arn", arn, sizeof(arn));
	tp_xml_text_buf(m, "Path", path, sizeof(path));
	if (!name[0])
		return 0;
	r = tp_resource_new(&tp_type_iam_role, "global", name);
	tp_resource_set_arn(r, arn);
	r->created = tp_xml_time(m, "CreateDate");
	r->props = json_pack("{s:s}", "path", path);
	if (tp_starts_with(path, "/aws-service-role/"))
		tp_resource_skip(r, "service-linked role: only its service can delete it");
	else if (tp_starts_with(path, "/aws-reserved/sso.amazonaws.com/"))
		tp_resource_skip(r, "IAM Identity Center role: managed by AWS SSO");
	tp_tags_add(l->out, r, tp_iam_tags(l->ctx, "ListRoleTags", "RoleName", name, r));
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, out };

	(void)region;
	return tp_each_query(ctx->client, "iam", TP_IAM_REGION, "ListRoles", NULL, "Marker",
			     "Marker", "ListRolesResult/Roles/member", add_role, &l);
}

static int remove_role(tp_clean_ctx *ctx, const tp_resource *r)
{
	const char *name = r->id;
	int rc;

	rc = tp_iam_undo(ctx, "ListInstanceProfilesForRole", "InstanceProfiles/member",
			 "InstanceProfileName", "RemoveRoleFromInstanceProfile", "RoleName", name,
			 "InstanceProfileName");
	if (rc == 0)
		rc = tp_iam_undo(ctx, "ListAttachedRolePolicies", "AttachedPolicies/member",
				 "PolicyArn", "DetachRolePolicy", "RoleName", name, "PolicyArn");
	if (rc == 0)
		rc = tp_iam_undo(ctx, "ListRolePolicies", "PolicyNames/member", "",
				 "DeleteRolePolicy", "RoleName", name, "PolicyName");
	if (rc == 0)
		rc = tp_iam_call(ctx, "DeleteRole", "RoleName", name, NULL, NULL);
	return rc;
}

const tp_resource_type tp_type_iam_role = {
	.name = "IAMRole",
	.global = 1,
	.list = list,
	.remove = remove_role,
};
