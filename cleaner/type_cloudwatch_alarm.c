/*
 * CloudWatchAlarm: metric and composite alarms of a region (DescribeAlarms
 * with both AlarmTypes), tags from ListTagsForResource. CloudWatch keeps
 * no creation date. DeleteAlarms of a missing alarm: AWS answers
 * ResourceNotFound (-> TP_ENOTFOUND), moto answers success; both mean gone.
 * A metric alarm that a composite alarm still names cannot be deleted
 * until the composite is; the next pass gets it.
 */
#include <string.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "aws/xml.h"
#include "cleaner/calls.h"
#include "cleaner/fields.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

#define SVC "cloudwatch"

typedef struct lister {
	tp_clean_ctx *ctx;
	const char *region;
	tp_resource_list *out;
} lister;

static int read_tags(lister *l, tp_resource *r)
{
	return tp_tags_query(l->ctx->client, SVC, l->region, "ResourceARN", r->arn, r);
}

static int add_alarm(void *arg, xmlNodePtr m)
{
	lister *l = arg;
	char name[512], arn[1024];
	tp_resource *r;

	tp_xml_text_buf(m, "AlarmName", name, sizeof(name));
	tp_xml_text_buf(m, "AlarmArn", arn, sizeof(arn));
	if (!name[0])
		return 0;
	r = tp_resource_new(&tp_type_cloudwatch_alarm, l->region, name);
	tp_resource_set_arn(r, arn[0] ? arn : NULL);
	r->props = json_pack("{s:b}", "composite", strcmp((const char *)m->parent->name,
								"CompositeAlarms") == 0);
	tp_tags_add(l->out, r, r->arn ? read_tags(l, r) : tp_error_set(TP_EAWS, "no ARN"));
	return 0;
}

static int page(void *arg, xmlDocPtr doc)
{
	xmlNodePtr res = tp_xml_path(tp_xml_root(doc), "DescribeAlarmsResult");
	int rc = tp_xml_foreach(res, "MetricAlarms/member", add_alarm, arg);

	return rc ? rc : tp_xml_foreach(res, "CompositeAlarms/member", add_alarm, arg);
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out };
	tp_params p = TP_PARAMS_INIT;
	int rc;

	tp_params_add(&p, "AlarmTypes.member.1", "MetricAlarm");
	tp_params_add(&p, "AlarmTypes.member.2", "CompositeAlarm");
	rc = tp_aws_query_paginate(ctx->client, SVC, region, "DescribeAlarms", &p, "NextToken",
				   "NextToken", page, &l);
	tp_params_release(&p);
	return rc;
}

static int remove_alarm(tp_clean_ctx *ctx, const tp_resource *r)
{
	tp_params p = TP_PARAMS_INIT;

	tp_params_add(&p, "AlarmNames.member.1", r->id);
	return tp_call_query(ctx->client, SVC, r->region, "DeleteAlarms", &p);
}

const tp_resource_type tp_type_cloudwatch_alarm = {
	.name = "CloudWatchAlarm",
	.list = list,
	.remove = remove_alarm,
};
