/*
 * Blocking work of a run (AWS calls: leases, credentials, deploys,
 * releases, cleans) off the loop thread.
 *
 * DESIGN: the loop thread owns every piece of run state. It submits a job
 * (a struct of the caller's, carrying copies of whatever the work needs)
 * with a `work` function and a `done` function. A worker thread runs
 * `work(job)` touching nothing but the job; the job then goes back to the
 * loop thread through a mailbox (a list under a mutex plus an eventfd the
 * loop watches), where `done(job)` folds its result into the run state and
 * frees it. No run state is shared between threads; the mailbox (`lock`:
 * the queues, the count of outstanding jobs, the workers' state) is the
 * only lock, and no callback runs with it held. Workers are started on demand up to a maximum, so a run that
 * deploys little stays small.
 *
 * Workers block every signal (the loop thread takes them via signalfd).
 */
#ifndef TP_RUN_JOBS_H
#define TP_RUN_JOBS_H

#include <stddef.h>

#include "runner/run_loop.h"

typedef struct tp_jobs tp_jobs;

typedef void (*tp_job_fn)(void *job);

/*
 * A pool of at most `max_threads` workers whose completions are delivered
 * on `loop`'s thread. Returns 0, or -1 (TP_ERROR) when the eventfd could
 * not be made.
 */
int tp_jobs_new(tp_jobs **out, tp_loop *loop, int max_threads);

/*
 * Queue `job`: `work(job)` runs on a worker, then `done(job)` on the loop
 * thread (from tp_loop_run_once). Jobs start in submission order.
 */
void tp_jobs_submit(tp_jobs *j, void *job, tp_job_fn work, tp_job_fn done);

/*
 * A job that another thread will submit later (when something it waits
 * for finishes, e.g. a deployment's completion callback): count it as
 * outstanding now, from the loop thread, then hand it over with
 * tp_jobs_submit_reserved from any thread. A reserved job must be
 * submitted before tp_jobs_free.
 */
void tp_jobs_reserve(tp_jobs *j);
void tp_jobs_submit_reserved(tp_jobs *j, void *job, tp_job_fn work, tp_job_fn done);

/* Jobs reserved or submitted whose `done` has not run yet. Any thread. */
size_t tp_jobs_outstanding(tp_jobs *j);

/*
 * Wait for every queued and running job, run their `done`s, stop the
 * workers and free the pool. A job a `done` submits meanwhile runs on the
 * calling thread. NULL is a no-op. Call from the loop thread.
 */
void tp_jobs_free(tp_jobs *j);

#endif
