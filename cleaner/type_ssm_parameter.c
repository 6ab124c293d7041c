/*
 * SSMParameter: Parameter Store parameters of a region (DescribeParameters,
 * 50 a page); tags from ListTagsForResource (ResourceType Parameter).
 * SSM keeps no creation date (LastModifiedDate is not one). The ARN is the
 * answer's, or built as AWS writes it: "parameter/name" for plain names,
 * "parameter/a/b" for "/a/b".
 */
#include <stdio.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/calls.h"
#include "cleaner/fields.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

#define SVC "ssm"

typedef struct lister {
	tp_clean_ctx *ctx;
	const char *region;
	tp_resource_list *out;
} lister;

static int add_parameter(void *arg, json_t *p)
{
	lister *l = arg;
	const char *name = tp_jstr(p, "Name"), *arn = tp_jstr(p, "ARN");
	tp_resource *r;
	char built[2300];

	if (!name)
		return 0;
	r = tp_resource_new(&tp_type_ssm_parameter, l->region, name);
	if (!arn) {
		snprintf(built, sizeof(built), "arn:aws:ssm:%s:%s:parameter%s%s", l->region,
			 l->ctx->account, name[0] == '/' ? "" : "/", name);
		arn = built;
	}
	tp_resource_set_arn(r, arn);
	tp_tags_add(l->out, r, tp_tags_json(l->ctx->client, SVC, l->region, "ListTagsForResource",
					    json_pack("{s:s, s:s}", "ResourceType", "Parameter",
						      "ResourceId", r->id), "TagList", r));
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out };
	json_t *body = json_pack("{s:i}", "MaxResults", 50);
	int rc;

	rc = tp_each_json(ctx->client, SVC, region, "DescribeParameters", body, "NextToken",
			  "NextToken", "Parameters", add_parameter, &l);
	json_decref(body);
	return rc;
}

static int remove_parameter(tp_clean_ctx *ctx, const tp_resource *r)
{
	return tp_call_json(ctx->client, SVC, r->region, "DeleteParameter",
			    json_pack("{s:s}", "Name", r->id));
}

const tp_resource_type tp_type_ssm_parameter = {
	.name = "SSMParameter",
	.list = list,
	.remove = remove_parameter,
};
