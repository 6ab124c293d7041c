/*
 * What a lease-store backend implements (internal to accounts/).
 *
 * A backend is one file and one row in store.c's registry. Its handle
 * struct starts with `struct tp_store` (the front end's part). store.c
 * validates every argument and reads the clock before calling in, so a
 * backend gets well-formed ids, positive TTLs and the `now` to use.
 *
 * The rules (which transition is allowed from which record) live in
 * accounts/lease_rules.h; a backend either applies them to the record it
 * read inside a transaction (SQLite) or mirrors them in a conditional write
 * and uses them to explain a failed condition (DynamoDB).
 */
#ifndef TP_STORE_BACKEND_H
#define TP_STORE_BACKEND_H

#include "accounts/store.h"

typedef struct tp_store_ops tp_store_ops;

struct tp_store {
	const tp_store_ops *ops;
	char *url;                  /* owned; set by the backend's open */
	tp_clock_fn clock;          /* set by store.c after open */
	void *clock_ctx;
};

struct tp_store_ops {
	/* `target` is the URL after "scheme:". Sets (*out)->url. */
	int (*open)(tp_store **out, const char *target, const tp_store_opts *opts);
	void (*free)(tp_store *s);

	int (*add)(tp_store *s, const char *account, time_t now);
	int (*remove)(tp_store *s, const char *account, int force, time_t now);
	int (*list)(tp_store *s, tp_account_list *out);
	int (*get)(tp_store *s, tp_account *out, const char *account);

	int (*acquire)(tp_store *s, tp_lease *out, const tp_acquire_opts *o, time_t now);
	int (*renew)(tp_store *s, const char *account, int64_t token, time_t expires_at,
		     time_t now);
	int (*release)(tp_store *s, const char *account, int64_t token, tp_account_state to,
		       time_t now);
	int (*record_stack)(tp_store *s, const char *account, int64_t token, const char *stack,
			    const char *hash, time_t now);

	int (*clean_begin)(tp_store *s, const char *account, int64_t version, time_t now);
	int (*clean_end)(tp_store *s, const char *account, int64_t version,
			 const tp_clean_outcome *o, tp_account_state *state, time_t now);
};

extern const tp_store_ops tp_store_sqlite_ops;
extern const tp_store_ops tp_store_dynamodb_ops;

#endif
