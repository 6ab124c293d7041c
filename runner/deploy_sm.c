/*
 * The per-stack deploy state machine (runner/deploy_sm.h).
 *
 * A machine is in one phase at a time; a CALL's result is read in the
 * light of the phase, a WAIT always ends in the call stored in `next`.
 *
 *   DESCRIBE --missing--------------------------> [UPLOAD] -> CREATE -> CREATING
 *      |  \----exists, other hash--------------> [UPLOAD] -> UPDATE -> UPDATING
 *      |   \---ROLLBACK_COMPLETE & co-----------> DELETE -> DELETING -> (create)
 *      |    \--*_IN_PROGRESS: poll, DESCRIBE again
 *      |     \-command stack: COMMAND -> CHECKING
 *      `--same hash, *_COMPLETE: DONE skipped
 *   CREATING/UPDATING/CHECKING/DELETING poll DescribeStacks until the status
 *   settles; a failed one goes through EVENTS (DescribeStackEvents pages)
 *   to name the first failed resource.
 */
#include "runner/deploy_sm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/resource.h"

#define MAX_EVENT_PAGES 10
#define MAX_REDECIDES 5

typedef enum phase {
	P_START,
	P_DESCRIBE,     /* deciding: DescribeStacks by name (again after waiting for others) */
	P_UPLOAD,       /* PutTemplate, then `then` */
	P_CREATE,       /* CreateStack outstanding (or being retried) */
	P_UPDATE,
	P_DELETE,
	P_CREATING,     /* polling our operation */
	P_UPDATING,
	P_DELETING,
	P_COMMAND,      /* the command runs */
	P_CHECKING,     /* after the command: the stack must settle at our hash */
	P_EVENTS,       /* collecting the failure */
	P_DONE
} phase;

struct tp_dsm {
	tp_dsm_stack s;
	tp_dsm_opts o;
	phase phase;
	tp_dsm_action act;
	tp_cfn_op next;            /* the call a WAIT ends in */
	phase then;                /* after P_UPLOAD: P_CREATE or P_UPDATE */
	tp_cfn_stack last;         /* the stack as last described */
	int have_last;
	int existed;               /* it existed when we started */
	char *stack_id;
	tp_kv *tags;               /* own + tidepool:* */
	size_t ntags;
	char token[TP_DSM_TOKEN_MAX];
	int attempt;               /* Create/Update/Delete operations started */
	char bucket[96];
	char *key;
	char *template_url;
	int polls;                 /* polls of the current wait (the backoff exponent) */
	int errors;                /* retryable errors in a row */
	int redecides;
	int64_t waited_ms;
	unsigned calls;
	/* failure collection */
	char *fail_status;         /* the stack's status when it failed */
	char *fail_reason;         /* its StackStatusReason */
	char *first_failed;        /* "CREATE_FAILED X (T): reason" of the earliest seen */
	char *next_token;
	int pages;
	tp_buf msg;
	char *aws_code;            /* of the failure, when AWS sent one */
};

static const char *const outcome_names[] = {
	"pending", "running", "created", "updated", "skipped", "failed", "blocked", "cancelled",
};

const char *tp_deploy_outcome_name(tp_deploy_outcome o)
{
	return (unsigned)o < TP_ARRAY_SIZE(outcome_names) ? outcome_names[o] : "?";
}

/* ---- small pieces ---------------------------------------------------------- */

static int status_is(const char *status, const char *want)
{
	return status && strcmp(status, want) == 0;
}

static int in_progress(const char *status)
{
	return status && tp_ends_with(status, "_IN_PROGRESS") &&
	       !status_is(status, "REVIEW_IN_PROGRESS");
}

static int settled_ok(const char *status)
{
	return status_is(status, "CREATE_COMPLETE") || status_is(status, "UPDATE_COMPLETE");
}

/* Throttled, a transport failure, or AWS failing (5xx) past the client's own retries. */
static int retryable(const tp_cfn_result *r)
{
	return r->rc == TP_ETHROTTLED || r->rc == TP_ENET || r->rc == TP_ETIMEOUT ||
	       (r->rc == TP_EAWS && r->http_status >= 500);
}

static const char *msg_of(const tp_cfn_result *r)
{
	return r->message && *r->message ? r->message : "(no message)";
}

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = tp_xstrdup(src);
}

int64_t tp_dsm_backoff_ms(const tp_dsm_opts *o, int n, double j)
{
	int64_t first = o->poll_first_ms > 0 ? o->poll_first_ms : 1000;
	int64_t max = o->poll_max_ms > 0 ? o->poll_max_ms : 20000;
	int64_t nominal = first, d;

	while (n-- > 0 && nominal < max)
		nominal *= 2;
	if (nominal > max)
		nominal = max;
	d = (int64_t)((double)nominal * (0.8 + 0.4 * j));
	return d < first ? first : d > max ? max : d;
}

void tp_dsm_token(char out[TP_DSM_TOKEN_MAX], const char *run_id, const char *account,
		  const char *region, const char *stack, const char *hash, const char *op,
		  int attempt)
{
	char hex[65];
	char *in = tp_xasprintf("%s\n%s\n%s\n%s\n%s\n%s\n%d", run_id ? run_id : "", account,
				region, stack, hash, op, attempt);

	tp_sha256_hex(hex, in, strlen(in));
	snprintf(out, TP_DSM_TOKEN_MAX, "tidepool-%.40s", hex);
	free(in);
}

/* ---- actions ------------------------------------------------------------------ */

static const tp_dsm_action *finish(tp_dsm *m, tp_deploy_outcome outcome, const char *aws_code)
{
	m->phase = P_DONE;
	memset(&m->act, 0, sizeof(m->act));
	m->act.kind = TP_DSM_DONE;
	m->act.outcome = outcome;
	m->act.message = m->msg.len ? tp_buf_cstr(&m->msg) : NULL;
	if (aws_code != m->aws_code)
		set_str(&m->aws_code, aws_code && *aws_code ? aws_code : NULL);
	m->act.aws_code = m->aws_code;
	m->act.stack = outcome != TP_DEPLOY_FAILED && m->have_last ? &m->last : NULL;
	return &m->act;
}

static const tp_dsm_action *done(tp_dsm *m, tp_deploy_outcome outcome, const char *note)
{
	tp_buf_reset(&m->msg);
	if (note)
		tp_buf_adds(&m->msg, note);
	return finish(m, outcome, NULL);
}

static const tp_dsm_action *fail(tp_dsm *m, const char *aws_code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static const tp_dsm_action *fail(tp_dsm *m, const char *aws_code, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	tp_buf_reset(&m->msg);
	tp_buf_adds(&m->msg, line);
	return finish(m, TP_DEPLOY_FAILED, aws_code);
}

/* A failed call: "CreateStack: ValidationError: No export named x found." */
static const tp_dsm_action *fail_call(tp_dsm *m, tp_cfn_op op, const tp_cfn_result *r)
{
	if (r->aws_code && *r->aws_code)
		return fail(m, r->aws_code, "%s: %s: %s", tp_cfn_op_name(op), r->aws_code,
			    msg_of(r));
	return fail(m, NULL, "%s: %s", tp_cfn_op_name(op), msg_of(r));
}

/* A new operation: a new token (its retries reuse it). */
static void token_for(tp_dsm *m, tp_cfn_op op)
{
	tp_dsm_token(m->token, m->o.run_id, m->o.account, m->o.region, m->s.name, m->s.hash,
		     tp_cfn_op_name(op), ++m->attempt);
}

static void fill_template(tp_dsm *m, tp_cfn_request *q)
{
	if (m->template_url) {
		q->template_url = m->template_url;
	} else {
		q->template_body = m->s.template_body;
		q->template_len = m->s.template_len;
	}
	q->parameters = m->s.parameters;
	q->nparameters = m->s.nparameters;
	q->capabilities = m->s.capabilities;
	q->ncapabilities = m->s.ncapabilities;
	q->tags = m->tags;
	q->ntags = m->ntags;
	q->client_request_token = m->token;
}

/* The request for `op` from the machine's state. */
static const tp_dsm_action *call(tp_dsm *m, tp_cfn_op op)
{
	tp_cfn_request *q = &m->act.req;

	memset(&m->act, 0, sizeof(m->act));
	m->act.kind = TP_DSM_CALL;
	q->op = op;
	q->stack_name = m->s.name;
	q->stack = m->stack_id && m->phase != P_DESCRIBE && m->phase != P_CHECKING ?
		   m->stack_id : m->s.name;
	if (op == TP_CFN_CREATE_STACK || op == TP_CFN_UPDATE_STACK)
		fill_template(m, q);
	if (op == TP_CFN_PUT_TEMPLATE) {
		q->template_body = m->s.template_body;
		q->template_len = m->s.template_len;
	}
	if (op == TP_CFN_DELETE_STACK)
		q->client_request_token = m->token;
	q->next_token = op == TP_CFN_DESCRIBE_STACK_EVENTS ? m->next_token : NULL;
	q->bucket = m->bucket;
	q->key = m->key;
	q->command = m->s.command;
	q->hash = m->s.hash;
	q->env = m->s.env;
	q->nenv = m->s.nenv;
	if (tp_cfn_op_is_cloudformation(op))
		m->calls++;
	return &m->act;
}

static double jitter(tp_dsm *m)
{
	double j = m->o.jitter ? m->o.jitter(m->o.jitter_ctx) : 0.5;

	return j < 0 ? 0 : j >= 1 ? 0.999999 : j;
}

static const char *status_of(const tp_dsm *m)
{
	return m->have_last && m->last.status ? m->last.status : "not yet described";
}

/* WAIT, then `op`; fails when the machine's waiting budget is spent. */
static const tp_dsm_action *wait_then(tp_dsm *m, int n, tp_cfn_op op)
{
	int64_t ms = tp_dsm_backoff_ms(&m->o, n, jitter(m));
	int64_t budget = m->o.timeout_ms > 0 ? m->o.timeout_ms : 2 * 3600 * 1000;
	char spent[32];

	if (m->waited_ms + ms > budget) {
		tp_format_duration(spent, sizeof(spent), (long)(m->waited_ms / 1000));
		return fail(m, NULL, "timed out after waiting %s for %s (stack status %s)", spent,
			    tp_cfn_op_name(op), status_of(m));
	}
	m->waited_ms += ms;
	m->next = op;
	memset(&m->act, 0, sizeof(m->act));
	m->act.kind = TP_DSM_WAIT;
	m->act.wait_ms = ms;
	return &m->act;
}

static const tp_dsm_action *poll(tp_dsm *m)
{
	return wait_then(m, m->polls++, TP_CFN_DESCRIBE_STACKS);
}

/* A retryable error of `op`: the same request again after a backoff, or FAILED. */
static const tp_dsm_action *retry(tp_dsm *m, tp_cfn_op op, const tp_cfn_result *r)
{
	int max = m->o.max_errors > 0 ? m->o.max_errors : 10;

	if (++m->errors > max)
		return fail(m, r->aws_code, "%s: %s (%d attempts)", tp_cfn_op_name(op), msg_of(r),
			    m->errors);
	return wait_then(m, m->errors - 1, op);
}

/* ---- starting operations --------------------------------------------------------- */

static const tp_dsm_action *begin_write(tp_dsm *m, phase p)
{
	tp_cfn_op op = p == P_CREATE ? TP_CFN_CREATE_STACK : TP_CFN_UPDATE_STACK;

	if (m->s.template_len > TP_DSM_TEMPLATE_BODY_MAX && !m->template_url) {
		m->then = p;
		m->phase = P_UPLOAD;
		return call(m, TP_CFN_PUT_TEMPLATE);
	}
	token_for(m, op);
	m->phase = p;
	m->errors = 0;
	return call(m, op);
}

static const tp_dsm_action *begin_command(tp_dsm *m)
{
	m->phase = P_COMMAND;
	return call(m, TP_CFN_RUN_COMMAND);
}

static const tp_dsm_action *begin_create(tp_dsm *m)
{
	free(m->stack_id);
	m->stack_id = NULL;
	return m->s.command ? begin_command(m) : begin_write(m, P_CREATE);
}

static const tp_dsm_action *begin_delete(tp_dsm *m)
{
	token_for(m, TP_CFN_DELETE_STACK);
	m->phase = P_DELETE;
	m->errors = 0;
	return call(m, TP_CFN_DELETE_STACK);
}

static const tp_dsm_action *redecide(tp_dsm *m)
{
	if (++m->redecides > MAX_REDECIDES)
		return fail(m, NULL, "the stack kept changing under us (%d tries; last status %s)",
			    m->redecides - 1, status_of(m));
	m->phase = P_DESCRIBE;
	m->polls = 0;
	return poll(m);
}

/* ---- failures from events ---------------------------------------------------- */

static const tp_dsm_action *begin_events(tp_dsm *m)
{
	set_str(&m->fail_status, m->last.status);
	set_str(&m->fail_reason, m->last.status_reason);
	free(m->first_failed);
	m->first_failed = NULL;
	free(m->next_token);
	m->next_token = NULL;
	m->pages = 0;
	m->errors = 0;
	m->phase = P_EVENTS;
	return call(m, TP_CFN_DESCRIBE_STACK_EVENTS);
}

static const tp_dsm_action *fail_from_events(tp_dsm *m)
{
	if (m->first_failed)
		return fail(m, NULL, "%s (stack %s)", m->first_failed, m->fail_status);
	if (m->fail_reason && *m->fail_reason)
		return fail(m, NULL, "stack %s: %s", m->fail_status, m->fail_reason);
	return fail(m, NULL, "stack %s", m->fail_status);
}

static int own_event(const tp_dsm *m, const tp_cfn_event *e)
{
	return tp_streq(e->resource_type, "AWS::CloudFormation::Stack") &&
	       tp_streq(e->logical_id, m->s.name);
}

static int operation_start(const char *status)
{
	return status_is(status, "CREATE_IN_PROGRESS") || status_is(status, "UPDATE_IN_PROGRESS") ||
	       status_is(status, "DELETE_IN_PROGRESS") || status_is(status, "IMPORT_IN_PROGRESS");
}

/* Scan one page (newest first); 1 when it reached the operation's start. */
static int scan_events(tp_dsm *m, const tp_cfn_result *r)
{
	size_t i;

	for (i = 0; i < r->nevents; i++) {
		const tp_cfn_event *e = &r->events[i];

		if (own_event(m, e) && operation_start(e->status))
			return 1;
		if (own_event(m, e) || !e->status || !tp_ends_with(e->status, "_FAILED"))
			continue;
		free(m->first_failed);
		m->first_failed = tp_xasprintf("%s %s (%s): %s", e->status,
					       e->logical_id ? e->logical_id : "?",
					       e->resource_type ? e->resource_type : "?",
					       e->reason && *e->reason ? e->reason : "no reason given");
	}
	return 0;
}

static const tp_dsm_action *on_events(tp_dsm *m, const tp_cfn_result *r)
{
	if (retryable(r) && m->errors < 3)
		return retry(m, TP_CFN_DESCRIBE_STACK_EVENTS, r);
	if (r->rc < 0)    /* report what we have rather than the events' error */
		return fail_from_events(m);
	m->errors = 0;
	m->pages++;
	if (scan_events(m, r) || !r->next_token || !*r->next_token || m->pages >= MAX_EVENT_PAGES)
		return fail_from_events(m);
	set_str(&m->next_token, r->next_token);
	return call(m, TP_CFN_DESCRIBE_STACK_EVENTS);
}

/* ---- DescribeStacks ---------------------------------------------------------------- */

static const char *tag_of(const tp_cfn_stack *s, const char *key)
{
	return tp_kv_list_get(&s->tags, key);
}

/* The first decision, and again after someone else's operation ended. */
static const tp_dsm_action *decide(tp_dsm *m)
{
	const char *st = m->last.status;

	if (in_progress(st))
		return poll(m);
	set_str(&m->stack_id, m->last.stack_id);
	if (status_is(st, "ROLLBACK_COMPLETE") || status_is(st, "ROLLBACK_FAILED") ||
	    status_is(st, "CREATE_FAILED") || status_is(st, "REVIEW_IN_PROGRESS"))
		return begin_delete(m);
	if (status_is(st, "UPDATE_ROLLBACK_FAILED"))
		return fail(m, NULL, "stack is UPDATE_ROLLBACK_FAILED: continue its rollback "
			    "(aws cloudformation continue-update-rollback) or delete it, then deploy again");
	if (status_is(st, "DELETE_FAILED"))
		return fail(m, NULL, "stack is DELETE_FAILED from an earlier delete%s%s: delete it "
			    "by hand, then deploy again", m->last.status_reason ? ": " : "",
			    m->last.status_reason ? m->last.status_reason : "");
	if (!m->o.force && settled_ok(st) && tp_streq(tag_of(&m->last, "tidepool:hash"), m->s.hash))
		return done(m, TP_DEPLOY_SKIPPED, NULL);
	m->existed = 1;
	return m->s.command ? begin_command(m) : begin_write(m, P_UPDATE);
}

static const tp_dsm_action *on_missing(tp_dsm *m)
{
	switch (m->phase) {
	case P_DESCRIBE:
		m->existed = 0;
		return begin_create(m);
	case P_DELETING:
		return begin_create(m);
	case P_CHECKING:
		return fail(m, NULL, "the command succeeded but there is no stack '%s': the command "
			    "must deploy a CloudFormation stack of that name", m->s.name);
	default:
		return fail(m, NULL, "the stack disappeared while %s",
			    m->phase == P_UPDATING ? "being updated" : "being created");
	}
}

static const tp_dsm_action *after_command(tp_dsm *m)
{
	const char *tag = tag_of(&m->last, "tidepool:hash");

	if (!settled_ok(m->last.status))
		return begin_events(m);
	if (!tp_streq(tag, m->s.hash))
		return fail(m, NULL, "the command deployed stack '%s' but did not tag it "
			    "tidepool:hash=%s (%s%s): pass $TIDEPOOL_STACK_HASH as that tag "
			    "(aws cloudformation deploy --tags, sam --tags, cdk --tags, "
			    "serverless stackTags)", m->s.name, m->s.hash,
			    tag ? "it has " : "it has no such tag", tag ? tag : "");
	return done(m, m->existed ? TP_DEPLOY_UPDATED : TP_DEPLOY_CREATED, NULL);
}

/* The status settled (not in progress) while polling our own operation. */
static const tp_dsm_action *settled(tp_dsm *m)
{
	const char *st = m->last.status;

	switch (m->phase) {
	case P_CREATING:
		return status_is(st, "CREATE_COMPLETE") ? done(m, TP_DEPLOY_CREATED, NULL) :
							 begin_events(m);
	case P_UPDATING:
		return status_is(st, "UPDATE_COMPLETE") ? done(m, TP_DEPLOY_UPDATED, NULL) :
							 begin_events(m);
	case P_DELETING:
		if (status_is(st, "DELETE_FAILED"))
			return begin_events(m);
		return poll(m);   /* the delete has not started to show yet */
	case P_CHECKING:
		return after_command(m);
	default:
		return decide(m);
	}
}

static void keep_stack(tp_dsm *m, const tp_cfn_stack *s)
{
	tp_cfn_stack_release(&m->last);
	tp_cfn_stack_copy(&m->last, s);
	m->have_last = 1;
}

static const tp_dsm_action *on_describe(tp_dsm *m, const tp_cfn_result *r)
{
	if (retryable(r))
		return retry(m, TP_CFN_DESCRIBE_STACKS, r);
	m->errors = 0;
	if (r->rc == TP_ENOTFOUND || (r->rc == 0 && !r->has_stack) ||
	    (r->rc == 0 && status_is(r->stack.status, "DELETE_COMPLETE")))
		return on_missing(m);
	if (r->rc < 0)
		return fail_call(m, TP_CFN_DESCRIBE_STACKS, r);
	keep_stack(m, &r->stack);
	if (in_progress(m->last.status) && m->phase != P_DESCRIBE)
		return poll(m);
	return settled(m);
}

/* ---- Create / Update / Delete / PutTemplate / RunCommand ------------------------- */

static int is_no_updates(const tp_cfn_result *r)
{
	return r->rc == TP_EAWS && tp_streq(r->aws_code, "ValidationError") && r->message &&
	       strstr(r->message, "No updates are to be performed");
}

static int is_busy(const tp_cfn_result *r)
{
	/* "Stack:arn... is in UPDATE_IN_PROGRESS state and can not be updated." */
	return r->rc == TP_EAWS && r->message && strstr(r->message, "_IN_PROGRESS state");
}

static const tp_dsm_action *started(tp_dsm *m, phase polling, const tp_cfn_result *r)
{
	if (r->stack_id && *r->stack_id)
		set_str(&m->stack_id, r->stack_id);
	m->phase = polling;
	m->polls = 0;
	m->errors = 0;
	return poll(m);
}

static const tp_dsm_action *on_write(tp_dsm *m, tp_cfn_op op, const tp_cfn_result *r)
{
	if (r->rc == 0)
		return started(m, op == TP_CFN_CREATE_STACK ? P_CREATING : P_UPDATING, r);
	if (retryable(r))
		return retry(m, op, r);
	if (op == TP_CFN_UPDATE_STACK && is_no_updates(r))
		return done(m, TP_DEPLOY_UPDATED, "no changes");
	if (tp_streq(r->aws_code, "AlreadyExistsException") || r->rc == TP_ENOTFOUND ||
	    is_busy(r))
		return redecide(m);   /* someone else got there between our calls */
	return fail_call(m, op, r);
}

static const tp_dsm_action *on_delete(tp_dsm *m, const tp_cfn_result *r)
{
	if (r->rc == 0)
		return started(m, P_DELETING, r);
	if (retryable(r))
		return retry(m, TP_CFN_DELETE_STACK, r);
	if (r->rc == TP_ENOTFOUND)
		return begin_create(m);
	return fail_call(m, TP_CFN_DELETE_STACK, r);
}

static const tp_dsm_action *on_upload(tp_dsm *m, const tp_cfn_result *r)
{
	if (retryable(r))
		return retry(m, TP_CFN_PUT_TEMPLATE, r);
	if (r->rc < 0 || !r->template_url)
		return fail(m, r->aws_code, "uploading the template (%zu bytes, over CloudFormation's "
			    "%d-byte TemplateBody limit) to s3://%s/%s: %s", m->s.template_len,
			    TP_DSM_TEMPLATE_BODY_MAX, m->bucket, m->key, msg_of(r));
	m->errors = 0;
	set_str(&m->template_url, r->template_url);
	return begin_write(m, m->then);
}

static const tp_dsm_action *on_command(tp_dsm *m, const tp_cfn_result *r)
{
	if (r->rc < 0)
		return fail(m, NULL, "could not run the command: %s", msg_of(r));
	if (r->exit_status != 0)
		return fail(m, NULL, "the command exited with status %d%s%s", r->exit_status,
			    r->log_path ? "; its output is in " : "", r->log_path ? r->log_path : "");
	m->phase = P_CHECKING;
	m->polls = 0;
	return call(m, TP_CFN_DESCRIBE_STACKS);
}

/* ---- the machine ------------------------------------------------------------------- */

static void make_tags(tp_dsm *m)
{
	size_t i;

	m->ntags = m->s.ntags + 3;
	m->tags = tp_xcalloc(m->ntags, sizeof(*m->tags));
	for (i = 0; i < m->s.ntags; i++)
		m->tags[i] = m->s.tags[i];
	m->tags[i].key = "tidepool:hash";
	m->tags[i++].value = (char *)m->s.hash;
	m->tags[i].key = "tidepool:project";
	m->tags[i++].value = (char *)(m->o.project ? m->o.project : "");
	m->tags[i].key = "tidepool:managed";
	m->tags[i].value = "true";
}

tp_dsm *tp_dsm_new(const tp_dsm_stack *stack, const tp_dsm_opts *opts)
{
	tp_dsm *m = tp_xcalloc(1, sizeof(*m));

	m->s = *stack;
	m->o = *opts;
	make_tags(m);
	snprintf(m->bucket, sizeof(m->bucket), TP_ARTIFACTS_BUCKET_FMT,
		 opts->account ? opts->account : "", opts->region ? opts->region : "");
	m->key = tp_xasprintf("templates/%s/%s.template", stack->name, stack->hash);
	return m;
}

void tp_dsm_free(tp_dsm *m)
{
	if (!m)
		return;
	tp_cfn_stack_release(&m->last);
	free(m->stack_id);
	free(m->tags);
	free(m->key);
	free(m->template_url);
	free(m->fail_status);
	free(m->fail_reason);
	free(m->first_failed);
	free(m->next_token);
	tp_buf_release(&m->msg);
	free(m->aws_code);
	free(m);
}

const tp_dsm_action *tp_dsm_start(tp_dsm *m)
{
	m->phase = P_DESCRIBE;
	return call(m, TP_CFN_DESCRIBE_STACKS);
}

const tp_dsm_action *tp_dsm_feed(tp_dsm *m, const tp_cfn_result *r)
{
	if (m->phase == P_DONE || m->act.kind != TP_DSM_CALL)
		return &m->act;
	switch (m->act.req.op) {
	case TP_CFN_DESCRIBE_STACKS: return on_describe(m, r);
	case TP_CFN_CREATE_STACK:
	case TP_CFN_UPDATE_STACK: return on_write(m, m->act.req.op, r);
	case TP_CFN_DELETE_STACK: return on_delete(m, r);
	case TP_CFN_DESCRIBE_STACK_EVENTS: return on_events(m, r);
	case TP_CFN_PUT_TEMPLATE: return on_upload(m, r);
	case TP_CFN_RUN_COMMAND: return on_command(m, r);
	case TP_CFN_OP_COUNT: break;
	}
	return fail(m, NULL, "internal error: unknown call");
}

const tp_dsm_action *tp_dsm_timer(tp_dsm *m)
{
	if (m->phase == P_DONE || m->act.kind != TP_DSM_WAIT)
		return &m->act;
	return call(m, m->next);
}

const tp_dsm_action *tp_dsm_cancel(tp_dsm *m)
{
	if (m->phase == P_DONE)
		return &m->act;
	return done(m, TP_DEPLOY_CANCELLED, "stopped before the stack was deployed");
}

const tp_dsm_action *tp_dsm_action_last(const tp_dsm *m)
{
	return &m->act;
}

unsigned tp_dsm_calls(const tp_dsm *m)
{
	return m->calls;
}
