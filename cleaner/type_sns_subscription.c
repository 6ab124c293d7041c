/*
 * SNSSubscription: subscriptions of a region; the id is the subscription
 * ARN, the name "<topic name> -> <protocol>:<endpoint>" so filters can
 * match the topic and what it delivers to. Subscriptions have neither tags
 * nor a creation date of their own; they carry their topic's tags, so a tag
 * rule that protects a topic protects its subscriptions too (a topic whose
 * tags cannot be read, one of another account say, makes its subscriptions
 * skipped). A subscription still "PendingConfirmation" has no ARN and cannot
 * be unsubscribed: it is skipped (AWS drops it after 3 days, and with its
 * topic).
 */
#include <stdio.h>
#include <stdlib.h>
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
	json_t *topics;     /* topic ARN -> its tags (object), read once per listing */
} lister;

static int topic_tag(void *arg, xmlNodePtr m)
{
	char *k = tp_xml_text(m, "Key"), *v = tp_xml_text(m, "Value");

	if (k)
		json_object_set_new(arg, k, json_string(v ? v : ""));
	free(k);
	free(v);
	return 0;
}

/* The topic's tags (borrowed), or NULL with the error set. A deleted topic has none. */
static json_t *topic_tags(lister *l, const char *topic)
{
	tp_params p = TP_PARAMS_INIT;
	xmlDocPtr doc = NULL;
	json_t *tags = json_object_get(l->topics, topic);
	int rc;

	if (tags)
		return tags;
	tp_params_add(&p, "ResourceArn", topic);
	rc = tp_aws_query(l->ctx->client, &doc, "sns", l->region, "ListTagsForResource", &p);
	tp_params_release(&p);
	if (rc < 0 && rc != TP_ENOTFOUND)
		return NULL;
	tp_error_clear();
	tags = json_object();
	tp_xml_foreach(tp_xml_root(doc), "ListTagsForResourceResult/Tags/member", topic_tag, tags);
	xmlFreeDoc(doc);
	json_object_set_new(l->topics, topic, tags);
	return tags;
}

static int add_subscription(void *arg, xmlNodePtr m)
{
	lister *l = arg;
	char arn[512], topic[512], proto[32], endpoint[512], name[1200];
	const char *colon;
	tp_resource *r;
	json_t *tags;

	tp_xml_text_buf(m, "SubscriptionArn", arn, sizeof(arn));
	tp_xml_text_buf(m, "TopicArn", topic, sizeof(topic));
	tp_xml_text_buf(m, "Protocol", proto, sizeof(proto));
	tp_xml_text_buf(m, "Endpoint", endpoint, sizeof(endpoint));
	colon = strrchr(topic, ':');
	snprintf(name, sizeof(name), "%s -> %s:%s", colon ? colon + 1 : topic, proto, endpoint);
	if (!tp_starts_with(arn, "arn:")) {
		/* "PendingConfirmation" (or "Deleted"): no ARN to unsubscribe */
		r = tp_resource_new(&tp_type_sns_subscription, l->region, name);
		tp_resource_skip(r, "subscription %s: cannot be deleted; AWS removes it with its topic "
				 "or after 3 days", arn);
	} else {
		r = tp_resource_new(&tp_type_sns_subscription, l->region, arn);
		tp_resource_set_arn(r, arn);
	}
	tp_resource_set_name(r, name);
	r->props = json_pack("{s:s}", "topic", topic);
	tags = topic_tags(l, topic);
	if (tags)
		tp_tags_from_json(r, tags);
	else
		tp_tags_unreadable(r);
	tp_resource_list_add(l->out, r);
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out, json_object() };
	int rc;

	rc = tp_each_query(ctx->client, "sns", region, "ListSubscriptions", NULL, "NextToken",
			   "NextToken", "ListSubscriptionsResult/Subscriptions/member",
			   add_subscription, &l);
	json_decref(l.topics);
	return rc;
}

static int remove_subscription(tp_clean_ctx *ctx, const tp_resource *r)
{
	tp_params p = TP_PARAMS_INIT;

	tp_params_add(&p, "SubscriptionArn", r->id);
	return tp_call_query(ctx->client, "sns", r->region, "Unsubscribe", &p);
}

const tp_resource_type tp_type_sns_subscription = {
	.name = "SNSSubscription",
	.list = list,
	.remove = remove_subscription,
};
