/*
 * EventBridgeBus: custom event buses of a region; "default" cannot be
 * deleted and is not listed. Rules on a bus go first (waits_for): a bus
 * with rules cannot be deleted. DeleteEventBus of a missing bus answers
 * success, so a second remove returns 0.
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

static int add_bus(void *arg, json_t *bus)
{
	lister *l = arg;
	const char *name = tp_jstr(bus, "Name");
	tp_resource *r;

	if (!name || strcmp(name, "default") == 0)
		return 0;
	r = tp_resource_new(&tp_type_eventbridge_bus, l->region, name);
	tp_resource_set_arn(r, tp_jstr(bus, "Arn"));
	r->created = tp_jtime(bus, "CreationTime");
	tp_tags_add(l->out, r, tp_tags_json_arn(l->ctx->client, "events", l->region,
						"ResourceARN", "Tags", r));
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out };

	return tp_each_json(ctx->client, "events", region, "ListEventBuses", NULL, "NextToken",
			    "NextToken", "EventBuses", add_bus, &l);
}

static int remove_bus(tp_clean_ctx *ctx, const tp_resource *r)
{
	return tp_call_json(ctx->client, "events", r->region, "DeleteEventBus",
			    json_pack("{s:s}", "Name", r->id));
}

static const char *const waits[] = { "EventBridgeRule", NULL };

const tp_resource_type tp_type_eventbridge_bus = {
	.name = "EventBridgeBus",
	.waits_for = waits,
	.list = list,
	.remove = remove_bus,
};
