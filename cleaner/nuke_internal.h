/*
 * Inside the nuke loop (nuke.h): the run the coordinator keeps, the jobs
 * workers run, and the steps in their files:
 *   nuke.c         tp_nuke_run: set up, scan, passes, finish
 *   nuke_scan.c    listing (first scan and re-lists) and reconciling it
 *                  with what the run already knows
 *   nuke_pass.c    one delete pass: dependency order, bounded parallelism,
 *                  waiting for asynchronous deletes, timeouts
 *   nuke_jobs.c    what a worker does with a job
 *   nuke_report.c  items, states, events, output forms
 *
 * Everything in nk_run is read and written by the coordinator thread only.
 * A job carries copies or borrowed pointers that outlive it (types, region
 * strings of the options, resources parked in the run's graveyard) and
 * comes back as the message.
 */
#ifndef TP_NUKE_INTERNAL_H
#define TP_NUKE_INTERNAL_H

#include "aws/error.h"
#include "cleaner/nuke.h"

typedef enum nk_kind { NK_LIST, NK_MANAGED, NK_REMOVE, NK_GONE } nk_kind;

typedef struct nk_job {
	tp_msg link;                 /* first: the job is posted back as a message */
	nk_kind kind;
	tp_mailbox *box;
	tp_clean_ctx ctx;
	const tp_resource_type *type;
	const char *region;          /* the region to call (global types: the first) */
	const tp_resource *res;      /* remove / gone */
	int type_ix, region_ix;
	size_t item;
	unsigned gen;
	/* results */
	int rc;                      /* gone: 1 gone, 0 not yet, <0 error */
	tp_error err;
	tp_resource_list found;      /* list */
	tp_managed *managed;         /* managed (owned until merged) */
} nk_job;

void nk_job_run(void *arg);
void nk_job_free(nk_job *j);

/* Where an item is in the current pass. */
typedef enum nk_phase {
	NK_IDLE,      /* not part of this pass */
	NK_PENDING,   /* nukeable, not started */
	NK_RUNNING,   /* remove in flight */
	NK_WAITING,   /* polling gone */
	NK_SETTLED    /* removed or failed in this pass */
} nk_phase;

typedef struct nk_track {
	int type_ix, region_ix;
	int nukeable;                /* listed, not kept, not (yet) gone */
	int seen;                    /* in the latest listing of its group */
	nk_phase phase;
	unsigned gen;                /* bumped when a job's answer stops mattering */
	int polling;                 /* a gone job is in flight */
	int64_t deadline, next_poll, poll_interval;
	char *last_error;            /* the message of its last failure, or NULL */
} nk_track;

typedef struct nk_error_slot {
	int type_ix, region_ix;      /* region_ix == nregions: global; type_ix -1: managed */
} nk_error_slot;

typedef struct nk_run {
	const tp_nuke_opts *o;
	tp_nuke_report *rep;
	nk_track *track;             /* parallel to rep->items (same alloc) */
	const tp_resource_type **types;
	size_t ntypes;
	int stack_ix;                /* index of TP_NUKE_STACK_TYPE, or -1 */
	int **waits;                 /* per type: indices it waits for, -1 terminated */
	size_t nregions;             /* region index nregions = "global" */
	int *active;                 /* [type][region]: pending/running/waiting items */
	unsigned char *relist;       /* [type][region]: re-list after this pass */
	nk_error_slot *err_slots;    /* parallel to rep->errors */
	tp_workq *pool;
	int own_pool;
	tp_mailbox *box;
	int parallel;
	int inflight;                /* jobs submitted and not yet answered */
	int64_t timeout_ms, poll_ms, progress_ms, last_progress;
	tp_managed *managed;         /* keep-stacks: sealed after the first scan */
	tp_resource_list graveyard;  /* replaced listings a late job may still read */
	int pass;
} nk_run;

#define NK_GROUP(run, t, g) ((size_t)(t) * ((run)->nregions + 1) + (size_t)(g))

int nk_interrupted(const nk_run *run);

/* ---- jobs (nuke.c) ----------------------------------------------------- */
nk_job *nk_job_new(nk_run *run, nk_kind kind);
void nk_submit(nk_run *run, nk_job *j);
/* Wait for the next answer (timeout as tp_mailbox_take); inflight is decremented. */
nk_job *nk_take(nk_run *run, int64_t timeout_ms);
/* Wait until nothing is in flight, dropping answers. */
void nk_drain(nk_run *run);
const char *nk_region_name(const nk_run *run, int region_ix);

/* ---- scan (nuke_scan.c) ------------------------------------------------- */
/* The first scan: every enabled type × region, managed stacks, filtered. */
int nk_scan(nk_run *run);
/* Re-list the groups marked in run->relist and reconcile. */
int nk_relist(nk_run *run);

/* ---- passes (nuke_pass.c) ----------------------------------------------- */
/*
 * One pass over nukeable items (stacks_only: only the stack type's).
 * *progress counts what moved: items removed, and items that failed for
 * the first time or with another message than in their last failure (the
 * state behind them changed, so another pass may get further).
 */
int nk_pass(nk_run *run, int stacks_only, size_t *progress);

/* ---- report (nuke_report.c) --------------------------------------------- */
size_t nk_add_item(nk_run *run, tp_resource *res, int type_ix, int region_ix);
void nk_set_state(nk_run *run, size_t i, tp_nuke_state st, const char *reason);
void nk_set_error(nk_run *run, int type_ix, int region_ix, const char *type_name,
		  const tp_error *err);
void nk_clear_error(nk_run *run, int type_ix, int region_ix);
void nk_progress(nk_run *run, const char *phase, size_t done, size_t total, int force);
void nk_emit_scanned(nk_run *run);
void nk_finish(nk_run *run);

#endif
