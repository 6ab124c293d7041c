/*
 * The event loop of `tidepool run`: one thread (the orchestrator's) waits
 * here for file descriptors (the pidfds of suite processes, the signalfd,
 * the job mailbox) and timers, and runs their callbacks one at a time.
 *
 * Not thread-safe: only the thread that runs the loop may call these.
 * Other threads talk to it through a descriptor it watches (run_jobs.h
 * posts to an eventfd).
 *
 * Callbacks may add and remove descriptors and timers, including their
 * own; a descriptor removed during a dispatch gets no further callback
 * from that dispatch.
 */
#ifndef TP_RUN_LOOP_H
#define TP_RUN_LOOP_H

#include <stdint.h>

typedef struct tp_loop tp_loop;

/* `events` are EPOLLIN / EPOLLHUP / EPOLLERR bits. */
typedef void (*tp_loop_fd_fn)(void *ctx, int fd, unsigned events);
typedef void (*tp_loop_timer_fn)(void *ctx);

/* Returns 0, or -1 (TP_ERROR) when epoll is unavailable. */
int tp_loop_new(tp_loop **out);

/* Stops watching everything (closes nothing); NULL is a no-op. */
void tp_loop_free(tp_loop *l);

/* Watch `fd` for input. Returns 0, or -1 (TP_ERROR) naming the reason. */
int tp_loop_add_fd(tp_loop *l, int fd, tp_loop_fd_fn fn, void *ctx);

/* Stop watching `fd` (before closing it). Unknown descriptors are ignored. */
void tp_loop_del_fd(tp_loop *l, int fd);

/*
 * Call `fn(ctx)` once at monotonic time `when_ms` (tp_now_ms()) or later.
 * Returns the timer's id (> 0) for tp_loop_timer_cancel.
 */
uint64_t tp_loop_timer_add(tp_loop *l, int64_t when_ms, tp_loop_timer_fn fn, void *ctx);

/* Cancel a timer that has not fired; ids of fired or cancelled timers and 0 are ignored. */
void tp_loop_timer_cancel(tp_loop *l, uint64_t id);

/*
 * Wait until a descriptor is ready, a timer is due, or `max_wait_ms` passed
 * (-1: no limit), then run the callbacks that are due. Returns the number
 * of callbacks run, or -1 (TP_ERROR) when waiting failed.
 */
int tp_loop_run_once(tp_loop *l, int64_t max_wait_ms);

#endif
