/*
 * A fixed pool of worker threads fed from one FIFO of jobs, and a mailbox
 * the jobs answer through (after curl's thrdpool/thrdqueue and redis bio).
 *
 * DESIGN. Who owns which thread: a tp_workq owns its `n` worker threads
 * from tp_workq_new to tp_workq_free; nobody else starts or joins them. The
 * thread that calls tp_workq_new owns the queue and is the only one that
 * may free it. How work flows: any thread submits a job (a function and its
 * argument) to the FIFO; the first idle worker takes it and runs it to the
 * end, without holding any lock of the queue. A job never waits for another
 * job (a worker that did could starve the pool); it reports back by posting
 * a message to a tp_mailbox that its submitter reads, so the state a
 * coordinator keeps (the nuke loop's resources) is touched by the
 * coordinator's thread alone and needs no lock.
 *
 * Locks: the queue's mutex protects its FIFO and its stop flag; a
 * mailbox's mutex protects its message list. Neither is held while a job
 * runs or while a message is being handled.
 */
#ifndef TP_WORKQ_H
#define TP_WORKQ_H

#include <stdint.h>

typedef struct tp_workq tp_workq;

/* A job: runs on a worker thread and owns `arg` (frees it when done). */
typedef void (*tp_job_fn)(void *arg);

/*
 * Start `nthreads` workers (at least 1, at most TP_WORKQ_MAX_THREADS).
 * Returns 0, or TP_ERROR when a thread could not be started (none is left
 * running and *out is NULL).
 */
int tp_workq_new(tp_workq **out, int nthreads);

#define TP_WORKQ_MAX_THREADS 256

/* The number of worker threads. */
int tp_workq_threads(const tp_workq *q);

/* Queue `fn(arg)`; never blocks. Jobs start in submission order. */
void tp_workq_submit(tp_workq *q, tp_job_fn fn, void *arg);

/*
 * Run every job already queued to its end, then stop and join the
 * workers and free the queue. NULL is a no-op. Must not be called from a
 * job.
 */
void tp_workq_free(tp_workq *q);

/*
 * A mailbox: an unbounded FIFO of messages, many posters, one reader.
 * Messages are intrusive: embed a tp_msg as the first member of your
 * message struct and cast back.
 */
typedef struct tp_msg {
	struct tp_msg *next;
} tp_msg;

typedef struct tp_mailbox tp_mailbox;

tp_mailbox *tp_mailbox_new(void);

/* Free the mailbox; messages still in it are passed to `drop` (may be NULL). */
void tp_mailbox_free(tp_mailbox *m, void (*drop)(tp_msg *msg));

/* Post `msg` (the reader takes ownership). Wakes the reader. */
void tp_mailbox_post(tp_mailbox *m, tp_msg *msg);

/*
 * The oldest message, waiting up to `timeout_ms` for one (< 0: forever,
 * 0: do not wait). NULL when none arrived in time.
 */
tp_msg *tp_mailbox_take(tp_mailbox *m, int64_t timeout_ms);

#endif
