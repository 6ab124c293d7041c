/*
 * EventBridgeRule: the rules of every event bus of a region (the default
 * bus and custom ones). The id is "<bus>/<rule>", the name the rule's.
 * Rules managed by an AWS service (ManagedBy) are skipped: their service
 * owns them. remove takes the targets off first (RemoveTargets, 100 at a
 * time, as AWS requires before DeleteRule). DeleteRule itself is
 * idempotent, but ListTargetsByRule of a missing rule answers
 * ResourceNotFoundException, so a second remove returns TP_ENOTFOUND.
 */
#include <stdio.h>
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
	const char *bus;
} lister;

static int add_rule(void *arg, json_t *rule)
{
	lister *l = arg;
	const char *name = tp_jstr(rule, "Name"), *managed = tp_jstr(rule, "ManagedBy");
	tp_resource *r;
	char id[600];

	if (!name)
		return 0;
	snprintf(id, sizeof(id), "%s/%s", l->bus, name);
	r = tp_resource_new(&tp_type_eventbridge_rule, l->region, id);
	tp_resource_set_name(r, name);
	tp_resource_set_arn(r, tp_jstr(rule, "Arn"));
	r->props = json_pack("{s:s, s:s}", "bus", l->bus, "rule", name);
	if (managed && *managed)
		tp_resource_skip(r, "managed by %s", managed);
	tp_tags_add(l->out, r, tp_tags_json_arn(l->ctx->client, "events", l->region,
						"ResourceARN", "Tags", r));
	return 0;
}

static int add_bus_rules(void *arg, json_t *bus)
{
	lister *l = arg;
	json_t *body;
	int rc;

	l->bus = tp_jstr(bus, "Name");
	if (!l->bus)
		return 0;
	body = json_pack("{s:s, s:i}", "EventBusName", l->bus, "Limit", 100);
	rc = tp_each_json(l->ctx->client, "events", l->region, "ListRules", body, "NextToken",
			  "NextToken", "Rules", add_rule, l);
	json_decref(body);
	if (rc == TP_ENOTFOUND) {    /* the bus went away since ListEventBuses */
		tp_error_clear();
		rc = 0;
	}
	return rc;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out, NULL };

	return tp_each_json(ctx->client, "events", region, "ListEventBuses", NULL, "NextToken",
			    "NextToken", "EventBuses", add_bus_rules, &l);
}

typedef struct targets {
	json_t *ids;
} targets;

static int add_target(void *arg, json_t *t)
{
	targets *ts = arg;
	const char *id = tp_jstr(t, "Id");

	if (id)
		json_array_append_new(ts->ids, json_string(id));
	return 0;
}

static int remove_targets(tp_clean_ctx *ctx, const tp_resource *r, const char *bus, const char *rule)
{
	json_t *body = json_pack("{s:s, s:s, s:i}", "Rule", rule, "EventBusName", bus, "Limit", 100);
	targets ts = { json_array() };
	size_t i;
	int rc;

	rc = tp_each_json(ctx->client, "events", r->region, "ListTargetsByRule", body, "NextToken",
			  "NextToken", "Targets", add_target, &ts);
	for (i = 0; rc == 0 && i < json_array_size(ts.ids); i += 100) {
		json_t *chunk = json_array();
		size_t j;

		for (j = i; j < i + 100 && j < json_array_size(ts.ids); j++)
			json_array_append(chunk, json_array_get(ts.ids, j));
		rc = tp_call_json(ctx->client, "events", r->region, "RemoveTargets",
				  json_pack("{s:s, s:s, s:o, s:b}", "Rule", rule, "EventBusName",
					    bus, "Ids", chunk, "Force", 1));
	}
	json_decref(ts.ids);
	json_decref(body);
	return rc;
}

static int remove_rule(tp_clean_ctx *ctx, const tp_resource *r)
{
	const char *bus = tp_jstr(r->props, "bus"), *rule = tp_jstr(r->props, "rule");
	int rc;

	if ((rc = remove_targets(ctx, r, bus, rule)) < 0)
		return rc;
	return tp_call_json(ctx->client, "events", r->region, "DeleteRule",
			    json_pack("{s:s, s:s}", "Name", rule, "EventBusName", bus));
}

const tp_resource_type tp_type_eventbridge_rule = {
	.name = "EventBridgeRule",
	.list = list,
	.remove = remove_rule,
};
