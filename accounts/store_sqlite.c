/*
 * The SQLite lease store (default, `sqlite:PATH`): safe across processes on
 * one machine.
 *
 * DESIGN: every change is one BEGIN IMMEDIATE transaction that reads the
 * account record(s), checks the lease rules (lease_rules.h) against what it
 * read, applies the transition and writes it back. BEGIN IMMEDIATE takes
 * the database's write lock up front, so no other process can change the
 * rows between the read and the write; acquire reads every account, ranks
 * the available ones and leases the best, all under that lock. Waiting for
 * the lock is SQLite's busy timeout (30 s by default); WAL lets readers
 * (status, list) proceed while a writer holds it. synchronous=NORMAL: a
 * commit survives a crash of any process; only a power loss can lose the
 * last commits (and with them the processes that held those leases).
 *
 * Within a process, the handle's mutex serialises its calls (store_sqlite.h).
 * A handle must not be used across fork(): open one per process.
 */
#include "accounts/store_sqlite.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "accounts/lease_rules.h"
#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"

#define DEFAULT_BUSY_MS 30000

static tp_sqlite_store *sq(tp_store *s)
{
	return (tp_sqlite_store *)s;
}

int tp_sqlite_fail(tp_sqlite_store *s, int sqlite_rc, const char *what)
{
	const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(sqlite_rc);

	if (sqlite_rc == SQLITE_BUSY || sqlite_rc == SQLITE_LOCKED)
		return tp_error_set(TP_ETIMEOUT, "%s: %s: the pool database stayed locked by "
				    "another process past the busy timeout (%s)", s->path, what, msg);
	return tp_error_set(TP_ERROR, "%s: %s: %s", s->path, what, msg);
}

int tp_sqlite_exec(tp_sqlite_store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : tp_sqlite_fail(s, rc, sql);
}

typedef int (*txn_fn)(tp_sqlite_store *s, void *ctx);

/*
 * Run `fn` in a transaction (`begin` is "BEGIN IMMEDIATE" for changes,
 * "BEGIN" for a consistent read) under the handle's mutex; commit when it
 * returns >= 0, roll back otherwise. Returns fn's value.
 */
static int in_transaction(tp_sqlite_store *s, const char *begin, txn_fn fn, void *ctx)
{
	tp_error saved;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = tp_sqlite_exec(s, begin);
	if (rc == 0) {
		rc = fn(s, ctx);
		if (rc >= 0 && tp_sqlite_exec(s, "COMMIT") < 0)
			rc = tp_error_last()->code;
		if (rc < 0 && !sqlite3_get_autocommit(s->db)) {
			tp_error_save(&saved);
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			tp_error_restore(&saved);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* ---- one account's change ------------------------------------------- */

enum { SAVE_ROW = 1, SAVE_STACKS = 2, DELETE_ROW = 4 };

/* One operation on one account: `apply` checks and transitions the record. */
struct change {
	const char *id;
	time_t now;
	int64_t token;              /* or the version the sweeper read */
	time_t expires_at;
	tp_account_state to;
	const char *stack, *hash;
	const tp_clean_outcome *outcome;
	tp_account_state *state_out;
	int force;
	/* NULL when absent; returns < 0 (error set), or what to write (SAVE_*). */
	int (*apply)(struct change *c, tp_account *a);
};

static int change_txn(tp_sqlite_store *s, void *ctx)
{
	struct change *c = ctx;
	tp_account a = TP_ACCOUNT_INIT;
	int rc = tp_sqlite_load(s, &a, c->id), what;

	if (rc == 0 || rc == TP_ENOTFOUND)
		rc = c->apply(c, rc == 0 ? &a : NULL);
	what = rc > 0 ? rc : 0;
	rc = rc > 0 ? 0 : rc;
	if (what & DELETE_ROW)
		rc = tp_sqlite_delete(s, c->id);
	if (rc == 0 && (what & SAVE_STACKS))
		rc = tp_sqlite_save_stacks(s, &a);
	if (rc == 0 && (what & SAVE_ROW))
		rc = tp_sqlite_save(s, &a);
	tp_account_release(&a);
	return rc < 0 ? tp_error_last()->code : 0;
}

static int change(tp_store *s, struct change *c)
{
	return in_transaction(sq(s), "BEGIN IMMEDIATE", change_txn, c);
}

/* ---- operations ------------------------------------------------------ */

struct add_ctx {
	const char *id;
	time_t now;
};

static int add_txn(tp_sqlite_store *s, void *ctx)
{
	struct add_ctx *c = ctx;
	tp_account a = TP_ACCOUNT_INIT;
	int rc = tp_sqlite_load(s, &a, c->id);

	tp_account_release(&a);
	if (rc == 0)
		return 1;
	if (rc != TP_ENOTFOUND)
		return rc;
	tp_account_init_new(&a, c->id, c->now);
	return tp_sqlite_insert(s, &a);
}

static int sqlite_add(tp_store *s, const char *account, time_t now)
{
	struct add_ctx c = { account, now };

	return in_transaction(sq(s), "BEGIN IMMEDIATE", add_txn, &c);
}

static int apply_remove(struct change *c, tp_account *a)
{
	return tp_rule_check_remove(a, c->id, c->force, c->now) < 0 ? -1 : DELETE_ROW;
}

static int sqlite_remove(tp_store *s, const char *account, int force, time_t now)
{
	struct change c = { .id = account, .now = now, .force = force, .apply = apply_remove };

	return change(s, &c);
}

static int list_txn(tp_sqlite_store *s, void *ctx)
{
	return tp_sqlite_load_all(s, ctx);
}

static int sqlite_list(tp_store *s, tp_account_list *out)
{
	return in_transaction(sq(s), "BEGIN", list_txn, out);
}

struct get_ctx {
	tp_account *out;
	const char *id;
};

static int get_txn(tp_sqlite_store *s, void *ctx)
{
	struct get_ctx *g = ctx;
	int rc = tp_sqlite_load(s, g->out, g->id);

	return rc == TP_ENOTFOUND ? tp_rule_not_in_pool(g->id) : rc;
}

static int sqlite_get(tp_store *s, tp_account *out, const char *account)
{
	struct get_ctx g = { out, account };

	return in_transaction(sq(s), "BEGIN", get_txn, &g);
}

struct acquire_ctx {
	tp_lease *out;
	const tp_acquire_opts *o;
	time_t now;
};

/* A copy of the record to lease into `chosen`; an error when there is none. */
static int choose(tp_account *chosen, const tp_account_list *l, const struct acquire_ctx *c)
{
	const tp_account *a;
	size_t *order;
	int rc = 0;

	if (c->o->account) {
		a = tp_account_list_find(l, c->o->account);
		if ((rc = tp_rule_check_acquire_one(a, c->o->account, c->now)) == 0)
			tp_account_copy(chosen, a);
		return rc;
	}
	order = tp_xcalloc(l->n ? l->n : 1, sizeof(*order));
	if (tp_rule_rank(order, l, c->o) == 0)
		rc = tp_rule_none_available(l, c->now);
	else
		tp_account_copy(chosen, &l->items[order[0]]);
	free(order);
	return rc;
}

static int acquire_txn(tp_sqlite_store *s, void *ctx)
{
	struct acquire_ctx *c = ctx;
	tp_account_list l = TP_ACCOUNT_LIST_INIT;
	tp_account a = TP_ACCOUNT_INIT;
	int rc;

	if (c->o->account) {
		rc = tp_sqlite_load(s, tp_account_list_push(&l), c->o->account);
		if (rc == TP_ENOTFOUND) {
			tp_account_list_release(&l);
			rc = 0;
		}
	} else {
		rc = tp_sqlite_load_all(s, &l);
	}
	if (rc == 0)
		rc = choose(&a, &l, c);
	tp_account_list_release(&l);
	if (rc < 0)
		return rc;
	tp_rule_lease(&a, c->o, c->now);
	if ((rc = tp_sqlite_save(s, &a)) == 0) {
		tp_strlcpy(c->out->account, a.id, sizeof(c->out->account));
		c->out->token = a.version;
		c->out->expires_at = a.expires_at;
	}
	tp_account_release(&a);
	return rc;
}

static int sqlite_acquire(tp_store *s, tp_lease *out, const tp_acquire_opts *o, time_t now)
{
	struct acquire_ctx c = { out, o, now };

	return in_transaction(sq(s), "BEGIN IMMEDIATE", acquire_txn, &c);
}

static int apply_renew(struct change *c, tp_account *a)
{
	if (tp_rule_check_lease(a, c->id, c->token, c->now, 1) < 0)
		return -1;
	a->expires_at = c->expires_at;
	return SAVE_ROW;
}

static int sqlite_renew(tp_store *s, const char *account, int64_t token, time_t expires_at,
			time_t now)
{
	struct change c = { .id = account, .now = now, .token = token,
			    .expires_at = expires_at, .apply = apply_renew };

	return change(s, &c);
}

static int apply_release(struct change *c, tp_account *a)
{
	if (tp_rule_check_lease(a, c->id, c->token, c->now, 0) < 0)
		return -1;
	tp_rule_release(a, c->to, c->now);
	return SAVE_ROW;
}

static int sqlite_release(tp_store *s, const char *account, int64_t token, tp_account_state to,
			  time_t now)
{
	struct change c = { .id = account, .now = now, .token = token, .to = to,
			    .apply = apply_release };

	return change(s, &c);
}

static int apply_record(struct change *c, tp_account *a)
{
	if (tp_rule_check_lease(a, c->id, c->token, c->now, 0) < 0)
		return -1;
	tp_account_set_stack(a, c->stack, c->hash);
	return SAVE_STACKS;
}

static int sqlite_record_stack(tp_store *s, const char *account, int64_t token,
			       const char *stack, const char *hash, time_t now)
{
	struct change c = { .id = account, .now = now, .token = token, .stack = stack,
			    .hash = hash, .apply = apply_record };

	return change(s, &c);
}

static int apply_clean_begin(struct change *c, tp_account *a)
{
	if (tp_rule_check_clean_begin(a, c->id, c->token, c->now) < 0)
		return -1;
	tp_rule_clean_begin(a, c->now);
	return SAVE_ROW;
}

static int sqlite_clean_begin(tp_store *s, const char *account, int64_t version, time_t now)
{
	struct change c = { .id = account, .now = now, .token = version,
			    .apply = apply_clean_begin };

	return change(s, &c);
}

static int apply_clean_end(struct change *c, tp_account *a)
{
	int forget = c->outcome->ok && c->outcome->forget_stacks;

	if (tp_rule_check_clean_end(a, c->id, c->token, c->now) < 0)
		return -1;
	tp_rule_clean_end(a, c->outcome, c->now);
	*c->state_out = a->state;
	return SAVE_ROW | (forget ? SAVE_STACKS : 0);
}

static int sqlite_clean_end(tp_store *s, const char *account, int64_t version,
			    const tp_clean_outcome *o, tp_account_state *state, time_t now)
{
	struct change c = { .id = account, .now = now, .token = version, .outcome = o,
			    .state_out = state, .apply = apply_clean_end };

	return change(s, &c);
}

/* ---- open / close ----------------------------------------------------- */

/* mkdir -p of the directory part of `path`. */
static int make_parents(const char *path)
{
	char *dir = tp_xstrdup(path), *p;
	int rc = 0;

	for (p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			rc = tp_error_set(TP_EINVAL, "cannot create directory %s for the pool "
					  "database: %s", dir, strerror(errno));
		*p = '/';
		if (rc < 0)
			break;
	}
	free(dir);
	return rc;
}

static char *resolve(const char *target, const char *base_dir)
{
	if (target[0] == '/' || !base_dir || !*base_dir)
		return tp_xstrdup(target);
	return tp_xasprintf("%s/%s", base_dir, target);
}

static int journal_wal(tp_sqlite_store *s)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *mode;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL), wal;

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	mode = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	wal = mode && strcmp((const char *)mode, "wal") == 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return tp_sqlite_fail(s, rc, "switching to WAL");
	if (!wal)
		return tp_error_set(TP_ERROR, "%s: the pool database cannot use WAL journaling "
				    "(is it on a network file system?)", s->path);
	return 0;
}

static int schema_txn(tp_sqlite_store *s, void *ctx)
{
	(void)ctx;
	return tp_sqlite_schema(s);
}

static int open_db(tp_sqlite_store *s, int busy_ms)
{
	int rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX, NULL);

	if (rc != SQLITE_OK)
		return tp_error_set(TP_EINVAL, "cannot open the pool database %s: %s", s->path,
				    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	sqlite3_busy_timeout(s->db, busy_ms);
	if ((rc = journal_wal(s)) < 0 ||
	    (rc = tp_sqlite_exec(s, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON")) < 0)
		return rc;
	return in_transaction(s, "BEGIN IMMEDIATE", schema_txn, NULL);
}

static void sqlite_free(tp_store *base)
{
	tp_sqlite_store *s = sq(base);

	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s->base.url);
	free(s);
}

static int sqlite_open(tp_store **out, const char *target, const tp_store_opts *opts)
{
	tp_sqlite_store *s = tp_xcalloc(1, sizeof(*s));
	int rc;

	pthread_mutex_init(&s->lock, NULL);
	s->path = resolve(target, opts->base_dir);
	s->base.url = tp_xasprintf("sqlite:%s", s->path);
	rc = make_parents(s->path);
	if (rc == 0)
		rc = open_db(s, opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : DEFAULT_BUSY_MS);
	if (rc < 0) {
		sqlite_free(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}

const tp_store_ops tp_store_sqlite_ops = {
	.open = sqlite_open,
	.free = sqlite_free,
	.add = sqlite_add,
	.remove = sqlite_remove,
	.list = sqlite_list,
	.get = sqlite_get,
	.acquire = sqlite_acquire,
	.renew = sqlite_renew,
	.release = sqlite_release,
	.record_stack = sqlite_record_stack,
	.clean_begin = sqlite_clean_begin,
	.clean_end = sqlite_clean_end,
};
