/* The lease rules (see lease_rules.h): checks, transitions, ranking. */
#include "accounts/lease_rules.h"

#include <stdio.h>
#include <string.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"

/* "leased by bob (token 9, expires in 1h 5m)", "dirty (version 6)". */
static const char *describe(char *buf, size_t size, const tp_account *a, time_t now)
{
	tp_account_state st = tp_account_state_at(a, now);
	char rel[32];

	tp_format_duration(rel, sizeof(rel), (long)(a->expires_at - now));
	if (st == TP_ACCOUNT_LEASED)
		snprintf(buf, size, "leased by %s (token %lld, expires in %s)",
			 a->holder ? a->holder : "?", (long long)a->version, rel);
	else if (st == TP_ACCOUNT_EXPIRED)
		snprintf(buf, size, "leased by %s with an expired lease (token %lld)",
			 a->holder ? a->holder : "?", (long long)a->version);
	else
		snprintf(buf, size, "%s (version %lld)", tp_account_state_name(st),
			 (long long)a->version);
	return buf;
}

int tp_rule_not_in_pool(const char *id)
{
	return tp_error_set(TP_ENOTFOUND, "account %s is not in the pool", id);
}

int tp_rule_check_lease(const tp_account *a, const char *id, int64_t token, time_t now,
			int need_live)
{
	char what[256], rel[32];

	if (!a)
		return tp_rule_not_in_pool(id);
	if (a->version != token || a->state != TP_ACCOUNT_LEASED)
		return tp_error_set(TP_ECONFLICT,
				    "lease superseded: token %lld of account %s is no longer live; "
				    "the account is now %s",
				    (long long)token, id, describe(what, sizeof(what), a, now));
	if (need_live && a->expires_at <= now) {
		tp_format_duration(rel, sizeof(rel), (long)(now - a->expires_at));
		return tp_error_set(TP_ECONFLICT,
				    "the lease of account %s (token %lld) expired %s ago and cannot "
				    "be extended; release it and claim an account again",
				    id, (long long)token, rel);
	}
	return 0;
}

static int stale_version(const tp_account *a, const char *id, int64_t version, time_t now,
			 const char *expected)
{
	char what[256];

	return tp_error_set(TP_ECONFLICT,
			    "account %s changed since it was read (at version %lld, expected %s): "
			    "it is now %s",
			    id, (long long)version, expected, describe(what, sizeof(what), a, now));
}

int tp_rule_check_clean_begin(const tp_account *a, const char *id, int64_t version, time_t now)
{
	tp_account_state st;

	if (!a)
		return tp_rule_not_in_pool(id);
	st = tp_account_state_at(a, now);
	if (a->version != version || (st != TP_ACCOUNT_DIRTY && st != TP_ACCOUNT_EXPIRED))
		return stale_version(a, id, version, now, "dirty or expired");
	return 0;
}

int tp_rule_check_clean_end(const tp_account *a, const char *id, int64_t version, time_t now)
{
	if (!a)
		return tp_rule_not_in_pool(id);
	if (a->version != version || a->state != TP_ACCOUNT_CLEANING)
		return stale_version(a, id, version, now, "cleaning");
	return 0;
}

int tp_rule_check_remove(const tp_account *a, const char *id, int force, time_t now)
{
	char what[256];

	if (!a)
		return tp_rule_not_in_pool(id);
	if (force || (a->state != TP_ACCOUNT_LEASED && a->state != TP_ACCOUNT_CLEANING))
		return 0;
	return tp_error_set(TP_ECONFLICT,
			    "account %s is %s; release it first (or remove it with --force, "
			    "leaving whatever runs in it uncleaned)",
			    id, describe(what, sizeof(what), a, now));
}

int tp_rule_check_acquire_one(const tp_account *a, const char *id, time_t now)
{
	char what[256];

	if (!a)
		return tp_rule_not_in_pool(id);
	if (a->state == TP_ACCOUNT_AVAILABLE)
		return 0;
	return tp_error_set(TP_EBUSY, "account %s is not available: it is %s", id,
			    describe(what, sizeof(what), a, now));
}

static void transition(tp_account *a, tp_account_state to, time_t now)
{
	a->state = to;
	a->version++;
	a->changed_at = now;
}

static void clear_lease(tp_account *a)
{
	free(a->holder);
	free(a->run_id);
	a->holder = a->run_id = NULL;
	a->leased_at = a->expires_at = 0;
}

void tp_rule_lease(tp_account *a, const tp_acquire_opts *o, time_t now)
{
	clear_lease(a);
	transition(a, TP_ACCOUNT_LEASED, now);
	a->holder = tp_xstrdup(o->holder);
	a->run_id = tp_xstrdup(o->run_id);
	a->leased_at = now;
	a->expires_at = now + o->ttl;
}

void tp_rule_release(tp_account *a, tp_account_state to, time_t now)
{
	clear_lease(a);
	transition(a, to, now);
}

void tp_rule_clean_begin(tp_account *a, time_t now)
{
	clear_lease(a);
	transition(a, TP_ACCOUNT_CLEANING, now);
}

const char *tp_rule_clean_reason(const tp_clean_outcome *o)
{
	if (o->reason && *o->reason)
		return o->reason;
	return o->interrupted ? "the clean was interrupted" : "the clean failed";
}

tp_account_state tp_rule_clean_end_state(int failed_cleans, const tp_clean_outcome *o)
{
	if (o->ok)
		return TP_ACCOUNT_AVAILABLE;
	if (o->interrupted)
		return TP_ACCOUNT_DIRTY;
	return failed_cleans + 1 >= TP_QUARANTINE_AFTER ? TP_ACCOUNT_QUARANTINED : TP_ACCOUNT_DIRTY;
}

void tp_rule_clean_end(tp_account *a, const tp_clean_outcome *o, time_t now)
{
	transition(a, tp_rule_clean_end_state(a->failed_cleans, o), now);
	free(a->reason);
	a->reason = NULL;
	if (o->ok) {
		a->failed_cleans = 0;
		if (o->forget_stacks)
			tp_account_clear_stacks(a);
		return;
	}
	if (!o->interrupted)
		a->failed_cleans++;
	a->reason = tp_xstrdup(tp_rule_clean_reason(o));
}

struct ranked {
	size_t index;
	long score;
	double tiebreak;
};

static int by_rank(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return a->tiebreak < b->tiebreak ? -1 : a->tiebreak > b->tiebreak;
}

size_t tp_rule_rank(size_t *order, const tp_account_list *l, const tp_acquire_opts *o)
{
	struct ranked *r = tp_xcalloc(l->n ? l->n : 1, sizeof(*r));
	size_t i, n = 0;

	for (i = 0; i < l->n; i++) {
		const tp_account *a = &l->items[i];
		long score = 0;

		if (a->state != TP_ACCOUNT_AVAILABLE)
			continue;
		if (o->score && (score = o->score(o->score_ctx, a)) < 0)
			continue;
		r[n].index = i;
		r[n].score = score;
		r[n++].tiebreak = tp_random_unit();
	}
	qsort(r, n, sizeof(*r), by_rank);
	for (i = 0; i < n; i++)
		order[i] = r[i].index;
	free(r);
	return n;
}

int tp_rule_none_available(const tp_account_list *l, time_t now)
{
	size_t count[TP_ACCOUNT_EXPIRED + 1] = { 0 }, i;
	tp_buf b = TP_BUF_INIT;
	int rc;

	for (i = 0; i < l->n; i++)
		count[tp_account_state_at(&l->items[i], now)]++;
	for (i = 0; i <= TP_ACCOUNT_EXPIRED; i++)
		if (count[i])
			tp_buf_addf(&b, "%s%zu %s", b.len ? ", " : "", count[i],
				    tp_account_state_name((tp_account_state)i));
	if (l->n == 0)
		rc = tp_error_set(TP_EBUSY, "no account available: the pool is empty");
	else
		rc = tp_error_set(TP_EBUSY, "no account available: %zu in the pool (%s)%s", l->n,
				  tp_buf_cstr(&b),
				  count[TP_ACCOUNT_AVAILABLE] ? "; none acceptable to this request" : "");
	tp_buf_release(&b);
	return rc;
}
