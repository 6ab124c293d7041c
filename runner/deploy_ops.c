/* The deployer's call and result types (runner/deploy_ops.h). */
#include "runner/deploy_ops.h"

#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"

void tp_kv_list_add(tp_kv_list *l, const char *key, const char *value)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 8;
		l->items = tp_xrealloc(l->items, l->alloc * sizeof(*l->items));
	}
	l->items[l->n].key = tp_xstrdup(key ? key : "");
	l->items[l->n].value = tp_xstrdup(value ? value : "");
	l->n++;
}

const char *tp_kv_list_get(const tp_kv_list *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return l->items[i].value;
	return NULL;
}

void tp_kv_list_copy(tp_kv_list *dst, const tp_kv *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		tp_kv_list_add(dst, items[i].key, items[i].value);
}

void tp_kv_list_release(tp_kv_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static const char *const op_names[TP_CFN_OP_COUNT] = {
	"DescribeStacks", "CreateStack", "UpdateStack", "DeleteStack",
	"DescribeStackEvents", "PutTemplate", "RunCommand",
};

const char *tp_cfn_op_name(tp_cfn_op op)
{
	return (unsigned)op < TP_CFN_OP_COUNT ? op_names[op] : "?";
}

int tp_cfn_op_is_cloudformation(tp_cfn_op op)
{
	return op <= TP_CFN_DESCRIBE_STACK_EVENTS;
}

void tp_cfn_stack_release(tp_cfn_stack *s)
{
	free(s->stack_id);
	free(s->stack_name);
	free(s->status);
	free(s->status_reason);
	tp_kv_list_release(&s->tags);
	tp_kv_list_release(&s->outputs);
	memset(s, 0, sizeof(*s));
}

void tp_cfn_stack_copy(tp_cfn_stack *dst, const tp_cfn_stack *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->stack_id = tp_xstrdup(src->stack_id);
	dst->stack_name = tp_xstrdup(src->stack_name);
	dst->status = tp_xstrdup(src->status);
	dst->status_reason = tp_xstrdup(src->status_reason);
	tp_kv_list_copy(&dst->tags, src->tags.items, src->tags.n);
	tp_kv_list_copy(&dst->outputs, src->outputs.items, src->outputs.n);
}

static void event_release(tp_cfn_event *e)
{
	free(e->event_id);
	free(e->stack_id);
	free(e->logical_id);
	free(e->physical_id);
	free(e->resource_type);
	free(e->status);
	free(e->reason);
	free(e->client_request_token);
	free(e->timestamp);
}

void tp_cfn_result_release(tp_cfn_result *r)
{
	size_t i;

	free(r->aws_code);
	free(r->message);
	free(r->request_id);
	tp_cfn_stack_release(&r->stack);
	free(r->stack_id);
	for (i = 0; i < r->nevents; i++)
		event_release(&r->events[i]);
	free(r->events);
	free(r->next_token);
	free(r->template_url);
	free(r->log_path);
	memset(r, 0, sizeof(*r));
}

int tp_cfn_result_error(tp_cfn_result *r, int rc, const char *aws_code, const char *message)
{
	free(r->aws_code);
	free(r->message);
	r->rc = rc;
	r->aws_code = tp_xstrdup(aws_code ? aws_code : "");
	r->message = tp_xstrdup(message ? message : "");
	return rc;
}

tp_cfn_event *tp_cfn_result_add_event(tp_cfn_result *r)
{
	r->events = tp_xrealloc(r->events, (r->nevents + 1) * sizeof(*r->events));
	memset(&r->events[r->nevents], 0, sizeof(*r->events));
	return &r->events[r->nevents++];
}

int tp_cfn_ops_call(const tp_cfn_ops *ops, void *account, const tp_cfn_request *req,
		    tp_cfn_result *out)
{
	int (*fn)(void *, const tp_cfn_request *, tp_cfn_result *) = NULL;

	switch (req->op) {
	case TP_CFN_DESCRIBE_STACKS: fn = ops->describe_stacks; break;
	case TP_CFN_CREATE_STACK: fn = ops->create_stack; break;
	case TP_CFN_UPDATE_STACK: fn = ops->update_stack; break;
	case TP_CFN_DELETE_STACK: fn = ops->delete_stack; break;
	case TP_CFN_DESCRIBE_STACK_EVENTS: fn = ops->describe_stack_events; break;
	case TP_CFN_PUT_TEMPLATE: fn = ops->put_template; break;
	case TP_CFN_RUN_COMMAND: fn = ops->run_command; break;
	case TP_CFN_OP_COUNT: break;
	}
	if (!fn)
		return tp_cfn_result_error(out, TP_ERROR, NULL, "operation not supported");
	return fn(account, req, out);
}
