/*
 * The run's event loop: epoll for descriptors, a binary min-heap of timers.
 * A descriptor's registration lives in a table indexed by the descriptor
 * with a generation number, and each epoll event carries (generation, fd),
 * so an event of a descriptor removed (or removed and reused) earlier in the
 * same dispatch is recognised as stale and dropped.
 */
#include "runner/run_loop.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "aws/error.h"
#include "aws/util.h"

#define MAX_EVENTS 64

typedef struct reg {
	tp_loop_fd_fn fn;
	void *ctx;
	uint32_t gen;            /* 0: not registered */
} reg;

typedef struct timer {
	int64_t when;
	uint64_t id;
	tp_loop_timer_fn fn;
	void *ctx;
} timer;

struct tp_loop {
	int ep;
	reg *regs;
	size_t nregs;
	uint32_t next_gen;
	timer *heap;
	size_t nheap, heap_alloc;
	uint64_t next_id;
};

int tp_loop_new(tp_loop **out)
{
	tp_loop *l = tp_xcalloc(1, sizeof(*l));

	*out = NULL;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0) {
		free(l);
		return tp_error_set(TP_ERROR, "epoll_create1: %s", strerror(errno));
	}
	l->next_gen = 1;
	l->next_id = 1;
	*out = l;
	return 0;
}

void tp_loop_free(tp_loop *l)
{
	if (!l)
		return;
	close(l->ep);
	free(l->regs);
	free(l->heap);
	free(l);
}

int tp_loop_add_fd(tp_loop *l, int fd, tp_loop_fd_fn fn, void *ctx)
{
	struct epoll_event ev;
	uint32_t gen;

	if (fd < 0)
		return tp_error_set(TP_EINVAL, "event loop: bad descriptor %d", fd);
	if ((size_t)fd >= l->nregs) {
		size_t n = (size_t)fd * 2 + 16;
		l->regs = tp_xrealloc(l->regs, n * sizeof(*l->regs));
		memset(l->regs + l->nregs, 0, (n - l->nregs) * sizeof(*l->regs));
		l->nregs = n;
	}
	gen = l->next_gen++;
	if (l->next_gen == 0)
		l->next_gen = 1;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = ((uint64_t)gen << 32) | (uint32_t)fd;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return tp_error_set(TP_ERROR, "epoll_ctl(add %d): %s", fd, strerror(errno));
	l->regs[fd].fn = fn;
	l->regs[fd].ctx = ctx;
	l->regs[fd].gen = gen;
	return 0;
}

void tp_loop_del_fd(tp_loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nregs || !l->regs[fd].gen)
		return;
	epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
	memset(&l->regs[fd], 0, sizeof(l->regs[fd]));
}

/* ---- timers: a min-heap on `when`, ties in id order -------------------- */

static int before(const timer *a, const timer *b)
{
	return a->when < b->when || (a->when == b->when && a->id < b->id);
}

static void swap(timer *a, timer *b)
{
	timer t = *a;

	*a = *b;
	*b = t;
}

static void sift_up(tp_loop *l, size_t i)
{
	while (i > 0 && before(&l->heap[i], &l->heap[(i - 1) / 2])) {
		swap(&l->heap[i], &l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

static void sift_down(tp_loop *l, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, m = i;

		if (c < l->nheap && before(&l->heap[c], &l->heap[m]))
			m = c;
		if (c + 1 < l->nheap && before(&l->heap[c + 1], &l->heap[m]))
			m = c + 1;
		if (m == i)
			return;
		swap(&l->heap[i], &l->heap[m]);
		i = m;
	}
}

static void heap_remove(tp_loop *l, size_t i)
{
	l->heap[i] = l->heap[--l->nheap];
	if (i < l->nheap) {
		sift_down(l, i);
		sift_up(l, i);
	}
}

uint64_t tp_loop_timer_add(tp_loop *l, int64_t when_ms, tp_loop_timer_fn fn, void *ctx)
{
	timer *t;

	if (l->nheap == l->heap_alloc) {
		l->heap_alloc = l->heap_alloc ? 2 * l->heap_alloc : 32;
		l->heap = tp_xrealloc(l->heap, l->heap_alloc * sizeof(*l->heap));
	}
	t = &l->heap[l->nheap];
	t->when = when_ms;
	t->id = l->next_id++;
	t->fn = fn;
	t->ctx = ctx;
	sift_up(l, l->nheap++);
	return l->next_id - 1;
}

void tp_loop_timer_cancel(tp_loop *l, uint64_t id)
{
	size_t i;

	for (i = 0; id && i < l->nheap; i++) {
		if (l->heap[i].id == id) {
			heap_remove(l, i);
			return;
		}
	}
}

/* Run the timers due at `now`; those added meanwhile wait for the next round. */
static int run_timers(tp_loop *l, int64_t now)
{
	uint64_t last = l->next_id;
	int ran = 0;

	while (l->nheap > 0 && l->heap[0].when <= now && l->heap[0].id < last) {
		timer t = l->heap[0];
		heap_remove(l, 0);
		t.fn(t.ctx);
		ran++;
	}
	return ran;
}

static int wait_ms(const tp_loop *l, int64_t max_wait_ms, int64_t now)
{
	int64_t w = max_wait_ms;

	if (l->nheap > 0) {
		int64_t due = l->heap[0].when - now;
		if (due < 0)
			due = 0;
		if (w < 0 || due < w)
			w = due;
	}
	if (w > 60000)
		w = 60000;
	return (int)w;
}

int tp_loop_run_once(tp_loop *l, int64_t max_wait_ms)
{
	struct epoll_event evs[MAX_EVENTS];
	int n, i, ran = 0;

	n = epoll_wait(l->ep, evs, MAX_EVENTS, wait_ms(l, max_wait_ms, tp_now_ms()));
	if (n < 0) {
		if (errno != EINTR)
			return tp_error_set(TP_ERROR, "epoll_wait: %s", strerror(errno));
		n = 0;
	}
	for (i = 0; i < n; i++) {
		int fd = (int)(uint32_t)evs[i].data.u64;
		uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
		reg *r;

		if ((size_t)fd >= l->nregs || l->regs[fd].gen != gen)
			continue;   /* removed earlier in this dispatch */
		r = &l->regs[fd];
		r->fn(r->ctx, fd, evs[i].events);
		ran++;
	}
	return ran + run_timers(l, tp_now_ms());
}
