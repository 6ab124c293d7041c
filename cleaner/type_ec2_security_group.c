/*
 * EC2SecurityGroup: security groups of a region, except each VPC's
 * "default" group (it goes with its VPC and cannot be deleted alone). The
 * id is the group id, the name the group's. EC2 keeps no creation date.
 *
 * Groups that reference each other in rules cannot be deleted in either
 * order, so remove first revokes this group's rules (ingress and egress)
 * that name *other* groups, then deletes it: when A and B name each
 * other, A's delete may still fail this pass (B names A), but A no longer
 * names B, so B goes, and A goes in the next pass. A group still used by
 * a network interface fails with EC2's DependencyViolation message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "aws/xml.h"
#include "cleaner/calls.h"
#include "cleaner/fields.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

#define SVC "ec2"

typedef struct lister {
	tp_clean_ctx *ctx;
	const char *region;
	tp_resource_list *out;
} lister;

static int add_group(void *arg, xmlNodePtr g)
{
	lister *l = arg;
	char id[64], name[256], vpc[64], *arn;
	tp_resource *r;

	tp_xml_text_buf(g, "groupId", id, sizeof(id));
	tp_xml_text_buf(g, "groupName", name, sizeof(name));
	tp_xml_text_buf(g, "vpcId", vpc, sizeof(vpc));
	if (!id[0] || strcmp(name, "default") == 0)
		return 0;
	r = tp_resource_new(&tp_type_ec2_security_group, l->region, id);
	tp_resource_set_name(r, name);
	arn = tp_xasprintf("arn:aws:ec2:%s:%s:security-group/%s", l->region, l->ctx->account, id);
	tp_resource_set_arn(r, arn);
	free(arn);
	tp_tags_from_xml(r, g, "tagSet/item");
	r->props = json_pack("{s:s}", "vpc", vpc);
	tp_resource_list_add(l->out, r);
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out };
	tp_params p = TP_PARAMS_INIT;
	int rc;

	tp_params_add(&p, "MaxResults", "1000");
	rc = tp_each_query(ctx->client, SVC, region, "DescribeSecurityGroups", &p, "NextToken",
			   "nextToken", "securityGroupInfo/item", add_group, &l);
	tp_params_release(&p);
	return rc;
}

typedef struct revoker {
	const char *self;
	tp_params *p;
	int n;          /* permissions added */
} revoker;

/* One permission's references to other groups as IpPermissions.N.* */
static int add_permission(void *arg, xmlNodePtr perm)
{
	revoker *rv = arg;
	xmlNodePtr pair;
	char key[96], proto[16], from[16], to[16], gid[64], uid[32];
	int m = 0;

	tp_xml_text_buf(perm, "ipProtocol", proto, sizeof(proto));
	tp_xml_text_buf(perm, "fromPort", from, sizeof(from));
	tp_xml_text_buf(perm, "toPort", to, sizeof(to));
	for (pair = tp_xml_path(perm, "groups") ? tp_xml_path(perm, "groups")->children : NULL;
	     pair; pair = pair->next) {
		if (pair->type != XML_ELEMENT_NODE)
			continue;
		tp_xml_text_buf(pair, "groupId", gid, sizeof(gid));
		tp_xml_text_buf(pair, "userId", uid, sizeof(uid));
		if (!gid[0] || strcmp(gid, rv->self) == 0)
			continue;
		if (m == 0) {
			rv->n++;
			snprintf(key, sizeof(key), "IpPermissions.%d.IpProtocol", rv->n);
			tp_params_add(rv->p, key, proto);
			if (from[0] && strcmp(proto, "-1") != 0) {
				snprintf(key, sizeof(key), "IpPermissions.%d.FromPort", rv->n);
				tp_params_add(rv->p, key, from);
				snprintf(key, sizeof(key), "IpPermissions.%d.ToPort", rv->n);
				tp_params_add(rv->p, key, to);
			}
		}
		m++;
		snprintf(key, sizeof(key), "IpPermissions.%d.Groups.%d.GroupId", rv->n, m);
		tp_params_add(rv->p, key, gid);
		if (uid[0]) {
			snprintf(key, sizeof(key), "IpPermissions.%d.Groups.%d.UserId", rv->n, m);
			tp_params_add(rv->p, key, uid);
		}
	}
	return 0;
}

static int revoke(tp_clean_ctx *ctx, const tp_resource *r, xmlNodePtr group, const char *list,
		  const char *action)
{
	tp_params p = TP_PARAMS_INIT;
	revoker rv = { r->id, &p, 0 };
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "%s/item", list);
	tp_params_add(&p, "GroupId", r->id);
	tp_xml_foreach(group, path, add_permission, &rv);
	if (rv.n == 0) {
		tp_params_release(&p);
		return 0;
	}
	rc = tp_call_query(ctx->client, SVC, r->region, action, &p);
	if (rc == TP_ENOTFOUND) {
		/* A rule or group named went meanwhile (moto lets a referenced
		 * group be deleted; AWS leaves stale rules across peerings).
		 * Revoking only prepares: DeleteSecurityGroup decides. */
		tp_error_clear();
		rc = 0;
	}
	return rc < 0 ? tp_error_prefix("security group %s: %s: ", r->id, action) : rc;
}

static int remove_group(tp_clean_ctx *ctx, const tp_resource *r)
{
	tp_params p = TP_PARAMS_INIT;
	xmlDocPtr doc = NULL;
	xmlNodePtr g;
	int rc;

	tp_params_add(&p, "GroupId.1", r->id);
	rc = tp_aws_query(ctx->client, &doc, SVC, r->region, "DescribeSecurityGroups", &p);
	tp_params_release(&p);
	g = rc == 0 ? tp_xml_path(tp_xml_root(doc), "securityGroupInfo/item") : NULL;
	if (rc == 0 && !g)
		rc = tp_error_set(TP_ENOTFOUND, "security group %s not found", r->id);
	if (rc == 0)
		rc = revoke(ctx, r, g, "ipPermissions", "RevokeSecurityGroupIngress");
	if (rc == 0)
		rc = revoke(ctx, r, g, "ipPermissionsEgress", "RevokeSecurityGroupEgress");
	if (rc == 0) {
		tp_params_add(&p, "GroupId", r->id);
		rc = tp_call_query(ctx->client, SVC, r->region, "DeleteSecurityGroup", &p);
	}
	xmlFreeDoc(doc);
	return rc;
}

const tp_resource_type tp_type_ec2_security_group = {
	.name = "EC2SecurityGroup",
	.list = list,
	.remove = remove_group,
};
