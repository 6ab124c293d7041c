/*
 * SNSTopic: topics of a region; the id is the topic ARN, the name its last
 * part. SNS has no creation date. Subscriptions go first (waits_for), so
 * their own filters decide about them. DeleteTopic answers success for a
 * topic that does not exist (documented: the action is idempotent), so a
 * second remove returns 0.
 */
#include <string.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "aws/xml.h"
#include "cleaner/calls.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

typedef struct lister {
	tp_clean_ctx *ctx;
	const char *region;
	tp_resource_list *out;
} lister;

static int read_tags(lister *l, tp_resource *r)
{
	return tp_tags_query(l->ctx->client, "sns", l->region, "ResourceArn", r->id, r);
}

static int add_topic(void *arg, xmlNodePtr m)
{
	lister *l = arg;
	char arn[512];
	const char *colon;
	tp_resource *r;

	tp_xml_text_buf(m, "TopicArn", arn, sizeof(arn));
	if (!arn[0])
		return 0;
	colon = strrchr(arn, ':');
	r = tp_resource_new(&tp_type_sns_topic, l->region, arn);
	tp_resource_set_name(r, colon ? colon + 1 : arn);
	tp_resource_set_arn(r, arn);
	tp_tags_add(l->out, r, read_tags(l, r));
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out };

	return tp_each_query(ctx->client, "sns", region, "ListTopics", NULL, "NextToken",
			     "NextToken", "ListTopicsResult/Topics/member", add_topic, &l);
}

static int remove_topic(tp_clean_ctx *ctx, const tp_resource *r)
{
	tp_params p = TP_PARAMS_INIT;

	tp_params_add(&p, "TopicArn", r->id);
	return tp_call_query(ctx->client, "sns", r->region, "DeleteTopic", &p);
}

static const char *const waits[] = { "SNSSubscription", NULL };

const tp_resource_type tp_type_sns_topic = {
	.name = "SNSTopic",
	.waits_for = waits,
	.list = list,
	.remove = remove_topic,
};
