/*
 * The simulated CloudFormation: what each pool account holds, answered
 * through a tp_cfn_ops table as of the simulation's clock, in the shapes
 * runner/deploy_ops.h documents for AWS.
 *
 *   - a stack takes its duration (sim_create_ms & co.) from *_IN_PROGRESS
 *     to *_COMPLETE; DescribeStacks reports its status, the tidepool:*
 *     tags and an output;
 *   - a CreateStack rolls back with probability create_fail: part way
 *     through it turns ROLLBACK_IN_PROGRESS, then ROLLBACK_COMPLETE 30 s
 *     later, and DescribeStackEvents names the failed resource;
 *   - each account answers at most `rate` calls per second (a token
 *     bucket of `burst`); beyond that a request gets Throttling ("Rate
 *     exceeded"), as CloudFormation does, and counts for nothing;
 *   - a deleted stack is gone by name and DELETE_COMPLETE by id.
 *
 * Status is computed from the operation's start and duration when asked,
 * so no event runs for a stack nobody looks at.
 */
#include <stdio.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "bench/sim.h"

typedef enum cop { OP_NONE = 0, OP_CREATE, OP_UPDATE, OP_DELETE } cop;

typedef struct cstack {
	int exists;
	cop op;                      /* the last operation; NONE: as found before the run */
	const char *found_status;    /* op NONE */
	int fail;                    /* the create rolls back */
	int64_t start, dur;
	const char *hash;            /* the tidepool:hash tag */
	unsigned gen;                /* part of the stack id; new on every create */
} cstack;

typedef struct cacct {
	sim_cloud *c;
	size_t a;
	char id[16];
	double tokens;
	int64_t refilled_at;
	cstack *st;
} cacct;

struct sim_cloud {
	const sim_workload *w;
	sim_cloud_opts o;
	sim_rng rng;
	int64_t now;
	cacct *accts;
	sim_cloud_counts counts;
};

static void found(sim_cloud *c, cacct *ac)
{
	const sim_workload *w = c->w;
	size_t s;

	for (s = 0; s < w->nstacks; s++) {
		cstack *k = &ac->st[s];

		switch (w->initial[ac->a * w->nstacks + s]) {
		case SIM_ABSENT:
			break;
		case SIM_CURRENT:
		case SIM_STALE:
			k->exists = 1;
			k->found_status = "UPDATE_COMPLETE";
			k->hash = w->initial[ac->a * w->nstacks + s] == SIM_CURRENT ?
				  w->stacks[s].hash : w->stacks[s].old_hash;
			break;
		case SIM_ROLLED_BACK:
			k->exists = 1;
			k->found_status = "ROLLBACK_COMPLETE";
			k->hash = w->stacks[s].hash;
			break;
		}
	}
}

sim_cloud *sim_cloud_new(const sim_workload *w, const sim_cloud_opts *o, uint64_t seed)
{
	sim_cloud *c = tp_xcalloc(1, sizeof(*c));
	size_t a;

	c->w = w;
	c->o = *o;
	sim_rng_seed(&c->rng, seed);
	c->accts = tp_xcalloc(w->npool, sizeof(*c->accts));
	for (a = 0; a < w->npool; a++) {
		cacct *ac = &c->accts[a];

		ac->c = c;
		ac->a = a;
		snprintf(ac->id, sizeof(ac->id), "%012llu", 200000000000ULL + (unsigned long long)a);
		ac->tokens = o->burst;
		ac->st = tp_xcalloc(w->nstacks, sizeof(*ac->st));
		found(c, ac);
	}
	return c;
}

void sim_cloud_free(sim_cloud *c)
{
	size_t a;

	if (!c)
		return;
	for (a = 0; a < c->w->npool; a++)
		free(c->accts[a].st);
	free(c->accts);
	free(c);
}

void *sim_cloud_account(sim_cloud *c, size_t a)
{
	return &c->accts[a];
}

const char *sim_cloud_account_id(const sim_cloud *c, size_t a)
{
	return c->accts[a].id;
}

void sim_cloud_set_now(sim_cloud *c, int64_t now)
{
	c->now = now;
}

int64_t sim_cloud_latency(sim_cloud *c)
{
	return sim_rng_range(&c->rng, c->o.latency_min_ms, c->o.latency_max_ms);
}

const sim_cloud_counts *sim_cloud_counts_get(const sim_cloud *c)
{
	return &c->counts;
}

/* ---- the per-account rate limit --------------------------------------------------- */

static int admit(cacct *ac)
{
	sim_cloud *c = ac->c;

	if (c->now > ac->refilled_at) {
		ac->tokens += (double)(c->now - ac->refilled_at) * c->o.rate / 1000.0;
		if (ac->tokens > c->o.burst)
			ac->tokens = c->o.burst;
		ac->refilled_at = c->now;
	}
	if (ac->tokens < 1)
		return 0;
	ac->tokens -= 1;
	return 1;
}

/* ---- stacks ----------------------------------------------------------------------- */

static size_t stack_index(const sim_cloud *c, const char *name)
{
	size_t i = 0;

	/* "stackNN": the number is the index (sim_workload.c names them so) */
	for (name += 5; *name >= '0' && *name <= '9'; name++)
		i = i * 10 + (size_t)(*name - '0');
	return i < c->w->nstacks ? i : 0;
}

static int64_t fail_at(const cstack *k)
{
	return k->start + k->dur * 6 / 10;
}

static const char *status(const sim_cloud *c, cstack *k)
{
	switch (k->op) {
	case OP_NONE:
		return k->found_status;
	case OP_CREATE:
		if (!k->fail)
			return c->now < k->start + k->dur ? "CREATE_IN_PROGRESS" : "CREATE_COMPLETE";
		if (c->now < fail_at(k))
			return "CREATE_IN_PROGRESS";
		return c->now < fail_at(k) + c->w->rollback_ms ? "ROLLBACK_IN_PROGRESS" :
								  "ROLLBACK_COMPLETE";
	case OP_UPDATE:
		return c->now < k->start + k->dur ? "UPDATE_IN_PROGRESS" : "UPDATE_COMPLETE";
	case OP_DELETE:
		if (c->now < k->start + k->dur)
			return "DELETE_IN_PROGRESS";
		k->exists = 0;
		return "DELETE_COMPLETE";
	}
	return "?";
}

static char *stack_id(const cacct *ac, const char *name, unsigned gen)
{
	return tp_xasprintf("arn:aws:cloudformation:us-east-1:%s:stack/%s/%u", ac->id, name, gen);
}

static int not_found(tp_cfn_result *out, const char *stack)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "Stack with id %s does not exist", stack);
	return tp_cfn_result_error(out, TP_ENOTFOUND, "ValidationError", msg);
}

static int describe(void *account, const tp_cfn_request *q, tp_cfn_result *out)
{
	cacct *ac = account;
	cstack *k = &ac->st[stack_index(ac->c, q->stack_name)];
	const char *st = k->exists ? status(ac->c, k) : NULL;

	if (!k->exists && (!tp_starts_with(q->stack, "arn:") || k->op != OP_DELETE))
		return not_found(out, q->stack);
	out->has_stack = 1;
	out->stack.stack_id = stack_id(ac, q->stack_name, k->gen);
	out->stack.stack_name = tp_xstrdup(q->stack_name);
	out->stack.status = tp_xstrdup(st ? st : "DELETE_COMPLETE");
	tp_kv_list_add(&out->stack.tags, "tidepool:hash", k->hash);
	tp_kv_list_add(&out->stack.tags, "tidepool:project", "sim");
	tp_kv_list_add(&out->stack.tags, "tidepool:managed", "true");
	tp_kv_list_add(&out->stack.outputs, "Name", q->stack_name);
	return 0;
}

static const char *hash_tag(const tp_cfn_request *q)
{
	size_t i;

	for (i = 0; i < q->ntags; i++)
		if (strcmp(q->tags[i].key, "tidepool:hash") == 0)
			return q->tags[i].value;
	return "";
}

/* The workload's own copy of a hash (requests' strings do not outlive the call). */
static const char *keep_hash(const sim_cloud *c, size_t s, const char *h)
{
	return strcmp(h, c->w->stacks[s].hash) == 0 ? c->w->stacks[s].hash : c->w->stacks[s].old_hash;
}

static void begin(sim_cloud *c, cstack *k, cop op, int64_t dur)
{
	k->op = op;
	k->start = c->now;
	k->dur = dur;
	k->fail = 0;
}

static int create(void *account, const tp_cfn_request *q, tp_cfn_result *out)
{
	cacct *ac = account;
	sim_cloud *c = ac->c;
	size_t s = stack_index(c, q->stack_name);
	cstack *k = &ac->st[s];

	if (k->exists && strcmp(status(c, k), "DELETE_COMPLETE") != 0)
		return tp_cfn_result_error(out, TP_EAWS, "AlreadyExistsException",
					   "Stack already exists");
	k->exists = 1;
	k->gen++;
	k->hash = keep_hash(c, s, hash_tag(q));
	begin(c, k, OP_CREATE, sim_create_ms(c->w, ac->a, s));
	k->fail = sim_rng_unit(&c->rng) < c->o.create_fail;
	c->counts.creates_failed += (uint64_t)k->fail;
	out->stack_id = stack_id(ac, q->stack_name, k->gen);
	return 0;
}

static int update(void *account, const tp_cfn_request *q, tp_cfn_result *out)
{
	cacct *ac = account;
	sim_cloud *c = ac->c;
	size_t s = stack_index(c, q->stack_name);
	cstack *k = &ac->st[s];
	const char *st = k->exists ? status(c, k) : NULL;
	char msg[256];

	if (!k->exists)
		return not_found(out, q->stack);
	if (tp_ends_with(st, "_IN_PROGRESS")) {
		snprintf(msg, sizeof(msg), "Stack:%s is in %s state and can not be updated.", q->stack, st);
		return tp_cfn_result_error(out, TP_EAWS, "ValidationError", msg);
	}
	if (strcmp(k->hash, hash_tag(q)) == 0)
		return tp_cfn_result_error(out, TP_EAWS, "ValidationError",
					   "No updates are to be performed.");
	k->hash = keep_hash(c, s, hash_tag(q));
	begin(c, k, OP_UPDATE, sim_update_ms(c->w, ac->a, s));
	out->stack_id = stack_id(ac, q->stack_name, k->gen);
	return 0;
}

static int delete_stack(void *account, const tp_cfn_request *q, tp_cfn_result *out)
{
	cacct *ac = account;
	size_t s = stack_index(ac->c, q->stack_name);
	cstack *k = &ac->st[s];

	(void)out;
	if (k->exists && k->op != OP_DELETE)   /* deleting what is not there succeeds, as in AWS */
		begin(ac->c, k, OP_DELETE, sim_delete_ms(ac->c->w, ac->a, s));
	return 0;
}

static void event(tp_cfn_result *out, const char *logical, const char *type, const char *status,
		  const char *reason)
{
	tp_cfn_event *e = tp_cfn_result_add_event(out);

	e->event_id = tp_xstrdup("e");
	e->logical_id = tp_xstrdup(logical);
	e->resource_type = tp_xstrdup(type);
	e->status = tp_xstrdup(status);
	e->reason = tp_xstrdup(reason);
	e->timestamp = tp_xstrdup("2024-05-01T10:00:00.000Z");
}

/* Newest first, back to the create's own CREATE_IN_PROGRESS. */
static int events(void *account, const tp_cfn_request *q, tp_cfn_result *out)
{
	const char *n = q->stack_name, *stack = "AWS::CloudFormation::Stack";

	(void)account;
	event(out, n, stack, "ROLLBACK_COMPLETE", NULL);
	event(out, "Table", "AWS::DynamoDB::Table", "DELETE_COMPLETE", NULL);
	event(out, "Table", "AWS::DynamoDB::Table", "CREATE_FAILED",
	      "Resource handler returned message: \"Internal Failure\"");
	event(out, n, stack, "CREATE_IN_PROGRESS", "User Initiated");
	return 0;
}

static int unsupported(void *account, const tp_cfn_request *q, tp_cfn_result *out)
{
	(void)account;
	(void)q;
	return tp_cfn_result_error(out, TP_ERROR, NULL, "the simulation has no templates over "
				   "51,200 bytes and no command stacks");
}

/* Every request passes the account's rate limit first. */
#define LIMITED(fn)                                                                        \
	static int limited_##fn(void *account, const tp_cfn_request *q, tp_cfn_result *out) \
	{                                                                                  \
		cacct *ac = account;                                                       \
		if (!admit(ac)) {                                                          \
			ac->c->counts.throttled++;                                         \
			return tp_cfn_result_error(out, TP_ETHROTTLED, "Throttling",      \
						   "Rate exceeded");                       \
		}                                                                          \
		ac->c->counts.by_op[q->op]++;                                              \
		return fn(account, q, out);                                                \
	}

LIMITED(describe)
LIMITED(create)
LIMITED(update)
LIMITED(delete_stack)
LIMITED(events)

static const tp_cfn_ops ops = {
	"sim",
	limited_describe,
	limited_create,
	limited_update,
	limited_delete_stack,
	limited_events,
	unsupported,
	unsupported,
};

const tp_cfn_ops *sim_cloud_ops(void)
{
	return &ops;
}
