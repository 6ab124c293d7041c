/*
 * The scheduler's insides, shared by its files (only runner/sched*.c
 * include this):
 *   sched.c        interning, groups, accounts, events, the greedy choice,
 *                  tp_sched_next;
 *   sched_plan.c   the run plan (the whole run, earliest finish first) and
 *                  the endgame plan (Max-Min);
 *   sched_extra.c  what a deploy can carry beyond its suite's stacks.
 */
#ifndef TP_SCHED_INTERNAL_H
#define TP_SCHED_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "runner/sched.h"

#define NO_COST (-1)                 /* a cost not computed yet */
#define WAIT (-2)                    /* a choice: keep the account idle for now */

/* ---- the state ------------------------------------------------------------------------- */

typedef struct stk {
	char *name;
	int64_t ms;                  /* deploy time; -1 until first asked */
	int *deps;                   /* sids of its depends_on (when the driver tells) */
	size_t ndeps;
	int rank;                    /* 0 for a root, else 1 + its deepest dependency's */
	int resolving;               /* guards against a depends_on cycle */
	char **hashes;               /* hid -> hash */
	int *waiting;                /* hid -> pending suites that need the stack at it */
	size_t nhashes;
	int *groups;                 /* groups that hold the stack */
	size_t ngroups, agroups;
} stk;

typedef struct member {
	int sid, hid;
	size_t dep0, ndeps;          /* its dependencies in the group: depidx[dep0..] */
} member;

typedef struct group {
	member *m;                   /* by (rank, sid): dependencies first */
	size_t n;
	size_t *depidx;
	uint64_t key;
	int *suites;                 /* in the policy's order */
	size_t ns, alloc;
	size_t head;                 /* suites[0..head) are all taken */
	int npending;
	int active;                  /* position in the active list, -1 when none pending */
	int64_t best;                /* the least deploy time it needs on any leased account */
	int best_valid;              /* best is up to date */
} group;

typedef struct suite {
	char *name;
	int64_t expected;
	int64_t key;                 /* the length it is ordered by (see build_groups) */
	int unknown;                 /* no history: expected is the others' mean */
	int group, pos;
	int retries, attempts;
	int taken;                   /* started or final: not in the pending pool */
	int running, final, had_failure, flaky;
	int retryable;               /* running, and a failure would bring it back */
	tp_sched_result result;
	int account;
	int64_t started, ended;
	int *failed_on;
	size_t nfailed_on;
} suite;

typedef struct account {
	int handle;
	int busy;                    /* suite index, or -1 */
	int64_t free_at;             /* busy: when its suite should end */
	int planned;                 /* endgame: the suite the plan gives it next, or -1 */
	int *have;                   /* sid -> hid deployed there, -1 none */
	size_t nhave;
	int64_t *cost;               /* per group, NO_COST when not computed */
	size_t ncost;
	int *queue;                  /* the run plan: the suites it runs next, in order */
	int64_t *qcost;              /* the deploy the plan expects before each */
	size_t nqueue, aqueue, qhead;
} account;

typedef struct name_map {
	int *slots;                  /* index + 1; 0 empty */
	size_t cap;
} name_map;

struct tp_sched {
	tp_sched_opts o;
	stk *stks;
	size_t nstks, astks;
	name_map stack_map;          /* stack name -> sid */
	name_map group_map;          /* group key -> gid */
	suite *suites;
	size_t nsuites, suites_alloc;
	group *groups;
	size_t ngroups, agroups;
	int *active;                 /* gids with pending suites */
	size_t nactive;
	account *accts;
	size_t naccts, accts_alloc;
	int64_t *fin;                /* scratch for critical paths */
	size_t nfin;
	int *order;                  /* every suite, in the run plan's order (sorted at each plan) */
	unsigned run_version;        /* counts what the run plan did not foresee */
	unsigned run_planned_at;     /* the run_version the run plan was made at */
	int plan_starts;             /* suites started since the run plan */
	int64_t *pavail;             /* run plan scratch: per account, when free */
	int64_t *pvers;              /* per account: pending suites it could run without a deploy */
	int *porder;                 /* account indices by pavail */
	int *phave;                  /* naccts x nstks: deployments as planned */
	int64_t *pcost;              /* naccts x ngroups: deploy costs as planned */
	size_t pacc, pgrp, pstk;     /* the scratch's dimensions */
	int *by_rank;                /* every sid, dependencies first (sched_extra.c) */
	size_t nby_rank;             /* how many sids it holds (rebuilt when stacks are added) */
	int64_t *xfin;               /* scratch per sid (sched_extra.c): when it would be done */
	int *xhid;                   /* and at which hash */
	unsigned version;            /* counts events the endgame plan cannot foresee */
	unsigned planned_at;         /* the version the endgame plan was made at */
	int64_t plan_expires;        /* when a busy account it counted on should be free */
	int leasing;                 /* LEASE actions not yet answered */
	int lease_blocked;
	int pending;                 /* suites not taken */
	int running;
	int running_retryable;
	int stopped;                 /* fail-fast tripped or tp_sched_stop */
	int started_any;
	int done_sent;
	int grouped;
};

/* ---- sched.c ---------------------------------------------------------------------------- */

int64_t sched_now(const tp_sched *s);
account *sched_find_account(tp_sched *s, int handle);
/* The hash id of stack sid deployed on a, -1 none. */
int sched_have(const account *a, int sid);
/* Suite u failed on the account with this handle before. */
int sched_failed_on(const suite *u, int handle);
/* A stack's deploy time (the driver's estimate, asked once). */
int64_t sched_stack_ms(tp_sched *s, int sid);
/* The deploy time group gi needs over deployments hv[0..nhv) (sid -> hid, -1 none). */
int64_t sched_chain_cost(tp_sched *s, const int *hv, size_t nhv, int gi);
/* The same on account a, cached per account and group. */
int64_t sched_group_cost(tp_sched *s, account *a, int gi);
/* The least deploy time group gi needs on any leased account (cached). */
int64_t sched_group_best(tp_sched *s, int gi);
/* The best pending suite for account a by the greedy score, or -1 (strict: never one that
 * failed on a); *gid its group. */
int sched_choose(tp_sched *s, account *a, int strict, int *gid);

/* ---- sched_plan.c ----------------------------------------------------------------------- */

/* Affinity's choice for idle account a before the endgame: a suite, or -1. */
int sched_choose_planned(tp_sched *s, account *a);
/* Affinity's choice in the endgame: a suite, -1 (none may run here) or WAIT. */
int sched_choose_endgame(tp_sched *s, account *a);

/* ---- sched_extra.c ---------------------------------------------------------------------- */

/*
 * The stacks outside group gi that ride along its deploy over deployments
 * hv (see tp_sched_extra_stacks): their sids into out (room for every
 * stack), their hashes in s->xhid; returns how many.
 */
size_t sched_extra_set(tp_sched *s, const int *hv, size_t nhv, int gi, int *out);

#endif
