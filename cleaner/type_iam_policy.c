/*
 * IAMPolicy: customer-managed policies (ListPolicies Scope=Local; AWS's
 * own are not the account's to delete). The id is the ARN, the name the
 * policy's.
 *
 * Decision: a policy never changes the roles and users it is attached to.
 * It waits for IAMRole and IAMUser, whose removal detaches it from
 * everything being deleted; what still holds it then is protected (or
 * skipped), and detaching it there would change a protected resource's
 * permissions (think of the role tidepool itself assumes). So remove
 * fails, naming the holders, until they let go; protect the policy too.
 * Groups are not a resource type here, so the policy is detached from
 * groups. Then every non-default version is deleted (DeletePolicy refuses
 * while they exist), then the policy.
 */
#include <string.h>

#include "aws/buf.h"
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

static int add_policy(void *arg, xmlNodePtr m)
{
	lister *l = arg;
	char name[128], arn[512];
	tp_resource *r;

	tp_xml_text_buf(m, "PolicyName", name, sizeof(name));
	tp_xml_text_buf(m, "Arn", arn, sizeof(arn));
	if (!arn[0])
		return 0;
	r = tp_resource_new(&tp_type_iam_policy, "global", arn);
	tp_resource_set_name(r, name);
	tp_resource_set_arn(r, arn);
	r->created = tp_xml_time(m, "CreateDate");
	tp_tags_add(l->out, r, tp_iam_tags(l->ctx, "ListPolicyTags", "PolicyArn", arn, r));
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, out };
	tp_params p = TP_PARAMS_INIT;
	int rc;

	(void)region;
	tp_params_add(&p, "Scope", "Local");
	rc = tp_each_query(ctx->client, "iam", TP_IAM_REGION, "ListPolicies", &p, "Marker",
			   "Marker", "ListPoliciesResult/Policies/member", add_policy, &l);
	tp_params_release(&p);
	return rc;
}

/* Refuses while roles or users hold the policy (see the top); detaches groups. */
static int check_holders(tp_clean_ctx *ctx, const tp_resource *r)
{
	json_t *roles = json_array(), *users = json_array(), *groups = json_array(), *v;
	tp_buf who = TP_BUF_INIT;
	size_t i;
	int rc;

	rc = tp_iam_collect(ctx, "ListEntitiesForPolicy", "PolicyArn", r->id,
			    "PolicyRoles/member", "RoleName", roles);
	if (rc == 0)
		rc = tp_iam_collect(ctx, "ListEntitiesForPolicy", "PolicyArn", r->id,
				    "PolicyUsers/member", "UserName", users);
	if (rc == 0)
		rc = tp_iam_collect(ctx, "ListEntitiesForPolicy", "PolicyArn", r->id,
				    "PolicyGroups/member", "GroupName", groups);
	if (rc == 0)
		rc = tp_iam_each(ctx, "DetachGroupPolicy", "PolicyArn", r->id, "GroupName", groups);
	json_array_foreach(roles, i, v)
		tp_buf_addf(&who, "%srole %s", who.len ? ", " : "", json_string_value(v));
	json_array_foreach(users, i, v)
		tp_buf_addf(&who, "%suser %s", who.len ? ", " : "", json_string_value(v));
	if (rc == 0 && who.len)
		rc = tp_error_set(TP_ECONFLICT, "policy %s is still attached to %s, which stay%s: "
				  "protect the policy too, or let them go", r->name,
				  tp_buf_cstr(&who), json_array_size(roles) + json_array_size(users) > 1
				  ? "" : "s");
	tp_buf_release(&who);
	json_decref(roles);
	json_decref(users);
	json_decref(groups);
	return rc;
}

static int collect_old_version(void *arg, xmlNodePtr v)
{
	char id[64], dflt[8];

	tp_xml_text_buf(v, "VersionId", id, sizeof(id));
	tp_xml_text_buf(v, "IsDefaultVersion", dflt, sizeof(dflt));
	if (id[0] && strcmp(dflt, "true") != 0)
		json_array_append_new(arg, json_string(id));
	return 0;
}

static int remove_versions(tp_clean_ctx *ctx, const tp_resource *r)
{
	json_t *old = json_array();
	tp_params p = TP_PARAMS_INIT;
	int rc;

	tp_params_add(&p, "PolicyArn", r->id);
	rc = tp_each_query(ctx->client, "iam", TP_IAM_REGION, "ListPolicyVersions", &p, "Marker",
			   "Marker", "ListPolicyVersionsResult/Versions/member",
			   collect_old_version, old);
	if (rc == 0)
		rc = tp_iam_each(ctx, "DeletePolicyVersion", "PolicyArn", r->id, "VersionId", old);
	tp_params_release(&p);
	json_decref(old);
	return rc;
}

static int remove_policy(tp_clean_ctx *ctx, const tp_resource *r)
{
	int rc = check_holders(ctx, r);

	if (rc == 0)
		rc = remove_versions(ctx, r);
	if (rc == 0)
		rc = tp_iam_call(ctx, "DeletePolicy", "PolicyArn", r->id, NULL, NULL);
	return rc;
}

static const char *const waits[] = { "IAMRole", "IAMUser", NULL };

const tp_resource_type tp_type_iam_policy = {
	.name = "IAMPolicy",
	.global = 1,
	.waits_for = waits,
	.list = list,
	.remove = remove_policy,
};
