/*
 * The nuke loop: empty one account of everything the filters do not keep
 * (DESIGN.md, "The cleaner").
 *
 *   1. Scan: every enabled type in every region (global types once), and
 *      in keep-stacks mode the managed stacks of every region, as jobs on
 *      one bounded worker pool.
 *   2. Filter (filter.h): each resource is "would remove" or "filtered"
 *      with its reason. A dry run stops here.
 *   3. Delete CloudFormation stacks first and wait until they are gone,
 *      then re-list and delete everything else in dependency order: a
 *      type starts when every type it waits_for has nothing nukeable left
 *      in its region (global: in any region), with at most `parallel`
 *      calls in flight. A remove that started an asynchronous delete
 *      (types with `gone`) is "waiting" and polled, backing off, until
 *      gone, failed, or past the per-resource timeout.
 *   4. Re-list what was nukeable and repeat passes until nothing nukeable
 *      is left, a pass makes no progress (removes nothing, and every
 *      failure repeats the resource's failure of the pass before: a first
 *      failure, or a new message, earns another pass), or max_passes.
 * Throttling backs off inside the aws/ client's retries; a resource still
 * throttled after them fails this pass and is tried again in the next.
 *
 * The loop runs on the calling thread (the coordinator): it alone touches
 * the report and calls on_event; workers only list, remove and poll, and
 * post what they found to the coordinator's mailbox.
 */
#ifndef TP_NUKE_H
#define TP_NUKE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/client.h"
#include "cleaner/filter.h"
#include "cleaner/resource.h"
#include "cleaner/workq.h"

/* Parallel calls per account: under the per-account API rate limits of
 * the services tidepool cleans, above the point where moto/AWS latency stops
 * paying off. */
#define TP_NUKE_DEFAULT_PARALLEL 12
#define TP_NUKE_DEFAULT_TIMEOUT_MS (15 * 60 * 1000)
#define TP_NUKE_DEFAULT_MAX_PASSES 10

/* The type deleted (and waited for) before any other. */
#define TP_NUKE_STACK_TYPE "CloudFormationStack"

typedef enum tp_nuke_state {
	TP_NUKE_WOULD_REMOVE,   /* nukeable (the only state of a dry run's nukeable ones) */
	TP_NUKE_FILTERED,       /* kept; reason says why */
	TP_NUKE_REMOVING,       /* remove called */
	TP_NUKE_WAITING,        /* asynchronous delete started; polling `gone` */
	TP_NUKE_REMOVED,
	TP_NUKE_FAILED          /* reason has the AWS message */
} tp_nuke_state;

/* "would remove", "filtered", "removing", "waiting", "removed", "failed". */
const char *tp_nuke_state_name(tp_nuke_state s);

typedef struct tp_nuke_item {
	tp_resource *res;       /* as last listed (owned by the report) */
	tp_nuke_state state;
	char *reason;           /* filtered / failed: why; else NULL */
	int attempts;           /* remove calls made */
} tp_nuke_item;

/* A (region, type) that could not be listed. */
typedef struct tp_nuke_scan_error {
	char region[32];
	const char *type;       /* type name, or "managed stacks" */
	char *message;
} tp_nuke_scan_error;

typedef struct tp_nuke_summary {
	size_t total, nukeable, filtered;   /* of the first scan */
	size_t failed, skipped, finished;   /* at the end: nukeable left, filtered, removed */
	size_t scan_errors;                 /* listings that failed (at the end) */
	int passes;
	int dry_run;
	int interrupted;
} tp_nuke_summary;

typedef struct tp_nuke_report {
	char account[16];
	tp_nuke_item *items;                /* first-seen order */
	size_t n, alloc;
	tp_nuke_scan_error *errors;
	size_t n_errors;
	tp_nuke_summary summary;
} tp_nuke_report;

#define TP_NUKE_REPORT_INIT { "", NULL, 0, 0, NULL, 0, { 0 } }

void tp_nuke_report_release(tp_nuke_report *r);

/* Did the run leave the account clean (nothing nukeable, nothing unlisted)? */
int tp_nuke_report_clean(const tp_nuke_report *r);

typedef enum tp_nuke_event_kind {
	TP_NUKE_EV_ITEM,        /* an item changed state (item set) */
	TP_NUKE_EV_SCAN_ERROR,  /* a listing failed (error set) */
	TP_NUKE_EV_SCANNED,     /* first scan filtered; summary's scan counts are final */
	TP_NUKE_EV_PROGRESS     /* at most every progress_ms during long work */
} tp_nuke_event_kind;

typedef struct tp_nuke_event {
	tp_nuke_event_kind kind;
	const char *account;
	const tp_nuke_item *item;
	const tp_nuke_scan_error *error;
	const tp_nuke_summary *summary;
	const char *phase;      /* progress: "scan", "stacks", "delete", "re-list" */
	int pass;
	size_t done, total;     /* progress: jobs done / jobs of the phase;
				 * delete phases: resources settled / nukeable */
} tp_nuke_event;

/* Called on the thread that called tp_nuke_run; pointers valid during the call. */
typedef void (*tp_nuke_event_fn)(void *ctx, const tp_nuke_event *ev);

typedef struct tp_nuke_opts {
	tp_aws_client *client;       /* credentials of the account being cleaned (borrowed) */
	const char *account;         /* its id (artifacts bucket, messages, report) */
	const char *const *regions;  /* regions to scan */
	size_t n_regions;
	const tp_resource_type *const *types; /* NULL-terminated; NULL = tp_resource_types() */
	const tp_filter *filter;     /* NULL = keep nothing but skip reasons (full mode) */
	int dry_run;                 /* default 1: list and filter only */
	int parallel;                /* 0 = TP_NUKE_DEFAULT_PARALLEL */
	tp_workq *pool;              /* shared worker pool (borrowed); NULL = own pool of
					`parallel` threads. Either way at most `parallel`
					jobs of this run are in flight. */
	int64_t timeout_ms;          /* per resource; 0 = TP_NUKE_DEFAULT_TIMEOUT_MS */
	int max_passes;              /* 0 = TP_NUKE_DEFAULT_MAX_PASSES */
	int64_t poll_ms;             /* first `gone` poll interval; 0 = 1000, doubling to 16x */
	int64_t progress_ms;         /* 0 = 1000 */
	tp_nuke_event_fn on_event;   /* may be NULL */
	void *event_ctx;
	const volatile sig_atomic_t *interrupted;  /* set by a signal handler: stop
						     submitting, drain, TP_EINTR */
} tp_nuke_opts;

#define TP_NUKE_OPTS_INIT { NULL, NULL, NULL, 0, NULL, NULL, 1, 0, NULL, 0, 0, 0, 0, NULL, NULL, NULL }

/*
 * Clean one account. `out` is initialised here (release it even on
 * error). Returns 0 when the loop ran to its end, whatever it left (see
 * the summary and tp_nuke_report_clean); TP_EINVAL for bad options;
 * TP_EINTR when interrupted (the report holds what happened so far);
 * TP_ERROR when the worker pool could not start.
 */
int tp_nuke_run(tp_nuke_report *out, const tp_nuke_opts *opts);

/* "us-east-1 - S3Bucket - logs-123 - filtered: protected by ..." (no newline) */
void tp_nuke_format_item(tp_buf *out, const tp_nuke_item *it);

/*
 * An event as text for people, without a newline: items as
 * tp_nuke_format_item; listing errors "REGION - TYPE - list failed:
 * MESSAGE"; progress "scan: 12/62 listings", "pass 2 (delete): 57/200
 * settled". Returns 1 when it wrote text, 0 when the event has none.
 */
int tp_nuke_format_event(tp_buf *out, const tp_nuke_event *ev);

/* "Scan complete: N total, N nukeable, N filtered." */
void tp_nuke_format_scan_summary(tp_buf *out, const tp_nuke_summary *s);

/* "Nuke complete: N failed, N skipped, N finished." */
void tp_nuke_format_nuke_summary(tp_buf *out, const tp_nuke_summary *s);

/* The report as JSON: {account, dry_run, resources:[{region,type,id,name,state,reason}],
 * errors:[{region,type,message}], summary:{...}} (new reference). */
json_t *tp_nuke_report_json(const tp_nuke_report *r);

/* The summary as JSON (new reference). */
json_t *tp_nuke_summary_json(const tp_nuke_summary *s);

#endif
