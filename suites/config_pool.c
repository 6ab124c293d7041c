/*
 * The `pool:` section: where leases are stored, which role to assume, and
 * which accounts make up the pool (listed, or discovered from an OU).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "suites/config_internal.h"
#include "suites/nameindex.h"
#include "suites/suggest.h"

#define DEFAULT_STORE "sqlite:.tidepool/pool.db"
#define DEFAULT_ROLE "OrganizationAccountAccessRole"
#define DEFAULT_LEASE_TTL (2 * 3600L)

static int decode_accounts(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	tp_config_list *l = dst;
	size_t i;

	if (tp_cfg_list(ctx, v, dst) < 0)
		return -1;
	for (i = 0; i < l->n; i++)
		if (!tp_is_account_id(l->items[i]))
			return tp_cfg_fail_at(ctx, l->marks[i], tp_buf_cstr(&ctx->path),
					      "'%s' is not a 12-digit account id", l->items[i]);
	return 0;
}

/* "ou-ab12-cd34ef56", or an organization root "r-ab12". */
static int is_ou(const char *s)
{
	const char *id = TP_CFG_LOWER TP_CFG_DIGIT;
	size_t a, b;

	if (tp_starts_with(s, "r-"))
		return (a = strspn(s + 2, id)) >= 4 && a <= 32 && !s[2 + a];
	if (!tp_starts_with(s, "ou-"))
		return 0;
	a = strspn(s + 3, id);
	if (a < 4 || a > 32 || s[3 + a] != '-')
		return 0;
	b = strspn(s + 4 + a, id);
	return b >= 8 && b <= 32 && !s[4 + a + b];
}

static int decode_ou(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	char **out = dst;

	if (tp_cfg_string(ctx, v, dst) < 0)
		return -1;
	if (!is_ou(*out))
		return tp_cfg_fail(ctx, v, "'%s' is not an organizational unit id "
				   "(such as ou-ab12-cd34ef56)", *out);
	return 0;
}

static const tp_cfg_field pool_fields[] = {
	{ "store", tp_cfg_string, offsetof(tp_config_pool, store) },
	{ "role", tp_cfg_string, offsetof(tp_config_pool, role) },
	{ "accounts", decode_accounts, offsetof(tp_config_pool, accounts) },
	{ "organizational_unit", decode_ou, offsetof(tp_config_pool, organizational_unit) },
	{ "lease_ttl", tp_cfg_duration, offsetof(tp_config_pool, lease_ttl) },
	{ "blocklist", decode_accounts, offsetof(tp_config_pool, blocklist) },
};
TP_CFG_FIELDS_FIT(pool_fields);

enum { F_STORE, F_ROLE, F_ACCOUNTS, F_OU, F_TTL, F_BLOCKLIST };

static int unknown_store(tp_cfg_ctx *ctx, const tp_ynode *at, const char *store)
{
	static const char *const schemes[] = { "sqlite", "dynamodb" };
	size_t len = strcspn(store, ":"), i;
	char *scheme = tp_xstrndup(store, len);
	tp_suggest s;

	tp_suggest_init(&s, scheme);
	for (i = 0; i < TP_ARRAY_SIZE(schemes); i++)
		tp_suggest_add(&s, schemes[i]);
	if (tp_suggest_best(&s) && store[len] == ':')
		tp_cfg_fail_key(ctx, "store", at, "unknown store '%s' (did you mean '%s:%s'?)",
				store, tp_suggest_best(&s), store + len + 1);
	else
		tp_cfg_fail_key(ctx, "store", at, "unknown store '%s' "
				"(expected sqlite:PATH or dynamodb:TABLE)", store);
	free(scheme);
	return TP_EINVAL;
}

/* Split pool->store into its kind and target; `at` is where it was written (or NULL). */
static int parse_store(tp_cfg_ctx *ctx, tp_config_pool *pool, const tp_ynode *at)
{
	const char *s = pool->store, *table = s + strlen("dynamodb:");

	if (tp_starts_with(s, "sqlite:") && s[strlen("sqlite:")]) {
		pool->store_kind = TP_CONFIG_STORE_SQLITE;
		pool->store_target = tp_cfg_resolve(ctx->c, s + strlen("sqlite:"));
		return 0;
	}
	if (!tp_starts_with(s, "dynamodb:"))
		return unknown_store(ctx, at, s);
	if (strspn(table, TP_CFG_ALNUM "_.-") != strlen(table) || strlen(table) < 3 ||
	    strlen(table) > 255)
		return tp_cfg_fail_key(ctx, "store", at, "'%s' is not a DynamoDB table name "
				       "(3 to 255 letters, digits, '_', '-' and '.')", table);
	pool->store_kind = TP_CONFIG_STORE_DYNAMODB;
	pool->store_target = tp_xstrdup(table);
	return 0;
}

/* No account is both leased and blocklisted. */
static int check_blocklist(tp_cfg_ctx *ctx, const tp_config_pool *pool)
{
	tp_nameindex ix;
	size_t i, hit = (size_t)-1;

	tp_nameindex_init(&ix, (const char *const *)pool->blocklist.items, pool->blocklist.n);
	for (i = 0; i < pool->accounts.n && hit == (size_t)-1; i++)
		hit = tp_nameindex_find(&ix, pool->accounts.items[i]);
	tp_nameindex_release(&ix);
	if (hit == (size_t)-1)
		return 0;
	return tp_cfg_fail_at(ctx, pool->accounts.marks[i - 1], "pool.accounts",
			      "account %s is in pool.blocklist (line %u)",
			      pool->accounts.items[i - 1], pool->blocklist.marks[hit].line);
}

static void defaults(tp_config_pool *pool)
{
	if (!pool->store)
		pool->store = tp_xstrdup(DEFAULT_STORE);
	if (!pool->role)
		pool->role = tp_xstrdup(DEFAULT_ROLE);
	if (!pool->lease_ttl)
		pool->lease_ttl = DEFAULT_LEASE_TTL;
}

int tp_cfg_decode_pool(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	const tp_ynode *found[TP_CFG_MAX_FIELDS];
	tp_config_pool *pool = dst;

	pool->mark = tp_cfg_mark(v);
	if (tp_cfg_fields(ctx, v, pool_fields, TP_ARRAY_SIZE(pool_fields), pool, found) < 0)
		return -1;
	if (found[F_ACCOUNTS] && found[F_OU])
		return tp_cfg_fail_key(ctx, "organizational_unit", found[F_OU],
				       "give either pool.accounts or pool.organizational_unit, not both");
	defaults(pool);
	if (parse_store(ctx, pool, found[F_STORE] ? found[F_STORE] : v) < 0)
		return -1;
	return check_blocklist(ctx, pool);
}
