/*
 * The sweeper (sweep.h): candidates from the store, one job per account on
 * the sweep's worker pool, each job a whole clean (begin, reach, nuke,
 * end); jobs post their account's outcome back to the calling thread,
 * which alone writes the report.
 */
#include "cleaner/sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/account_client.h"
#include "cleaner/safety.h"

typedef struct sweep_job {
	tp_msg link;                 /* first: posted back as the message */
	const tp_sweep_opts *o;
	tp_mailbox *box;
	size_t ix;
	char account[13];
	int64_t version;
	/* results */
	tp_sweep_outcome outcome;
	int failed_cleans;
	char *reason;
	tp_nuke_report report;
} sweep_job;

const char *tp_sweep_outcome_name(tp_sweep_outcome o)
{
	static const char *const names[] = {
		"would clean", "cleaned", "failed", "quarantined", "skipped",
	};

	return (size_t)o < TP_ARRAY_SIZE(names) ? names[o] : "unknown";
}

static char *error_text(void)
{
	char msg[2400];

	return tp_xstrdup(tp_error_format(tp_error_last(), msg, sizeof(msg)));
}

/* ---- reaching an account ------------------------------------------------- */

static int default_reach(const tp_sweep_opts *o, tp_aws_client **client, const char *account)
{
	tp_safety_opts so = TP_SAFETY_OPTS_INIT;
	char session[TP_SESSION_NAME_MAX + 1], alias[256];
	int rc;

	so.account = account;
	so.config = o->config;
	so.pool = o->pool;
	so.caller_account = o->caller_account;
	so.caller = o->caller;
	so.allow_live_lease = 1;     /* it is ours now: cleaning */
	if ((rc = tp_safety_check_pool(&so)) < 0)
		return rc;
	if (o->session)
		tp_strlcpy(session, o->session, sizeof(session));
	else
		tp_account_session_name(session, "sweep", NULL);
	if ((rc = tp_account_client_new(client, o->creds, account, session, o->region)) < 0)
		return rc;
	so.target = *client;
	rc = tp_safety_check_account(&so, alias, sizeof(alias));
	if (rc < 0) {
		tp_error save;

		tp_error_save(&save);
		tp_aws_client_free(*client);
		*client = NULL;
		tp_error_restore(&save);
	}
	return rc;
}

static int reach(const tp_sweep_opts *o, tp_aws_client **client, const char *account)
{
	*client = NULL;
	if (o->reach)
		return o->reach(o->reach_ctx, client, account);
	return default_reach(o, client, account);
}

/* ---- one account ---------------------------------------------------------- */

/* Why a nuke did not leave the account clean. */
static char *unclean_reason(const tp_nuke_report *r)
{
	size_t i;

	if (r->n_errors)
		return tp_xasprintf("could not list %s in %s: %s", r->errors[0].type,
				    r->errors[0].region, r->errors[0].message);
	for (i = 0; i < r->n; i++)
		if (r->items[i].state == TP_NUKE_FAILED)
			return tp_xasprintf("%zu resource%s left; first: %s - %s - %s: %s",
					    r->summary.failed, r->summary.failed == 1 ? "" : "s",
					    r->items[i].res->region, r->items[i].res->type->name,
					    r->items[i].res->id,
					    r->items[i].reason ? r->items[i].reason : "failed");
	return tp_xstrdup(r->summary.interrupted ? "interrupted" : "resources left");
}

/* Reach and nuke; 1 when the account is clean, 0 when not (j->reason says why). */
static int nuke_account(sweep_job *j)
{
	tp_nuke_opts n = j->o->nuke;
	tp_aws_client *client = NULL;
	int rc;

	if (reach(j->o, &client, j->account) < 0) {
		j->reason = error_text();
		return 0;
	}
	n.client = client;
	n.account = j->account;
	rc = tp_nuke_run(&j->report, &n);
	if (rc < 0)
		j->reason = error_text();
	else if (n.dry_run ? j->report.n_errors > 0 : !tp_nuke_report_clean(&j->report))
		j->reason = unclean_reason(&j->report);
	tp_aws_client_free(client);
	return rc == 0 && !j->reason;
}

static tp_sweep_outcome outcome_of(tp_account_state st)
{
	switch (st) {
	case TP_ACCOUNT_AVAILABLE: return TP_SWEEP_CLEANED;
	case TP_ACCOUNT_QUARANTINED: return TP_SWEEP_QUARANTINED;
	default: return TP_SWEEP_FAILED;
	}
}

static void finish(sweep_job *j, int64_t cleaning_version, int clean)
{
	tp_store *s = tp_pool_store(j->o->pool);
	tp_clean_outcome out = { clean, j->reason, 0, 0 };
	tp_account_state st = TP_ACCOUNT_DIRTY;
	tp_account a = TP_ACCOUNT_INIT;

	out.forget_stacks = clean && !(j->o->nuke.filter && tp_filter_keep_stacks(j->o->nuke.filter));
	/* Ctrl-C is not the account's fault: back to dirty, no failed clean. */
	out.interrupted = !clean && j->report.summary.interrupted;
	if (tp_store_clean_end(s, j->account, cleaning_version, &out, &st) < 0) {
		char *why = error_text();

		free(j->reason);
		j->reason = tp_xasprintf("cleaned state not recorded: %s", why);
		free(why);
		j->outcome = TP_SWEEP_FAILED;
		return;
	}
	j->outcome = outcome_of(st);
	if (tp_store_get(s, &a, j->account) == 0)
		j->failed_cleans = a.failed_cleans;
	tp_account_release(&a);
}

static void sweep_one(void *arg)
{
	sweep_job *j = arg;
	int64_t cv = 0;
	int clean;

	tp_error_clear();
	if (j->o->nuke.dry_run) {
		nuke_account(j);
		j->outcome = TP_SWEEP_WOULD_CLEAN;
	} else if (tp_store_clean_begin(tp_pool_store(j->o->pool), j->account, j->version, &cv) < 0) {
		j->reason = error_text();
		j->outcome = TP_SWEEP_SKIPPED;
	} else {
		clean = nuke_account(j);
		finish(j, cv, clean);
	}
	tp_mailbox_post(j->box, &j->link);
}

/* ---- the sweep ------------------------------------------------------------ */

static int candidate(const char *only, const tp_account *a, time_t now)
{
	tp_account_state st = tp_account_state_at(a, now);

	if (only && strcmp(only, a->id) != 0)
		return 0;
	return st == TP_ACCOUNT_DIRTY || st == TP_ACCOUNT_EXPIRED;
}

int tp_sweep_candidates(tp_pool *pool, const char *only, tp_account_list *out)
{
	tp_store *s = tp_pool_store(pool);
	tp_account_list all = TP_ACCOUNT_LIST_INIT;
	time_t now;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (tp_store_list(s, &all) < 0)
		return tp_error_prefix("sweep: reading the pool (%s): ", tp_store_url(s));
	now = tp_store_now(s);
	for (i = 0; i < all.n; i++)
		if (candidate(only, &all.items[i], now))
			tp_account_copy(tp_account_list_push(out), &all.items[i]);
	tp_account_list_release(&all);
	return 0;
}

static tp_sweep_item *add_item(tp_sweep_report *r, const tp_account *a, time_t now)
{
	tp_sweep_item *it;

	r->items = tp_xrealloc(r->items, (r->n + 1) * sizeof(*r->items));
	it = &r->items[r->n++];
	memset(it, 0, sizeof(*it));
	tp_strlcpy(it->account, a->id, sizeof(it->account));
	it->before = tp_account_state_at(a, now);
	it->failed_cleans = a->failed_cleans;
	return it;
}

static void submit(tp_workq *q, tp_mailbox *box, const tp_sweep_opts *o, size_t ix,
		   const tp_account *a)
{
	sweep_job *j = tp_xcalloc(1, sizeof(*j));

	j->o = o;
	j->box = box;
	j->ix = ix;
	tp_strlcpy(j->account, a->id, sizeof(j->account));
	j->version = a->version;
	tp_workq_submit(q, sweep_one, j);
}

static void absorb(tp_sweep_report *r, sweep_job *j)
{
	tp_sweep_item *it = &r->items[j->ix];

	it->outcome = j->outcome;
	if (j->outcome != TP_SWEEP_WOULD_CLEAN)
		it->failed_cleans = j->failed_cleans;
	it->reason = j->reason;
	it->report = j->report;
	free(j);
}

static void count(tp_sweep_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		switch (r->items[i].outcome) {
		case TP_SWEEP_CLEANED: r->cleaned++; break;
		case TP_SWEEP_FAILED: r->failed++; break;
		case TP_SWEEP_QUARANTINED: r->quarantined++; break;
		case TP_SWEEP_SKIPPED: r->skipped++; break;
		default: break;
		}
	}
}

/* One job per candidate on `q`; blocklisted ones are reported, not cleaned. Returns the jobs. */
static size_t submit_all(tp_sweep_report *out, tp_workq *q, tp_mailbox *box,
			 const tp_sweep_opts *o, const tp_account_list *accts)
{
	time_t now = tp_store_now(tp_pool_store(o->pool));
	size_t i, jobs = 0;

	for (i = 0; i < accts->n; i++) {
		const tp_account *a = &accts->items[i];
		tp_sweep_item *it = add_item(out, a, now);

		if (tp_pool_is_blocklisted(o->pool, a->id)) {
			it->outcome = TP_SWEEP_SKIPPED;
			it->reason = tp_xstrdup("in pool.blocklist: never cleaned");
			continue;
		}
		submit(q, box, o, out->n - 1, a);
		jobs++;
	}
	return jobs;
}

int tp_sweep_run(tp_sweep_report *out, const tp_sweep_opts *o)
{
	tp_account_list accts = TP_ACCOUNT_LIST_INIT;
	tp_workq *q = NULL;
	tp_mailbox *box;
	size_t jobs;
	int rc;

	memset(out, 0, sizeof(*out));
	out->dry_run = o->nuke.dry_run;
	if ((rc = tp_sweep_candidates(o->pool, o->only, &accts)) < 0)
		return rc;
	rc = tp_workq_new(&q, o->accounts_parallel > 0 ? o->accounts_parallel
						     : TP_SWEEP_DEFAULT_ACCOUNTS);
	if (rc == 0) {
		box = tp_mailbox_new();
		for (jobs = submit_all(out, q, box, o, &accts); jobs > 0; jobs--)
			absorb(out, (sweep_job *)tp_mailbox_take(box, -1));
		tp_workq_free(q);
		tp_mailbox_free(box, NULL);
	}
	tp_account_list_release(&accts);
	count(out);
	return rc;
}

void tp_sweep_report_release(tp_sweep_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->items[i].reason);
		tp_nuke_report_release(&r->items[i].report);
	}
	free(r->items);
	memset(r, 0, sizeof(*r));
}

json_t *tp_sweep_report_json(const tp_sweep_report *r)
{
	json_t *items = json_array();
	size_t i;

	for (i = 0; i < r->n; i++) {
		const tp_sweep_item *it = &r->items[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:i}", "account", it->account,
				      "before", tp_account_state_name(it->before),
				      "outcome", tp_sweep_outcome_name(it->outcome),
				      "failed_cleans", it->failed_cleans);

		json_object_set_new(o, "reason", it->reason ? json_string(it->reason) : json_null());
		json_object_set_new(o, "nuke", it->report.account[0] ?
				    tp_nuke_report_json(&it->report) : json_null());
		json_array_append_new(items, o);
	}
	return json_pack("{s:b, s:o, s:{s:I, s:I, s:I, s:I, s:I}}", "dry_run", r->dry_run,
			 "accounts", items, "summary", "candidates", (json_int_t)r->n,
			 "cleaned", (json_int_t)r->cleaned, "failed", (json_int_t)r->failed,
			 "quarantined", (json_int_t)r->quarantined,
			 "skipped", (json_int_t)r->skipped);
}
