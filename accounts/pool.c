/* The pool: membership rules over the lease store (see pool.h). */
#include "accounts/pool.h"

#include <string.h>

#include "accounts/lease_rules.h"
#include "aws/error.h"
#include "aws/util.h"

#define WAIT_FIRST_MS 250
#define WAIT_MAX_MS 2000
#define MIN(a, b) ((a) < (b) ? (a) : (b))

struct tp_pool {
	tp_store *store;
	char **accounts;
	size_t n_accounts;
	char **blocklist;
	size_t n_blocklist;
};

static char **copy_ids(const char *const *ids, size_t n)
{
	char **out = tp_xcalloc(n ? n : 1, sizeof(*out));
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = tp_xstrdup(ids[i]);
	return out;
}

static void free_ids(char **ids, size_t n)
{
	size_t i;

	for (i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
}

static int in(char *const *ids, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(ids[i], id) == 0)
			return 1;
	return 0;
}

static int check_lists(const tp_pool_opts *o)
{
	size_t i;

	for (i = 0; i < o->n_accounts + o->n_blocklist; i++) {
		const char *id = i < o->n_accounts ? o->accounts[i] : o->blocklist[i - o->n_accounts];
		if (!tp_is_account_id(id))
			return tp_error_set(TP_EINVAL, "pool.%s: '%s' is not an AWS account id "
					    "(12 digits)", i < o->n_accounts ? "accounts" : "blocklist",
					    id ? id : "");
	}
	for (i = 0; i < o->n_accounts; i++)
		if (in((char *const *)o->blocklist, o->n_blocklist, o->accounts[i]))
			return tp_error_set(TP_EINVAL, "pool.accounts: account %s is in "
					    "pool.blocklist", o->accounts[i]);
	return 0;
}

int tp_pool_open(tp_pool **out, const tp_pool_opts *o)
{
	tp_pool *p;
	int rc;

	*out = NULL;
	if (check_lists(o) < 0)
		return TP_EINVAL;
	p = tp_xcalloc(1, sizeof(*p));
	p->accounts = copy_ids(o->accounts, o->n_accounts);
	p->n_accounts = o->n_accounts;
	p->blocklist = copy_ids(o->blocklist, o->n_blocklist);
	p->n_blocklist = o->n_blocklist;
	if ((rc = tp_store_open(&p->store, o->store_url, &o->store)) < 0) {
		tp_pool_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void tp_pool_free(tp_pool *p)
{
	if (!p)
		return;
	tp_store_free(p->store);
	free_ids(p->accounts, p->n_accounts);
	free_ids(p->blocklist, p->n_blocklist);
	free(p);
}

tp_store *tp_pool_store(const tp_pool *p)
{
	return p->store;
}

int tp_pool_is_blocklisted(const tp_pool *p, const char *id)
{
	return in(p->blocklist, p->n_blocklist, id);
}

int tp_pool_check_id(const tp_pool *p, const char *id)
{
	if (!tp_is_account_id(id))
		return tp_error_set(TP_EINVAL, "'%s' is not an AWS account id (12 digits)",
				    id ? id : "");
	if (tp_pool_is_blocklisted(p, id))
		return tp_error_set(TP_EINVAL, "account %s is in pool.blocklist: it is never "
				    "leased or cleaned", id);
	return 0;
}

int tp_pool_sync(tp_pool *p, size_t *added)
{
	tp_account_list l;
	const char **missing = tp_xcalloc(p->n_accounts + 1, sizeof(*missing));
	size_t i, n = 0;
	int rc = tp_store_list(p->store, &l);

	for (i = 0; rc == 0 && i < p->n_accounts; i++)
		if (!tp_account_list_find(&l, p->accounts[i]))
			missing[n++] = p->accounts[i];
	if (rc == 0)
		tp_account_list_release(&l);
	if (added)
		*added = 0;
	if (rc == 0 && n)
		rc = tp_pool_add(p, missing, n, added);
	free(missing);
	return rc;
}

int tp_pool_add(tp_pool *p, const char *const *ids, size_t n, size_t *added)
{
	size_t i, count = 0;
	int rc = 0;

	for (i = 0; i < n; i++)
		if (tp_pool_check_id(p, ids[i]) < 0)
			return TP_EINVAL;
	for (i = 0; i < n && rc >= 0; i++) {
		rc = tp_store_add(p->store, ids[i]);
		count += rc == 0;
	}
	if (added)
		*added = count;
	return rc < 0 ? rc : 0;
}

/* May `id` be removed? */
static int check_removal(tp_pool *p, const char *id, int force)
{
	tp_account a = TP_ACCOUNT_INIT;
	int rc;

	if (!tp_is_account_id(id))
		return tp_error_set(TP_EINVAL, "'%s' is not an AWS account id (12 digits)",
				    id ? id : "");
	rc = tp_store_get(p->store, &a, id);
	if (rc == TP_ENOTFOUND)
		rc = tp_error_set(TP_EINVAL, "account %s is not in the pool", id);
	if (rc == 0)
		rc = tp_rule_check_remove(&a, id, force, tp_store_now(p->store));
	tp_account_release(&a);
	return rc;
}

int tp_pool_remove(tp_pool *p, const char *const *ids, size_t n, int force)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++)
		rc = check_removal(p, ids[i], force);
	for (i = 0; i < n && rc == 0; i++) {
		rc = tp_store_remove(p->store, ids[i], force);
		if (rc == TP_ENOTFOUND) {       /* gone since the check: the goal holds */
			tp_error_clear();
			rc = 0;
		}
	}
	return rc;
}

struct scoring {
	const tp_pool *pool;
	tp_score_fn inner;
	void *inner_ctx;
};

static long score(void *ctx, const tp_account *a)
{
	const struct scoring *s = ctx;

	if (tp_pool_is_blocklisted(s->pool, a->id))
		return -1;
	return s->inner ? s->inner(s->inner_ctx, a) : 0;
}

int tp_pool_acquire(tp_pool *p, tp_lease *out, const tp_acquire_opts *opts, long wait_s)
{
	struct scoring sc = { p, opts->score, opts->score_ctx };
	tp_acquire_opts o = *opts;
	int64_t deadline = tp_now_ms() + (int64_t)wait_s * 1000, pause = WAIT_FIRST_MS;
	int rc;

	if (o.account && tp_pool_check_id(p, o.account) < 0)
		return TP_EINVAL;
	o.score = score;
	o.score_ctx = &sc;
	while ((rc = tp_store_acquire(p->store, out, &o)) == TP_EBUSY) {
		int64_t left = deadline - tp_now_ms();
		if (left <= 0)
			break;
		tp_sleep_ms(MIN(left, (int64_t)(pause * (0.5 + tp_random_unit()))));
		pause = MIN(2 * pause, WAIT_MAX_MS);
	}
	if (rc == TP_EBUSY && wait_s > 0)
		tp_error_prefix("waited %lds: ", wait_s);
	return rc;
}

int tp_pool_owner_token(tp_pool *p, int64_t *token, const char *account, const char *owner)
{
	tp_account a = TP_ACCOUNT_INIT;
	int rc = tp_store_get(p->store, &a, account);

	if (rc == TP_ENOTFOUND)
		rc = tp_error_set(TP_EINVAL, "account %s is not in the pool", account);
	else if (rc == 0 && a.state != TP_ACCOUNT_LEASED)
		rc = tp_error_set(TP_ECONFLICT, "account %s is not leased (it is %s)", account,
				  tp_account_state_name(a.state));
	else if (rc == 0 && !tp_streq(a.holder, owner))
		rc = tp_error_set(TP_ECONFLICT, "lease superseded: account %s is leased by %s "
				  "(token %lld), not by %s; pass --token to name a lease",
				  account, a.holder ? a.holder : "?", (long long)a.version, owner);
	if (rc == 0)
		*token = a.version;
	tp_account_release(&a);
	return rc;
}

int tp_pool_live_lease(tp_pool *p, tp_account *out, const char *account, int64_t token)
{
	int rc = tp_store_get(p->store, out, account);

	if (rc == TP_ENOTFOUND)
		rc = tp_error_set(TP_EINVAL, "account %s is not in the pool", account);
	if (rc == 0)
		rc = tp_rule_check_lease(out, account, token, tp_store_now(p->store), 1);
	if (rc < 0)
		tp_account_release(out);
	return rc;
}

static void push(char ***v, size_t *n, const char *s)
{
	*v = tp_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = tp_xstrdup(s);
}

int tp_pool_import(tp_pool *p, tp_pool_import_result *out, tp_aws_client *org, const char *ou)
{
	tp_pool_import_result r = TP_POOL_IMPORT_RESULT_INIT;
	size_t i;
	int rc = tp_org_accounts_under(&r.found, org, ou);

	for (i = 0; rc == 0 && i < r.found.n; i++) {
		const char *id = r.found.ids[i];
		if (tp_pool_is_blocklisted(p, id)) {
			push(&r.blocked, &r.n_blocked, id);
			continue;
		}
		if ((rc = tp_store_add(p->store, id)) >= 0)
			push(rc == 0 ? &r.added : &r.present, rc == 0 ? &r.n_added : &r.n_present, id);
		rc = rc < 0 ? rc : 0;
	}
	*out = r;
	return rc;
}

void tp_pool_import_release(tp_pool_import_result *r)
{
	tp_org_accounts_release(&r->found);
	free_ids(r->added, r->n_added);
	free_ids(r->present, r->n_present);
	free_ids(r->blocked, r->n_blocked);
	r->added = r->present = r->blocked = NULL;
	r->n_added = r->n_present = r->n_blocked = 0;
}
