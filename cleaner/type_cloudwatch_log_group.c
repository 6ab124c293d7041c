/*
 * CloudWatchLogGroup: log groups of a region (DescribeLogGroups), tags from
 * ListTagsForResource on the group's ARN (logGroupArn; older answers only
 * have "arn", which ends in ":*"). Created from creationTime (ms).
 */
#include <string.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/calls.h"
#include "cleaner/fields.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

typedef struct lister {
	tp_clean_ctx *ctx;
	const char *region;
	tp_resource_list *out;
} lister;

static int add_group(void *arg, json_t *g)
{
	lister *l = arg;
	const char *name = tp_jstr(g, "logGroupName"), *arn = tp_jstr(g, "logGroupArn");
	tp_resource *r;

	if (!name)
		return 0;
	r = tp_resource_new(&tp_type_cloudwatch_log_group, l->region, name);
	if (arn) {
		tp_resource_set_arn(r, arn);
	} else if ((arn = tp_jstr(g, "arn")) != NULL) {
		size_t n = strlen(arn);

		r->arn = tp_xstrndup(arn, tp_ends_with(arn, ":*") ? n - 2 : n);
	}
	r->created = tp_jtime(g, "creationTime");
	tp_tags_add(l->out, r, tp_tags_json_arn(l->ctx->client, "logs", l->region,
						"resourceArn", "tags", r));
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out };

	return tp_each_json(ctx->client, "logs", region, "DescribeLogGroups", NULL, "nextToken",
			    "nextToken", "logGroups", add_group, &l);
}

static int remove_group(tp_clean_ctx *ctx, const tp_resource *r)
{
	return tp_call_json(ctx->client, "logs", r->region, "DeleteLogGroup",
			    json_pack("{s:s}", "logGroupName", r->id));
}

const tp_resource_type tp_type_cloudwatch_log_group = {
	.name = "CloudWatchLogGroup",
	.list = list,
	.remove = remove_group,
};
