/*
 * The mailbox jobs answer through (workq.h): a locked FIFO with a condition
 * variable on the monotonic clock, so a reader's timeout does not jump
 * with the wall clock.
 */
#include "cleaner/workq.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "aws/util.h"

struct tp_mailbox {
	pthread_mutex_t lock;   /* protects head and tail */
	pthread_cond_t posted;
	tp_msg *head, *tail;
};

tp_mailbox *tp_mailbox_new(void)
{
	tp_mailbox *m = tp_xcalloc(1, sizeof(*m));
	pthread_condattr_t attr;

	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&m->posted, &attr);
	pthread_condattr_destroy(&attr);
	return m;
}

void tp_mailbox_free(tp_mailbox *m, void (*drop)(tp_msg *msg))
{
	tp_msg *msg, *next;

	if (!m)
		return;
	for (msg = m->head; msg; msg = next) {
		next = msg->next;
		if (drop)
			drop(msg);
	}
	pthread_cond_destroy(&m->posted);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void tp_mailbox_post(tp_mailbox *m, tp_msg *msg)
{
	msg->next = NULL;
	pthread_mutex_lock(&m->lock);
	if (m->tail)
		m->tail->next = msg;
	else
		m->head = msg;
	m->tail = msg;
	pthread_cond_signal(&m->posted);
	pthread_mutex_unlock(&m->lock);
}

static struct timespec deadline_after(int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

tp_msg *tp_mailbox_take(tp_mailbox *m, int64_t timeout_ms)
{
	struct timespec until = deadline_after(timeout_ms > 0 ? timeout_ms : 0);
	tp_msg *msg;

	pthread_mutex_lock(&m->lock);
	while (!m->head && timeout_ms != 0) {
		if (timeout_ms < 0)
			pthread_cond_wait(&m->posted, &m->lock);
		else if (pthread_cond_timedwait(&m->posted, &m->lock, &until) != 0)
			break;
	}
	msg = m->head;
	if (msg) {
		m->head = msg->next;
		if (!m->head)
			m->tail = NULL;
		msg->next = NULL;
	}
	pthread_mutex_unlock(&m->lock);
	return msg;
}
