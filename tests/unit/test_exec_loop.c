/*
 * The machinery under the executor and the run: the event loop (timers in
 * order, cancellation, descriptors removed mid-dispatch) and the worker
 * pool whose results come back on the loop thread (every `done` there,
 * work spread over workers, jobs submitted from other threads). Run under
 * ThreadSanitizer in the sanitizer build.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "aws/util.h"
#include "runner/run_jobs.h"
#include "runner/run_loop.h"

/* ---- timers ------------------------------------------------------------ */

typedef struct fired {
	int order[16];
	int n;
} fired;

typedef struct tick {
	fired *log;
	int id;
} tick;

static void on_tick(void *ctx)
{
	tick *t = ctx;

	t->log->order[t->log->n++] = t->id;
}

static void test_exec_loop__timers_fire_in_order_and_cancel(void **state)
{
	tp_loop *l = NULL;
	fired log = { { 0 }, 0 };
	tick t[6];
	uint64_t ids[6];
	int64_t now = tp_now_ms();
	static const int64_t when[6] = { 50, 10, 30, 20, 40, 10 };
	int i;

	(void)state;
	assert_int_equal(tp_loop_new(&l), 0);
	for (i = 0; i < 6; i++) {
		t[i].log = &log;
		t[i].id = i;
		ids[i] = tp_loop_timer_add(l, now + when[i], on_tick, &t[i]);
	}
	tp_loop_timer_cancel(l, ids[2]);
	tp_loop_timer_cancel(l, 0);           /* ignored */
	while (log.n < 5 && tp_now_ms() < now + 2000)
		tp_loop_run_once(l, 100);
	assert_int_equal(log.n, 5);
	/* by time; equal times in the order added */
	assert_int_equal(log.order[0], 1);
	assert_int_equal(log.order[1], 5);
	assert_int_equal(log.order[2], 3);
	assert_int_equal(log.order[3], 4);
	assert_int_equal(log.order[4], 0);
	tp_loop_timer_cancel(l, ids[0]);      /* already fired: ignored */
	tp_loop_free(l);
}

/* ---- descriptors -------------------------------------------------------- */

typedef struct fdctx {
	tp_loop *l;
	int fds[2];
	int calls[2];
} fdctx;

/* The first one to run removes the other: that one must not run. */
static void on_ready(void *ctx, int fd, unsigned events)
{
	fdctx *c = ctx;
	int me = fd == c->fds[0] ? 0 : 1;

	(void)events;
	c->calls[me]++;
	tp_loop_del_fd(c->l, c->fds[1 - me]);
	tp_loop_del_fd(c->l, c->fds[me]);
}

static void test_exec_loop__fd_removed_during_dispatch(void **state)
{
	fdctx c;
	uint64_t one = 1;
	int i;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(tp_loop_new(&c.l), 0);
	for (i = 0; i < 2; i++) {
		c.fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		assert_int_equal(tp_loop_add_fd(c.l, c.fds[i], on_ready, &c), 0);
		assert_int_equal(write(c.fds[i], &one, sizeof(one)), (ssize_t)sizeof(one));
	}
	assert_int_equal(tp_loop_run_once(c.l, 1000), 1);
	assert_int_equal(c.calls[0] + c.calls[1], 1);
	assert_int_equal(tp_loop_run_once(c.l, 50), 0);
	for (i = 0; i < 2; i++)
		close(c.fds[i]);
	tp_loop_free(c.l);
}

/* ---- the worker pool ---------------------------------------------------- */

#define NJOBS 400

typedef struct job {
	pthread_t loop_thread;
	pthread_t ran_on;
	int value, result;
	int *done_count;
} job;

static void work(void *p)
{
	job *j = p;

	j->ran_on = pthread_self();
	j->result = j->value * 2;
	if (j->value % 50 == 0)
		tp_sleep_ms(5);
}

static void done(void *p)
{
	job *j = p;

	assert_true(pthread_equal(pthread_self(), j->loop_thread));
	assert_int_equal(j->result, j->value * 2);
	(*j->done_count)++;
}

static void test_exec_loop__jobs_done_on_the_loop_thread(void **state)
{
	tp_loop *l = NULL;
	tp_jobs *pool = NULL;
	job *jobs = tp_xcalloc(NJOBS, sizeof(*jobs));
	int n = 0, i, workers = 0;
	pthread_t seen[8];
	int64_t until;

	(void)state;
	assert_int_equal(tp_loop_new(&l), 0);
	assert_int_equal(tp_jobs_new(&pool, l, 4), 0);
	for (i = 0; i < NJOBS; i++) {
		jobs[i].loop_thread = pthread_self();
		jobs[i].value = i;
		jobs[i].done_count = &n;
		tp_jobs_submit(pool, &jobs[i], work, done);
	}
	assert_int_equal(tp_jobs_outstanding(pool), NJOBS);
	until = tp_now_ms() + 10000;
	while (n < NJOBS && tp_now_ms() < until)
		tp_loop_run_once(l, 100);
	assert_int_equal(n, NJOBS);
	assert_int_equal(tp_jobs_outstanding(pool), 0);
	/* at most 4 workers did the work */
	for (i = 0; i < NJOBS; i++) {
		int k, known = 0;
		for (k = 0; k < workers; k++)
			known |= pthread_equal(seen[k], jobs[i].ran_on);
		if (!known) {
			assert_true(workers < 4);
			seen[workers++] = jobs[i].ran_on;
		}
	}
	tp_jobs_free(pool);
	tp_loop_free(l);
	free(jobs);
}

typedef struct poster {
	tp_jobs *pool;
	job *jobs;
	int n;
} poster;

static void *post_from_thread(void *arg)
{
	poster *p = arg;
	int i;

	for (i = 0; i < p->n; i++) {
		tp_sleep_ms(1);
		tp_jobs_submit_reserved(p->pool, &p->jobs[i], work, done);
	}
	return NULL;
}

/* Reserved on the loop thread, submitted by another (a deployer's callback). */
static void test_exec_loop__reserved_jobs_from_another_thread(void **state)
{
	tp_loop *l = NULL;
	tp_jobs *pool = NULL;
	job jobs[20];
	poster p;
	pthread_t t;
	int n = 0, i;
	int64_t until;

	(void)state;
	assert_int_equal(tp_loop_new(&l), 0);
	assert_int_equal(tp_jobs_new(&pool, l, 2), 0);
	for (i = 0; i < 20; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].loop_thread = pthread_self();
		jobs[i].value = i;
		jobs[i].done_count = &n;
		tp_jobs_reserve(pool);
	}
	assert_int_equal(tp_jobs_outstanding(pool), 20);
	p.pool = pool;
	p.jobs = jobs;
	p.n = 20;
	assert_int_equal(pthread_create(&t, NULL, post_from_thread, &p), 0);
	until = tp_now_ms() + 10000;
	while (tp_jobs_outstanding(pool) > 0 && tp_now_ms() < until)
		tp_loop_run_once(l, 100);
	pthread_join(t, NULL);
	assert_int_equal(n, 20);
	tp_jobs_free(pool);
	tp_loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_loop__timers_fire_in_order_and_cancel),
		cmocka_unit_test(test_exec_loop__fd_removed_during_dispatch),
		cmocka_unit_test(test_exec_loop__jobs_done_on_the_loop_thread),
		cmocka_unit_test(test_exec_loop__reserved_jobs_from_another_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
