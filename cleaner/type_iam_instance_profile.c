/*
 * IAMInstanceProfile: every instance profile of the account (global).
 * Tags come from GetInstanceProfile (ListInstanceProfiles leaves them out
 * on AWS; moto lacks ListInstanceProfileTags).
 * remove takes its roles out (RemoveRoleFromInstanceProfile: the link is
 * the profile's; the role itself is untouched and stays if protected),
 * then deletes it.
 */
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

static int add_profile(void *arg, xmlNodePtr m)
{
	lister *l = arg;
	char name[128], arn[512];
	tp_resource *r;

	tp_xml_text_buf(m, "InstanceProfileName", name, sizeof(name));
	tp_xml_text_buf(m, "Arn", arn, sizeof(arn));
	if (!name[0])
		return 0;
	r = tp_resource_new(&tp_type_iam_instance_profile, "global", name);
	tp_resource_set_arn(r, arn);
	r->created = tp_xml_time(m, "CreateDate");
	tp_tags_add(l->out, r, tp_iam_tags(l->ctx, "GetInstanceProfile",
					   "InstanceProfileName", name, r));
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, out };

	(void)region;
	return tp_each_query(ctx->client, "iam", TP_IAM_REGION, "ListInstanceProfiles", NULL,
			     "Marker", "Marker", "ListInstanceProfilesResult/InstanceProfiles/member",
			     add_profile, &l);
}

static int remove_profile(tp_clean_ctx *ctx, const tp_resource *r)
{
	json_t *roles = json_array();
	int rc;

	/* GetInstanceProfile: the profile's roles now (NoSuchEntity when gone). */
	rc = tp_iam_collect(ctx, "GetInstanceProfile", "InstanceProfileName", r->id,
			    "InstanceProfile/Roles/member", "RoleName", roles);
	if (rc == 0)
		rc = tp_iam_each(ctx, "RemoveRoleFromInstanceProfile", "InstanceProfileName", r->id,
				 "RoleName", roles);
	if (rc == 0)
		rc = tp_iam_call(ctx, "DeleteInstanceProfile", "InstanceProfileName", r->id, NULL,
				 NULL);
	json_decref(roles);
	return rc;
}

const tp_resource_type tp_type_iam_instance_profile = {
	.name = "IAMInstanceProfile",
	.global = 1,
	.list = list,
	.remove = remove_profile,
};
