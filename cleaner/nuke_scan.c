/*
 * Listing for the nuke loop: the first scan of every (type, region) group
 * and the managed stacks, and the re-lists between passes. Listing jobs go
 * out in a window of `parallel`; their answers are reconciled with the
 * items the run already has, group by group, in a stable order (region,
 * type, id) so that output does not depend on which answer came first.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/nuke_internal.h"

typedef struct group_ref {
	int type_ix, region_ix;
} group_ref;

typedef struct batch {
	group_ref *todo;       /* groups to list; type_ix -1: managed stacks */
	size_t n, next;
	nk_job **done;
	size_t ndone;
} batch;

static void batch_add(batch *b, int t, int g)
{
	b->todo = tp_xrealloc(b->todo, (b->n + 1) * sizeof(*b->todo));
	b->todo[b->n].type_ix = t;
	b->todo[b->n].region_ix = g;
	b->n++;
}

static void submit_one(nk_run *run, const group_ref *ref)
{
	nk_job *j = nk_job_new(run, ref->type_ix < 0 ? NK_MANAGED : NK_LIST);
	size_t g = (size_t)ref->region_ix;

	j->type_ix = ref->type_ix;
	j->region_ix = ref->region_ix;
	j->type = ref->type_ix < 0 ? NULL : run->types[ref->type_ix];
	j->region = g == run->nregions ? run->o->regions[0] : run->o->regions[g];
	nk_submit(run, j);
}

/* Run every job of the batch, at most `parallel` at once; answers in b->done. */
static void run_batch(nk_run *run, batch *b, const char *phase)
{
	nk_job *j;

	b->done = tp_xcalloc(b->n ? b->n : 1, sizeof(*b->done));
	while (b->ndone < b->n) {
		while (b->next < b->n && run->inflight < run->parallel && !nk_interrupted(run))
			submit_one(run, &b->todo[b->next++]);
		if (run->inflight == 0)
			break;                      /* interrupted: nothing more will come */
		j = nk_take(run, run->progress_ms);
		if (j)
			b->done[b->ndone++] = j;
		nk_progress(run, phase, b->ndone, b->n, 0);
	}
	nk_progress(run, phase, b->ndone, b->n, 1);
}

static void batch_release(batch *b)
{
	size_t i;

	for (i = 0; i < b->ndone; i++)
		nk_job_free(b->done[i]);
	free(b->done);
	free(b->todo);
}

static int job_order(const void *pa, const void *pb)
{
	const nk_job *a = *(nk_job *const *)pa, *b = *(nk_job *const *)pb;

	if (a->region_ix != b->region_ix)
		return a->region_ix - b->region_ix;
	return a->type_ix - b->type_ix;
}

static int by_id(const void *pa, const void *pb)
{
	const tp_resource *a = *(tp_resource *const *)pa, *b = *(tp_resource *const *)pb;

	return strcmp(a->id, b->id);
}

/* ---- filtering ---------------------------------------------------------- */

static int keep(nk_run *run, const tp_resource *r, char *why, size_t size)
{
	if (run->o->filter)
		return tp_filter_check(run->o->filter, run->managed, run->o->account, r, why, size);
	if (r->skip_reason) {
		tp_strlcpy(why, r->skip_reason, size);
		return 1;
	}
	return 0;
}

static void filter_new(nk_run *run, size_t i)
{
	char why[1024];

	if (keep(run, run->rep->items[i].res, why, sizeof(why))) {
		nk_set_state(run, i, TP_NUKE_FILTERED, why);
		return;
	}
	run->track[i].nukeable = 1;
	nk_set_state(run, i, TP_NUKE_WOULD_REMOVE, NULL);
}

/* A resource listed again: kept now (after we acted on it: it is on its
 * way out, e.g. a key pending deletion), or still nukeable. */
static void filter_again(nk_run *run, size_t i)
{
	tp_nuke_item *it = &run->rep->items[i];
	char why[1024];

	run->track[i].nukeable = 0;
	if (!keep(run, it->res, why, sizeof(why))) {
		run->track[i].nukeable = 1;
		return;
	}
	if (it->attempts > 0) {
		if (it->state != TP_NUKE_REMOVED)
			nk_set_state(run, i, TP_NUKE_REMOVED, NULL);
	} else if (it->state != TP_NUKE_FILTERED) {
		nk_set_state(run, i, TP_NUKE_FILTERED, why);
	}
}

/* ---- reconciling one group's listing ------------------------------------ */

typedef struct member {
	const char *id;
	size_t ix;
} member;

typedef struct group_index {
	member *m;        /* the group's items, sorted by id */
	size_t n;
} group_index;

static int member_by_id(const void *pa, const void *pb)
{
	return strcmp(((const member *)pa)->id, ((const member *)pb)->id);
}

static void index_group(nk_run *run, int t, int g, group_index *gi)
{
	size_t i;

	gi->m = NULL;
	gi->n = 0;
	for (i = 0; i < run->rep->n; i++) {
		if (run->track[i].type_ix != t || run->track[i].region_ix != g)
			continue;
		gi->m = tp_xrealloc(gi->m, (gi->n + 1) * sizeof(*gi->m));
		gi->m[gi->n].id = run->rep->items[i].res->id;
		gi->m[gi->n++].ix = i;
		run->track[i].seen = 0;
	}
	if (gi->n > 1)
		qsort(gi->m, gi->n, sizeof(*gi->m), member_by_id);
}

static long find_in_group(const group_index *gi, const char *id)
{
	member key = { id, 0 };
	const member *hit = gi->n ? bsearch(&key, gi->m, gi->n, sizeof(*gi->m), member_by_id) : NULL;

	return hit ? (long)hit->ix : -1;
}

static void replace_listing(nk_run *run, size_t i, tp_resource *r)
{
	tp_resource_list_add(&run->graveyard, run->rep->items[i].res);
	run->rep->items[i].res = r;
	run->track[i].seen = 1;
	filter_again(run, i);
}

/* Not listed any more: whatever was nukeable is gone. */
static void mark_vanished(nk_run *run, const group_index *gi)
{
	size_t k, i;

	for (k = 0; k < gi->n; k++) {
		i = gi->m[k].ix;
		if (run->track[i].seen || !run->track[i].nukeable)
			continue;
		run->track[i].nukeable = 0;
		if (run->rep->items[i].state != TP_NUKE_REMOVED)
			nk_set_state(run, i, TP_NUKE_REMOVED, NULL);
	}
}

static void reconcile(nk_run *run, nk_job *j)
{
	tp_resource_list *found = &j->found;
	group_index gi;
	size_t k;
	long at;

	index_group(run, j->type_ix, j->region_ix, &gi);
	if (found->n > 1)
		qsort(found->items, found->n, sizeof(*found->items), by_id);
	for (k = 0; k < found->n; k++) {
		tp_resource *r = found->items[k];

		found->items[k] = NULL;
		at = find_in_group(&gi, r->id);
		if (at >= 0)
			replace_listing(run, (size_t)at, r);
		else
			filter_new(run, nk_add_item(run, r, j->type_ix, j->region_ix));
	}
	mark_vanished(run, &gi);
	free(gi.m);
}

static void absorb(nk_run *run, nk_job *j)
{
	if (j->rc < 0) {
		nk_set_error(run, j->type_ix, j->region_ix,
			     j->type ? j->type->name : "managed stacks", &j->err);
		return;
	}
	nk_clear_error(run, j->type_ix, j->region_ix);
	if (j->kind == NK_MANAGED)
		tp_managed_merge(run->managed, j->managed);
	else
		reconcile(run, j);
}

/* Managed stacks first: filtering needs them all. */
static void absorb_all(nk_run *run, batch *b)
{
	size_t i;

	qsort(b->done, b->ndone, sizeof(*b->done), job_order);
	for (i = 0; i < b->ndone; i++)
		if (b->done[i]->kind == NK_MANAGED)
			absorb(run, b->done[i]);
	if (run->managed)
		tp_managed_seal(run->managed);
	for (i = 0; i < b->ndone; i++)
		if (b->done[i]->kind == NK_LIST)
			absorb(run, b->done[i]);
}

/* In keep-stacks mode, deleting without knowing every managed stack could
 * delete what a managed stack owns: refuse. */
static int managed_complete(nk_run *run)
{
	size_t i;

	if (run->o->dry_run)
		return 0;
	for (i = 0; i < run->rep->n_errors; i++)
		if (run->err_slots[i].type_ix < 0)
			return tp_error_set(TP_EAWS, "nuke %s: the managed stacks of %s could not be "
					    "listed, so nothing was deleted: %s", run->o->account,
					    run->rep->errors[i].region, run->rep->errors[i].message);
	return 0;
}

int nk_scan(nk_run *run)
{
	batch b;
	size_t t, g;

	memset(&b, 0, sizeof(b));
	if (run->o->filter && tp_filter_keep_stacks(run->o->filter)) {
		run->managed = tp_managed_new();
		for (g = 0; g < run->nregions; g++)
			batch_add(&b, -1, (int)g);
	}
	for (t = 0; t < run->ntypes; t++) {
		if (run->types[t]->global)
			batch_add(&b, (int)t, (int)run->nregions);
		else
			for (g = 0; g < run->nregions; g++)
				batch_add(&b, (int)t, (int)g);
	}
	run_batch(run, &b, "scan");
	absorb_all(run, &b);
	batch_release(&b);
	return managed_complete(run);
}

int nk_relist(nk_run *run)
{
	batch b;
	size_t i, t, g;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < run->rep->n_errors; i++)
		if (run->err_slots[i].type_ix >= 0)
			run->relist[NK_GROUP(run, run->err_slots[i].type_ix,
					     run->err_slots[i].region_ix)] = 1;
	for (t = 0; t < run->ntypes; t++)
		for (g = 0; g <= run->nregions; g++)
			if (run->relist[NK_GROUP(run, t, g)]) {
				batch_add(&b, (int)t, (int)g);
				run->relist[NK_GROUP(run, t, g)] = 0;
			}
	run_batch(run, &b, "re-list");
	absorb_all(run, &b);
	batch_release(&b);
	return 0;
}
