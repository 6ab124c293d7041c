/*
 * The simulation's event queue: a binary min-heap on (virtual ms, order
 * pushed), so events at the same instant come out in the order they were
 * pushed and a run is reproducible.
 */
#include <stdlib.h>

#include "aws/util.h"
#include "bench/sim.h"

static int before(const sim_event *a, const sim_event *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

void sim_heap_push(sim_heap *h, int64_t at, int kind, size_t a, size_t b, void *p)
{
	sim_event e;
	size_t i;

	if (h->n == h->alloc) {
		h->alloc = h->alloc ? 2 * h->alloc : 256;
		h->v = tp_xrealloc(h->v, h->alloc * sizeof(*h->v));
	}
	e.at = at;
	e.seq = h->seq++;
	e.kind = kind;
	e.a = a;
	e.b = b;
	e.p = p;
	for (i = h->n++; i > 0 && before(&e, &h->v[(i - 1) / 2]); i = (i - 1) / 2)
		h->v[i] = h->v[(i - 1) / 2];
	h->v[i] = e;
}

int sim_heap_pop(sim_heap *h, sim_event *out)
{
	sim_event last;
	size_t i = 0;

	if (h->n == 0)
		return 0;
	*out = h->v[0];
	last = h->v[--h->n];
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && before(&h->v[c + 1], &h->v[c]))
			c++;
		if (!before(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n > 0)
		h->v[i] = last;
	return 1;
}

const sim_event *sim_heap_top(const sim_heap *h)
{
	return h->n ? &h->v[0] : NULL;
}

void sim_heap_release(sim_heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->alloc = 0;
}
