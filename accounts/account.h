/*
 * A pool account as a lease store keeps it, and the lease a holder gets.
 *
 * States (DESIGN.md, "Accounts and leases"):
 *
 *   available --acquire--> leased --release--> dirty --clean_begin--> cleaning
 *       ^                    |  \                ^                       |
 *       |                    |   `--(TTL passes: shown as "expired";     |
 *       |                    |       clean_begin takes it like dirty)    |
 *       |                    `--release (warm-up)--> available           |
 *       `----------------------------- clean_end ok ---------------------'
 *                       clean_end failed: dirty, failed_cleans + 1;
 *                       the TP_QUARANTINE_AFTER-th failure in a row: quarantined
 *
 * Every transition adds one to `version`. A lease's fencing token is the
 * version its acquire produced; since renewing and recording stacks are not
 * transitions, a lease is live exactly while the account is leased, its
 * version still equals the token and its expiry is in the future.
 *
 * Times are wall-clock seconds since the epoch (a store's injectable clock).
 */
#ifndef TP_ACCOUNT_H
#define TP_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef enum tp_account_state {
	TP_ACCOUNT_AVAILABLE,
	TP_ACCOUNT_LEASED,
	TP_ACCOUNT_DIRTY,
	TP_ACCOUNT_CLEANING,
	TP_ACCOUNT_QUARANTINED,
	TP_ACCOUNT_EXPIRED     /* never stored: a leased account past its expiry, as shown */
} tp_account_state;

/* Failed cleans in a row that quarantine an account. */
#define TP_QUARANTINE_AFTER 3

/* A stack deployed in an account and the content hash it was deployed with. */
typedef struct tp_stack_record {
	char *name;
	char *hash;
} tp_stack_record;

/* An account record; owns every string and the stacks array. */
typedef struct tp_account {
	char id[13];               /* 12 digits */
	tp_account_state state;    /* as stored: never TP_ACCOUNT_EXPIRED */
	int64_t version;           /* +1 on every transition; the fencing token of a lease */
	char *holder;              /* leased: who holds it; else NULL */
	char *run_id;              /* leased: the run it is leased for, or NULL */
	time_t leased_at;          /* leased: when; else 0 */
	time_t expires_at;         /* leased: when the lease ends unless renewed; else 0 */
	time_t changed_at;         /* the last transition */
	int failed_cleans;         /* failed cleans in a row */
	char *reason;              /* the last clean failure (the quarantine reason), or NULL */
	tp_stack_record *stacks;   /* sorted by name */
	size_t n_stacks;
} tp_account;

#define TP_ACCOUNT_INIT { "", TP_ACCOUNT_AVAILABLE, 0, NULL, NULL, 0, 0, 0, 0, NULL, NULL, 0 }

/* A fresh record of a new pool member: available, version 1. */
void tp_account_init_new(tp_account *a, const char *id, time_t now);

/* Free the contents; the struct is TP_ACCOUNT_INIT afterwards. NULL is a no-op. */
void tp_account_release(tp_account *a);

/* Deep copy; `dst` is overwritten (not released first). */
void tp_account_copy(tp_account *dst, const tp_account *src);

/* The state to show at `now`: TP_ACCOUNT_EXPIRED for a lease past its expiry. */
tp_account_state tp_account_state_at(const tp_account *a, time_t now);

/* "available", "leased", ..., "expired". */
const char *tp_account_state_name(tp_account_state s);

/* The stored states by name ("expired" is not one). 0, or -1 (no error set). */
int tp_account_state_parse(const char *name, tp_account_state *out);

/* The recorded hash of stack `name`, or NULL. */
const char *tp_account_stack_hash(const tp_account *a, const char *name);

/* Record `name` -> `hash` (copied), keeping the array sorted; hash NULL forgets it. */
void tp_account_set_stack(tp_account *a, const char *name, const char *hash);

/* Forget every stack. */
void tp_account_clear_stacks(tp_account *a);

/* A list of records, as tp_store_list returns them (sorted by id). */
typedef struct tp_account_list {
	tp_account *items;
	size_t n, alloc;
} tp_account_list;

#define TP_ACCOUNT_LIST_INIT { NULL, 0, 0 }

/* Append a TP_ACCOUNT_INIT record and return it (valid until the next push). */
tp_account *tp_account_list_push(tp_account_list *l);

/* Sort by account id. */
void tp_account_list_sort(tp_account_list *l);

/* The record of `id`, or NULL. */
const tp_account *tp_account_list_find(const tp_account_list *l, const char *id);

void tp_account_list_release(tp_account_list *l);

/* What a holder gets from acquire. */
typedef struct tp_lease {
	char account[13];
	int64_t token;             /* the version at acquire */
	time_t expires_at;
} tp_lease;

#endif
