/*
 * EC2VPC: the non-default VPCs of a region (the default VPC is the
 * account's baseline, not a test's leftover). The id is the VPC id; the
 * name is its Name tag when it has one, so name rules read as in the
 * console. EC2 keeps no creation date.
 *
 * Decision: subnets, route tables, internet gateways and network ACLs are
 * owned by EC2VPC's remove, not types of their own: none outlives its VPC,
 * and nobody filters on them apart from it. remove detaches and deletes the
 * VPC's internet gateways, deletes its subnets, its non-main route tables
 * (after their remaining associations) and its non-default network ACLs,
 * then the VPC (its main route table, default ACL and default security
 * group go with it). Security groups are a type of their own (rules of
 * other VPCs' groups may name them, and they are filtered on), so EC2VPC
 * waits for EC2SecurityGroup. Anything else left in the VPC (NAT
 * gateways, endpoints, instances' interfaces) fails DeleteVpc with EC2's
 * DependencyViolation message.
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

static int add_vpc(void *arg, xmlNodePtr v)
{
	lister *l = arg;
	char id[64], dflt[8], *arn;
	const char *name;
	tp_resource *r;

	tp_xml_text_buf(v, "vpcId", id, sizeof(id));
	tp_xml_text_buf(v, "isDefault", dflt, sizeof(dflt));
	if (!id[0] || strcmp(dflt, "true") == 0)
		return 0;
	r = tp_resource_new(&tp_type_ec2_vpc, l->region, id);
	arn = tp_xasprintf("arn:aws:ec2:%s:%s:vpc/%s", l->region, l->ctx->account, id);
	tp_resource_set_arn(r, arn);
	free(arn);
	tp_tags_from_xml(r, v, "tagSet/item");
	name = tp_resource_tag(r, "Name");
	if (name && *name)
		tp_resource_set_name(r, name);
	tp_resource_list_add(l->out, r);
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out };
	tp_params p = TP_PARAMS_INIT;
	int rc;

	tp_params_add(&p, "MaxResults", "1000");
	rc = tp_each_query(ctx->client, SVC, region, "DescribeVpcs", &p, "NextToken", "nextToken",
			   "vpcSet/item", add_vpc, &l);
	tp_params_release(&p);
	return rc;
}

/* ---- what the VPC owns --------------------------------------------------- */

typedef struct part {
	const char *field;    /* id element of an item */
	const char *skip_if;  /* boolean element that, when true, leaves the item alone */
	json_t *ids;
} part;

static int collect_part(void *arg, xmlNodePtr item)
{
	part *pt = arg;
	char id[64], flag[8];

	tp_xml_text_buf(item, pt->field, id, sizeof(id));
	tp_xml_text_buf(item, pt->skip_if ? pt->skip_if : "", flag, sizeof(flag));
	if (id[0] && !(pt->skip_if && strcmp(flag, "true") == 0))
		json_array_append_new(pt->ids, json_string(id));
	return 0;
}

/* The ids at `path` of `action` filtered by `filter` = vpc. */
static int collect(tp_clean_ctx *ctx, const tp_resource *r, const char *action,
		   const char *filter, const char *path, part *pt)
{
	tp_params p = TP_PARAMS_INIT;
	int rc;

	tp_params_add(&p, "Filter.1.Name", filter);
	tp_params_add(&p, "Filter.1.Value.1", r->id);
	rc = tp_each_query(ctx->client, SVC, r->region, action, &p, "NextToken", "nextToken", path,
			   collect_part, pt);
	tp_params_release(&p);
	return rc < 0 ? tp_error_prefix("VPC %s: %s: ", r->id, action) : 0;
}

/* `action` with key = each id (and VpcId when with_vpc); gone counts as done. */
static int each(tp_clean_ctx *ctx, const tp_resource *r, const char *action, const char *key,
		const json_t *ids, int with_vpc)
{
	json_t *id;
	size_t i;
	int rc;

	json_array_foreach(ids, i, id) {
		tp_params p = TP_PARAMS_INIT;

		tp_params_add(&p, key, json_string_value(id));
		if (with_vpc)
			tp_params_add(&p, "VpcId", r->id);
		rc = tp_call_query(ctx->client, SVC, r->region, action, &p);
		if (rc == TP_ENOTFOUND) {
			tp_error_clear();
			continue;
		}
		if (rc < 0)
			return tp_error_prefix("VPC %s: %s %s: ", r->id, action, json_string_value(id));
	}
	return 0;
}

static int remove_gateways(tp_clean_ctx *ctx, const tp_resource *r)
{
	part pt = { "internetGatewayId", NULL, json_array() };
	int rc = collect(ctx, r, "DescribeInternetGateways", "attachment.vpc-id",
			 "internetGatewaySet/item", &pt);

	if (rc == 0)
		rc = each(ctx, r, "DetachInternetGateway", "InternetGatewayId", pt.ids, 1);
	if (rc == 0)
		rc = each(ctx, r, "DeleteInternetGateway", "InternetGatewayId", pt.ids, 0);
	json_decref(pt.ids);
	return rc;
}

static int remove_subnets(tp_clean_ctx *ctx, const tp_resource *r)
{
	part pt = { "subnetId", NULL, json_array() };
	int rc = collect(ctx, r, "DescribeSubnets", "vpc-id", "subnetSet/item", &pt);

	if (rc == 0)
		rc = each(ctx, r, "DeleteSubnet", "SubnetId", pt.ids, 0);
	json_decref(pt.ids);
	return rc;
}

typedef struct tables {
	json_t *tables;   /* non-main route tables */
	json_t *assocs;   /* their associations */
} tables;

static int main_association(void *arg, xmlNodePtr a)
{
	char flag[8];

	(void)arg;
	tp_xml_text_buf(a, "main", flag, sizeof(flag));
	return strcmp(flag, "true") == 0;
}

/* The main route table goes with the VPC; the others and their associations are ours. */
static int collect_table(void *arg, xmlNodePtr table)
{
	tables *t = arg;
	part table_id = { "routeTableId", NULL, t->tables };
	part assoc = { "routeTableAssociationId", "main", t->assocs };

	if (tp_xml_foreach(table, "associationSet/item", main_association, NULL))
		return 0;
	collect_part(&table_id, table);
	return tp_xml_foreach(table, "associationSet/item", collect_part, &assoc);
}

static int remove_route_tables(tp_clean_ctx *ctx, const tp_resource *r)
{
	tables t = { json_array(), json_array() };
	tp_params p = TP_PARAMS_INIT;
	int rc;

	tp_params_add(&p, "Filter.1.Name", "vpc-id");
	tp_params_add(&p, "Filter.1.Value.1", r->id);
	rc = tp_each_query(ctx->client, SVC, r->region, "DescribeRouteTables", &p, "NextToken",
			   "nextToken", "routeTableSet/item", collect_table, &t);
	tp_params_release(&p);
	if (rc < 0)
		tp_error_prefix("VPC %s: DescribeRouteTables: ", r->id);
	if (rc == 0)
		rc = each(ctx, r, "DisassociateRouteTable", "AssociationId", t.assocs, 0);
	if (rc == 0)
		rc = each(ctx, r, "DeleteRouteTable", "RouteTableId", t.tables, 0);
	json_decref(t.tables);
	json_decref(t.assocs);
	return rc;
}

static int remove_acls(tp_clean_ctx *ctx, const tp_resource *r)
{
	part pt = { "networkAclId", "default", json_array() };
	int rc = collect(ctx, r, "DescribeNetworkAcls", "vpc-id", "networkAclSet/item", &pt);

	if (rc == 0)
		rc = each(ctx, r, "DeleteNetworkAcl", "NetworkAclId", pt.ids, 0);
	json_decref(pt.ids);
	return rc;
}

static int remove_vpc(tp_clean_ctx *ctx, const tp_resource *r)
{
	tp_params p = TP_PARAMS_INIT;
	int rc;

	/* InvalidVpcID.NotFound here -> TP_ENOTFOUND before anything else */
	tp_params_add(&p, "VpcId.1", r->id);
	rc = tp_call_query(ctx->client, SVC, r->region, "DescribeVpcs", &p);
	if (rc == 0)
		rc = remove_gateways(ctx, r);
	if (rc == 0)
		rc = remove_subnets(ctx, r);
	if (rc == 0)
		rc = remove_route_tables(ctx, r);
	if (rc == 0)
		rc = remove_acls(ctx, r);
	if (rc == 0) {
		tp_params_add(&p, "VpcId", r->id);
		rc = tp_call_query(ctx->client, SVC, r->region, "DeleteVpc", &p);
	}
	return rc;
}

static const char *const waits[] = { "EC2SecurityGroup", NULL };

const tp_resource_type tp_type_ec2_vpc = {
	.name = "EC2VPC",
	.waits_for = waits,
	.list = list,
	.remove = remove_vpc,
};
