/*
 * The lease store's front end: the registry of backends (one row each),
 * URL parsing, argument checks, the clock, and dispatch.
 */
#include "accounts/store.h"

#include <string.h>

#include "accounts/store_backend.h"
#include "aws/error.h"
#include "aws/util.h"

static const struct {
	const char *scheme;
	const tp_store_ops *ops;
} backends[] = {
	{ "sqlite", &tp_store_sqlite_ops },
	{ "dynamodb", &tp_store_dynamodb_ops },
};

#define MAX_HOLDER 256
#define MAX_STACK_NAME 256
#define MAX_HASH 128

const char *tp_store_schemes(void)
{
	return "sqlite, dynamodb";
}

static time_t wall_clock(void *ctx)
{
	(void)ctx;
	return tp_time_now();
}

int tp_store_open(tp_store **out, const char *url, const tp_store_opts *opts)
{
	tp_store_opts none = TP_STORE_OPTS_INIT;
	size_t len = url ? strcspn(url, ":") : 0, i;
	int rc;

	*out = NULL;
	opts = opts ? opts : &none;
	for (i = 0; url && url[len] == ':' && i < TP_ARRAY_SIZE(backends); i++) {
		if (strlen(backends[i].scheme) != len || strncmp(url, backends[i].scheme, len) != 0)
			continue;
		if (!url[len + 1])
			return tp_error_set(TP_EINVAL, "store '%s': nothing after '%s:'", url,
					    backends[i].scheme);
		if ((rc = backends[i].ops->open(out, url + len + 1, opts)) < 0)
			return rc;
		(*out)->ops = backends[i].ops;
		(*out)->clock = opts->clock ? opts->clock : wall_clock;
		(*out)->clock_ctx = opts->clock_ctx;
		return 0;
	}
	return tp_error_set(TP_EINVAL, "unknown store '%s' (known schemes: %s; e.g. "
			    "sqlite:.tidepool/pool.db or dynamodb:TABLE)",
			    url ? url : "", tp_store_schemes());
}

void tp_store_free(tp_store *s)
{
	if (s)
		s->ops->free(s);
}

const char *tp_store_url(const tp_store *s)
{
	return s->url;
}

time_t tp_store_now(const tp_store *s)
{
	return s->clock(s->clock_ctx);
}

static int check_id(const char *account)
{
	if (tp_is_account_id(account))
		return 0;
	return tp_error_set(TP_EINVAL, "'%s' is not an AWS account id (12 digits)",
			    account ? account : "");
}

static int check_text(const char *what, const char *s, size_t max, int required)
{
	if (!s && !required)
		return 0;
	if (!s || !*s)
		return tp_error_set(TP_EINVAL, "%s must not be empty", what);
	if (strlen(s) > max)
		return tp_error_set(TP_EINVAL, "%s is longer than %zu characters", what, max);
	return 0;
}

int tp_store_add(tp_store *s, const char *account)
{
	if (check_id(account) < 0)
		return TP_EINVAL;
	return s->ops->add(s, account, tp_store_now(s));
}

int tp_store_remove(tp_store *s, const char *account, int force)
{
	if (check_id(account) < 0)
		return TP_EINVAL;
	return s->ops->remove(s, account, force, tp_store_now(s));
}

int tp_store_list(tp_store *s, tp_account_list *out)
{
	tp_account_list none = TP_ACCOUNT_LIST_INIT;
	int rc;

	*out = none;
	if ((rc = s->ops->list(s, out)) < 0)
		tp_account_list_release(out);
	else
		tp_account_list_sort(out);
	return rc;
}

int tp_store_get(tp_store *s, tp_account *out, const char *account)
{
	tp_account none = TP_ACCOUNT_INIT;
	int rc;

	*out = none;
	if (check_id(account) < 0)
		return TP_EINVAL;
	if ((rc = s->ops->get(s, out, account)) < 0)
		tp_account_release(out);
	return rc;
}

int tp_store_acquire(tp_store *s, tp_lease *out, const tp_acquire_opts *o)
{
	memset(out, 0, sizeof(*out));
	if (check_text("the lease holder", o->holder, MAX_HOLDER, 1) < 0 ||
	    check_text("the run id", o->run_id, MAX_HOLDER, 0) < 0)
		return TP_EINVAL;
	if (o->ttl <= 0)
		return tp_error_set(TP_EINVAL, "a lease needs a positive TTL (got %ld s)", o->ttl);
	if (o->account && check_id(o->account) < 0)
		return TP_EINVAL;
	return s->ops->acquire(s, out, o, tp_store_now(s));
}

int tp_store_renew(tp_store *s, const char *account, int64_t token, long ttl,
		   time_t *expires_at)
{
	time_t now = tp_store_now(s);
	int rc;

	if (check_id(account) < 0)
		return TP_EINVAL;
	if (ttl <= 0)
		return tp_error_set(TP_EINVAL, "a lease needs a positive TTL (got %ld s)", ttl);
	rc = s->ops->renew(s, account, token, now + ttl, now);
	if (rc == 0 && expires_at)
		*expires_at = now + ttl;
	return rc;
}

int tp_store_release(tp_store *s, const char *account, int64_t token, tp_release_to to)
{
	if (check_id(account) < 0)
		return TP_EINVAL;
	return s->ops->release(s, account, token,
			       to == TP_RELEASE_AVAILABLE ? TP_ACCOUNT_AVAILABLE : TP_ACCOUNT_DIRTY,
			       tp_store_now(s));
}

int tp_store_record_stack(tp_store *s, const char *account, int64_t token,
			  const char *stack, const char *hash)
{
	if (check_id(account) < 0 || check_text("the stack name", stack, MAX_STACK_NAME, 1) < 0 ||
	    check_text("the stack hash", hash, MAX_HASH, 0) < 0)
		return TP_EINVAL;
	return s->ops->record_stack(s, account, token, stack, hash, tp_store_now(s));
}

int tp_store_clean_begin(tp_store *s, const char *account, int64_t version,
			 int64_t *cleaning_version)
{
	int rc;

	if (check_id(account) < 0)
		return TP_EINVAL;
	rc = s->ops->clean_begin(s, account, version, tp_store_now(s));
	if (rc == 0 && cleaning_version)
		*cleaning_version = version + 1;
	return rc;
}

int tp_store_clean_end(tp_store *s, const char *account, int64_t version,
		       const tp_clean_outcome *outcome, tp_account_state *state)
{
	tp_account_state ignored;

	if (check_id(account) < 0 ||
	    check_text("the clean failure reason", outcome->reason, 4096, 0) < 0)
		return TP_EINVAL;
	return s->ops->clean_end(s, account, version, outcome, state ? state : &ignored,
				 tp_store_now(s));
}
