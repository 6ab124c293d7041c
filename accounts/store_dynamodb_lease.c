/*
 * The DynamoDB lease operations: each is one conditional UpdateItem whose
 * condition is the lease rule (lease_rules.h) on the item's version and
 * state; a failed condition is explained from a fresh consistent read.
 * Transitions go through tp_ddb_transition, so a retry of a write that had
 * applied is recognised as ours. Renewing and recording a stack need no
 * such care: their conditions still hold after they applied, so a retry
 * succeeds. See store_dynamodb.c for the design.
 */
#include "accounts/store_dynamodb.h"

#include <string.h>

#include "accounts/lease_rules.h"
#include "aws/error.h"
#include "aws/util.h"

/* Rescans after every candidate was lost to another process. */
#define ACQUIRE_ROUNDS 8

/* Clearing a lease: the SET part shared by release and clean_begin. */
#define END_LEASE "SET #st = :to, #ver = :next, #lat = :zero, #exp = :zero, #chg = :now " \
		  "REMOVE #hol, #run"

static tp_ddb_store *dd(tp_store *s)
{
	return (tp_ddb_store *)s;
}

/* Values every operation may use (tp_ddb_update sends only the used ones). */
static json_t *values(time_t now)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", ":now", tp_ddb_n((int64_t)now),
			 ":zero", tp_ddb_n(0), ":leased", tp_ddb_s("leased"),
			 ":available", tp_ddb_s("available"), ":dirty", tp_ddb_s("dirty"),
			 ":cleaning", tp_ddb_s("cleaning"));
}

static void set(json_t *v, const char *key, json_t *value)
{
	json_object_set_new(v, key, value);
}

static int lost_race(const char *id)
{
	return tp_error_set(TP_ECONFLICT, "account %s changed while this change was being "
			    "applied; try again", id);
}

/* A token-guarded update failed its condition: say why, from a fresh read. */
static int explain_lease(tp_ddb_store *s, const char *id, int64_t token, time_t now,
			 int need_live)
{
	tp_account a = TP_ACCOUNT_INIT;
	int rc = tp_ddb_get(s, &a, id);

	if (rc == 0 && (rc = tp_rule_check_lease(&a, id, token, now, need_live)) == 0)
		rc = lost_race(id);
	tp_account_release(&a);
	return rc;
}

/* ---- acquire ---------------------------------------------------------- */

/* Lease `a` if it is still available at the version scanned. */
static int try_lease(tp_ddb_store *s, const tp_account *a, const tp_acquire_opts *o, time_t now)
{
	json_t *v = values(now);

	set(v, ":ver", tp_ddb_n(a->version));
	set(v, ":next", tp_ddb_n(a->version + 1));
	set(v, ":holder", tp_ddb_s(o->holder));
	set(v, ":exp", tp_ddb_n((int64_t)(now + o->ttl)));
	if (o->run_id)
		set(v, ":run", tp_ddb_s(o->run_id));
	return tp_ddb_transition(s, a->id,
				 o->run_id ? "SET #st = :leased, #ver = :next, #hol = :holder, "
					     "#run = :run, #lat = :now, #exp = :exp, #chg = :now"
					   : "SET #st = :leased, #ver = :next, #hol = :holder, "
					     "#lat = :now, #exp = :exp, #chg = :now REMOVE #run",
				 "#st = :available AND #ver = :ver", v);
}

/* The candidates of this round into `l` and `order`; returns how many, or an error. */
static int candidates(tp_ddb_store *s, tp_account_list *l, size_t **order,
		      const tp_acquire_opts *o, time_t now)
{
	int rc;

	if (o->account) {
		rc = tp_ddb_get(s, tp_account_list_push(l), o->account);
		if (rc == 0)
			rc = tp_rule_check_acquire_one(&l->items[0], o->account, now);
		*order = tp_xcalloc(1, sizeof(**order));
		return rc < 0 ? rc : 1;
	}
	if ((rc = tp_ddb_scan(s, l)) < 0)
		return rc;
	*order = tp_xcalloc(l->n ? l->n : 1, sizeof(**order));
	rc = (int)tp_rule_rank(*order, l, o);
	return rc == 0 ? tp_rule_none_available(l, now) : rc;
}

/* One round: 0 leased, TP_ECONFLICT every candidate was taken first, else an error. */
static int acquire_round(tp_ddb_store *s, tp_lease *out, const tp_acquire_opts *o, time_t now)
{
	tp_account_list l = TP_ACCOUNT_LIST_INIT;
	size_t *order = NULL;
	int n = candidates(s, &l, &order, o, now), i, rc = n < 0 ? n : TP_ECONFLICT;

	for (i = 0; i < n && rc == TP_ECONFLICT; i++) {
		const tp_account *a = &l.items[order[i]];
		if ((rc = try_lease(s, a, o, now)) == 0) {
			tp_strlcpy(out->account, a->id, sizeof(out->account));
			out->token = a->version + 1;
			out->expires_at = now + o->ttl;
		}
	}
	free(order);
	tp_account_list_release(&l);
	return rc;
}

int tp_ddb_acquire(tp_store *base, tp_lease *out, const tp_acquire_opts *o, time_t now)
{
	int round, rc = TP_ECONFLICT;

	for (round = 0; round < ACQUIRE_ROUNDS && rc == TP_ECONFLICT; round++) {
		if (round > 0)
			tp_sleep_ms((int64_t)(tp_random_unit() * 20 * round) + 1);
		rc = acquire_round(dd(base), out, o, now);
	}
	if (rc == TP_ECONFLICT)
		rc = tp_error_set(TP_EBUSY, "no account available: other processes leased every "
				  "available account first, %d times in a row", ACQUIRE_ROUNDS);
	return rc;
}

/* ---- the holder's operations -------------------------------------------- */

int tp_ddb_renew(tp_store *base, const char *account, int64_t token, time_t expires_at,
		 time_t now)
{
	json_t *v = values(now);
	int rc;

	set(v, ":tok", tp_ddb_n(token));
	set(v, ":exp", tp_ddb_n((int64_t)expires_at));
	rc = tp_ddb_update(dd(base), account, "SET #exp = :exp",
			   "#st = :leased AND #ver = :tok AND #exp > :now", v, NULL);
	return rc == TP_ECONFLICT ? explain_lease(dd(base), account, token, now, 1) : rc;
}

int tp_ddb_release(tp_store *base, const char *account, int64_t token, tp_account_state to,
		   time_t now)
{
	json_t *v = values(now);
	int rc;

	set(v, ":tok", tp_ddb_n(token));
	set(v, ":next", tp_ddb_n(token + 1));
	set(v, ":to", tp_ddb_s(tp_account_state_name(to)));
	rc = tp_ddb_transition(dd(base), account, END_LEASE, "#st = :leased AND #ver = :tok", v);
	return rc == TP_ECONFLICT ? explain_lease(dd(base), account, token, now, 0) : rc;
}

int tp_ddb_record_stack(tp_store *base, const char *account, int64_t token, const char *stack,
			const char *hash, time_t now)
{
	json_t *v = values(now);
	int rc;

	set(v, ":tok", tp_ddb_n(token));
	if (hash)
		set(v, ":hash", tp_ddb_s(hash));
	rc = tp_ddb_update(dd(base), account, hash ? "SET #stk.#n = :hash" : "REMOVE #stk.#n",
			   "#st = :leased AND #ver = :tok", v, json_pack("{s:s}", "#n", stack));
	return rc == TP_ECONFLICT ? explain_lease(dd(base), account, token, now, 0) : rc;
}

/* ---- the sweeper's operations ------------------------------------------- */

static int explain_version(tp_ddb_store *s, const char *id, int64_t version, time_t now,
			   int begin)
{
	tp_account a = TP_ACCOUNT_INIT;
	int rc = tp_ddb_get(s, &a, id);

	if (rc == 0)
		rc = begin ? tp_rule_check_clean_begin(&a, id, version, now)
			   : tp_rule_check_clean_end(&a, id, version, now);
	if (rc == 0)
		rc = lost_race(id);
	tp_account_release(&a);
	return rc;
}

int tp_ddb_clean_begin(tp_store *base, const char *account, int64_t version, time_t now)
{
	json_t *v = values(now);
	int rc;

	set(v, ":ver", tp_ddb_n(version));
	set(v, ":next", tp_ddb_n(version + 1));
	set(v, ":to", tp_ddb_s("cleaning"));
	rc = tp_ddb_transition(dd(base), account, END_LEASE,
			       "#ver = :ver AND (#st = :dirty OR (#st = :leased AND #exp <= :now))",
			       v);
	return rc == TP_ECONFLICT ? explain_version(dd(base), account, version, now, 1) : rc;
}

/* The update of a finished clean from the record read at `version`. */
static int end_clean(tp_ddb_store *s, const tp_account *a, const tp_clean_outcome *o,
		     tp_account_state to, time_t now)
{
	json_t *v = values(now);

	set(v, ":ver", tp_ddb_n(a->version));
	set(v, ":next", tp_ddb_n(a->version + 1));
	set(v, ":to", tp_ddb_s(tp_account_state_name(to)));
	set(v, ":fc", tp_ddb_n(a->failed_cleans));
	set(v, ":fc1", tp_ddb_n(o->ok ? 0 : a->failed_cleans + (o->interrupted ? 0 : 1)));
	set(v, ":rsn", tp_ddb_s(tp_rule_clean_reason(o)));
	set(v, ":nostacks", json_pack("{s:{}}", "M"));
	return tp_ddb_transition(s, a->id,
				 !o->ok ? "SET #st = :to, #ver = :next, #chg = :now, #fc = :fc1, "
					  "#rsn = :rsn"
				 : o->forget_stacks ? "SET #st = :to, #ver = :next, #chg = :now, "
						      "#fc = :fc1, #stk = :nostacks REMOVE #rsn"
						    : "SET #st = :to, #ver = :next, #chg = :now, "
						      "#fc = :fc1 REMOVE #rsn",
				 "#st = :cleaning AND #ver = :ver AND #fc = :fc", v);
}

int tp_ddb_clean_end(tp_store *base, const char *account, int64_t version,
		     const tp_clean_outcome *o, tp_account_state *state, time_t now)
{
	tp_account a = TP_ACCOUNT_INIT;
	int rc = tp_ddb_get(dd(base), &a, account);

	if (rc == 0)
		rc = tp_rule_check_clean_end(&a, account, version, now);
	if (rc == 0) {
		*state = tp_rule_clean_end_state(a.failed_cleans, o);
		rc = end_clean(dd(base), &a, o, *state, now);
		if (rc == TP_ECONFLICT)
			rc = explain_version(dd(base), account, version, now, 0);
	}
	tp_account_release(&a);
	return rc;
}
