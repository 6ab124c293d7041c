/*
 * StepFunctionsStateMachine: state machines of a region; the id is the
 * ARN, the name the machine's. DeleteStateMachine marks it DELETING and
 * stops its executions; for an ARN that does not exist AWS answers
 * success (moto: StateMachineDoesNotExist), so a second remove returns
 * 0 or TP_ENOTFOUND.
 */
#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/calls.h"
#include "cleaner/fields.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

#define SVC "stepfunctions"

typedef struct lister {
	tp_clean_ctx *ctx;
	const char *region;
	tp_resource_list *out;
} lister;

static int add_machine(void *arg, json_t *m)
{
	lister *l = arg;
	const char *arn = tp_jstr(m, "stateMachineArn");
	tp_resource *r;

	if (!arn)
		return 0;
	r = tp_resource_new(&tp_type_stepfunctions_state_machine, l->region, arn);
	tp_resource_set_name(r, tp_jstr(m, "name"));
	tp_resource_set_arn(r, arn);
	r->created = tp_jtime(m, "creationDate");
	tp_tags_add(l->out, r, tp_tags_json_arn(l->ctx->client, SVC, l->region,
						"resourceArn", "tags", r));
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out };
	json_t *body = json_pack("{s:i}", "maxResults", 1000);
	int rc;

	rc = tp_each_json(ctx->client, SVC, region, "ListStateMachines", body, "nextToken",
			  "nextToken", "stateMachines", add_machine, &l);
	json_decref(body);
	return rc;
}

static int remove_machine(tp_clean_ctx *ctx, const tp_resource *r)
{
	return tp_call_json(ctx->client, SVC, r->region, "DeleteStateMachine",
			    json_pack("{s:s}", "stateMachineArn", r->id));
}

const tp_resource_type tp_type_stepfunctions_state_machine = {
	.name = "StepFunctionsStateMachine",
	.list = list,
	.remove = remove_machine,
};
