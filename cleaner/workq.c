/*
 * The worker pool (see workq.h for who owns which thread). Workers sleep on
 * one condition variable until a job is queued or the pool stops; stopping
 * lets them finish the FIFO first, so tp_workq_free never drops a job whose
 * argument would then leak.
 */
#include "cleaner/workq.h"

#include <pthread.h>
#include <stdlib.h>

#include "aws/error.h"
#include "aws/util.h"

typedef struct job {
	struct job *next;
	tp_job_fn fn;
	void *arg;
} job;

struct tp_workq {
	pthread_mutex_t lock;      /* protects head, tail, stopping */
	pthread_cond_t more;       /* signalled on submit and on stop */
	job *head, *tail;
	int stopping;
	int nthreads;
	pthread_t *threads;
};

static job *next_job(tp_workq *q)
{
	job *j;

	pthread_mutex_lock(&q->lock);
	while (!q->head && !q->stopping)
		pthread_cond_wait(&q->more, &q->lock);
	j = q->head;
	if (j) {
		q->head = j->next;
		if (!q->head)
			q->tail = NULL;
	}
	pthread_mutex_unlock(&q->lock);
	return j;
}

static void *worker(void *arg)
{
	tp_workq *q = arg;
	job *j;

	while ((j = next_job(q)) != NULL) {
		j->fn(j->arg);
		free(j);
	}
	return NULL;
}

static void stop_and_join(tp_workq *q, int started)
{
	int i;

	pthread_mutex_lock(&q->lock);
	q->stopping = 1;
	pthread_cond_broadcast(&q->more);
	pthread_mutex_unlock(&q->lock);
	for (i = 0; i < started; i++)
		pthread_join(q->threads[i], NULL);
}

static void destroy(tp_workq *q)
{
	pthread_cond_destroy(&q->more);
	pthread_mutex_destroy(&q->lock);
	free(q->threads);
	free(q);
}

int tp_workq_new(tp_workq **out, int nthreads)
{
	tp_workq *q = tp_xcalloc(1, sizeof(*q));
	int i, rc;

	*out = NULL;
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > TP_WORKQ_MAX_THREADS)
		nthreads = TP_WORKQ_MAX_THREADS;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->more, NULL);
	q->threads = tp_xcalloc((size_t)nthreads, sizeof(*q->threads));
	for (i = 0; i < nthreads; i++) {
		rc = pthread_create(&q->threads[i], NULL, worker, q);
		if (rc != 0) {
			stop_and_join(q, i);
			destroy(q);
			return tp_error_set(TP_ERROR, "cannot start worker thread %d of %d (error %d)",
					    i + 1, nthreads, rc);
		}
	}
	q->nthreads = nthreads;
	*out = q;
	return 0;
}

int tp_workq_threads(const tp_workq *q)
{
	return q->nthreads;
}

void tp_workq_submit(tp_workq *q, tp_job_fn fn, void *arg)
{
	job *j = tp_xcalloc(1, sizeof(*j));

	j->fn = fn;
	j->arg = arg;
	pthread_mutex_lock(&q->lock);
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->lock);
}

void tp_workq_free(tp_workq *q)
{
	if (!q)
		return;
	stop_and_join(q, q->nthreads);
	destroy(q);
}
