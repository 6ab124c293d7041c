/*
 * The worker pool of a run (see run_jobs.h for the design). Two lists under
 * one mutex: `todo` (submitted, not started) and `finished` (work done,
 * `done` not yet called). Workers sleep on `more`; the loop thread learns of
 * finished jobs through an eventfd.
 */
#include "runner/run_jobs.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "aws/error.h"
#include "aws/util.h"

/* Deep enough for libcurl + OpenSSL + libxml2 call chains. */
#define WORKER_STACK (1024 * 1024)

typedef struct item {
	void *job;
	tp_job_fn work, done;
	struct item *next;
} item;

typedef struct list {
	item *head, *tail;
} list;

struct tp_jobs {
	tp_loop *loop;
	int efd;
	int max_threads;
	pthread_mutex_t lock;        /* protects everything below */
	pthread_cond_t more;
	list todo, finished;
	int idle;                    /* workers waiting for work */
	int stopping;
	pthread_t *threads;
	int nthreads;
	size_t outstanding;          /* reserved or submitted, `done` not yet run */
};

static void push(list *l, item *it)
{
	it->next = NULL;
	if (l->tail)
		l->tail->next = it;
	else
		l->head = it;
	l->tail = it;
}

static item *pop(list *l)
{
	item *it = l->head;

	if (it) {
		l->head = it->next;
		if (!l->head)
			l->tail = NULL;
	}
	return it;
}

static void *worker(void *arg)
{
	tp_jobs *j = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&j->lock);
	for (;;) {
		item *it = pop(&j->todo);

		if (!it) {
			if (j->stopping)
				break;
			j->idle++;
			pthread_cond_wait(&j->more, &j->lock);
			j->idle--;
			continue;
		}
		pthread_mutex_unlock(&j->lock);
		it->work(it->job);
		pthread_mutex_lock(&j->lock);
		push(&j->finished, it);
		if (write(j->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow in practice; the loop still
			 * drains `finished` on its next wake-up */
		}
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

/* Run the `done` of every finished job; returns how many. */
static int drain(tp_jobs *j)
{
	list got;
	item *it;
	int n = 0;

	pthread_mutex_lock(&j->lock);
	got = j->finished;
	j->finished.head = j->finished.tail = NULL;
	pthread_mutex_unlock(&j->lock);
	while ((it = pop(&got)) != NULL) {
		pthread_mutex_lock(&j->lock);
		j->outstanding--;
		pthread_mutex_unlock(&j->lock);
		it->done(it->job);
		free(it);
		n++;
	}
	return n;
}

static void on_mail(void *ctx, int fd, unsigned events)
{
	uint64_t n;

	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN) {
		/* nothing to do: drain() looks at the list, not the count */
	}
	drain(ctx);
}

int tp_jobs_new(tp_jobs **out, tp_loop *loop, int max_threads)
{
	tp_jobs *j = tp_xcalloc(1, sizeof(*j));

	*out = NULL;
	j->loop = loop;
	j->max_threads = max_threads > 0 ? max_threads : 1;
	j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (j->efd < 0) {
		free(j);
		return tp_error_set(TP_ERROR, "eventfd: %s", strerror(errno));
	}
	if (tp_loop_add_fd(loop, j->efd, on_mail, j) < 0) {
		close(j->efd);
		free(j);
		return -1;
	}
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->more, NULL);
	j->threads = tp_xcalloc((size_t)j->max_threads, sizeof(*j->threads));
	*out = j;
	return 0;
}

/* A new worker, with every signal blocked. Called with the lock held. */
static void start_worker(tp_jobs *j)
{
	pthread_attr_t attr;
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, WORKER_STACK);
	if (pthread_create(&j->threads[j->nthreads], &attr, worker, j) == 0)
		j->nthreads++;
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Queue an item whose outstanding count is already taken. */
static void enqueue(tp_jobs *j, void *job, tp_job_fn work, tp_job_fn done)
{
	item *it = tp_xcalloc(1, sizeof(*it));

	it->job = job;
	it->work = work;
	it->done = done;
	pthread_mutex_lock(&j->lock);
	if (j->stopping) {
		/* submitted by a `done` run from tp_jobs_free: no workers left */
		pthread_mutex_unlock(&j->lock);
		work(job);
		pthread_mutex_lock(&j->lock);
		push(&j->finished, it);
		pthread_mutex_unlock(&j->lock);
		return;
	}
	push(&j->todo, it);
	if (j->idle == 0 && j->nthreads < j->max_threads)
		start_worker(j);
	pthread_cond_signal(&j->more);
	pthread_mutex_unlock(&j->lock);
}

void tp_jobs_submit(tp_jobs *j, void *job, tp_job_fn work, tp_job_fn done)
{
	tp_jobs_reserve(j);
	enqueue(j, job, work, done);
}

void tp_jobs_reserve(tp_jobs *j)
{
	pthread_mutex_lock(&j->lock);
	j->outstanding++;
	pthread_mutex_unlock(&j->lock);
}

void tp_jobs_submit_reserved(tp_jobs *j, void *job, tp_job_fn work, tp_job_fn done)
{
	enqueue(j, job, work, done);
}

size_t tp_jobs_outstanding(tp_jobs *j)
{
	size_t n;

	pthread_mutex_lock(&j->lock);
	n = j->outstanding;
	pthread_mutex_unlock(&j->lock);
	return n;
}

void tp_jobs_free(tp_jobs *j)
{
	int i;

	if (!j)
		return;
	pthread_mutex_lock(&j->lock);
	j->stopping = 1;
	pthread_cond_broadcast(&j->more);
	pthread_mutex_unlock(&j->lock);
	for (i = 0; i < j->nthreads; i++)
		pthread_join(j->threads[i], NULL);
	while (drain(j) > 0)
		;      /* a `done` may have submitted more (run inline now) */
	tp_loop_del_fd(j->loop, j->efd);
	close(j->efd);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->more);
	free(j->threads);
	free(j);
}
