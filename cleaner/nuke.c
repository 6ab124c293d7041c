/*
 * tp_nuke_run (nuke.h): set up the run, scan, delete stacks first, then
 * passes until nothing nukeable is left or a pass makes no progress.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/nuke_internal.h"

int nk_interrupted(const nk_run *run)
{
	return run->o->interrupted && *run->o->interrupted;
}

const char *nk_region_name(const nk_run *run, int region_ix)
{
	return (size_t)region_ix == run->nregions ? "global" : run->o->regions[region_ix];
}

nk_job *nk_job_new(nk_run *run, nk_kind kind)
{
	nk_job *j = tp_xcalloc(1, sizeof(*j));

	j->kind = kind;
	j->box = run->box;
	j->ctx.client = run->o->client;
	j->ctx.account = run->o->account;
	j->ctx.parallel = run->parallel;
	j->ctx.deadline_ms = tp_now_ms() + run->timeout_ms;
	return j;
}

void nk_submit(nk_run *run, nk_job *j)
{
	run->inflight++;
	tp_workq_submit(run->pool, nk_job_run, j);
}

nk_job *nk_take(nk_run *run, int64_t timeout_ms)
{
	tp_msg *m = tp_mailbox_take(run->box, timeout_ms);

	if (!m)
		return NULL;
	run->inflight--;
	return (nk_job *)m;
}

void nk_drain(nk_run *run)
{
	while (run->inflight > 0)
		nk_job_free(nk_take(run, -1));
}

/* ---- setup ------------------------------------------------------------- */

static int type_index(const nk_run *run, const char *name)
{
	size_t i;

	for (i = 0; i < run->ntypes; i++)
		if (strcmp(run->types[i]->name, name) == 0)
			return (int)i;
	return -1;
}

static void choose_types(nk_run *run)
{
	const tp_resource_type *const *all = run->o->types ? run->o->types : tp_resource_types();
	size_t n = 0, i;

	while (all[n])
		n++;
	run->types = tp_xcalloc(n + 1, sizeof(*run->types));
	for (i = 0; i < n; i++)
		if (!run->o->filter || tp_filter_type_enabled(run->o->filter, all[i]->name))
			run->types[run->ntypes++] = all[i];
	run->stack_ix = type_index(run, TP_NUKE_STACK_TYPE);
}

/* Resolve waits_for names to indices; a type not in this run waits for nothing. */
static void resolve_waits(nk_run *run)
{
	size_t t, n, k;

	run->waits = tp_xcalloc(run->ntypes ? run->ntypes : 1, sizeof(*run->waits));
	for (t = 0; t < run->ntypes; t++) {
		const char *const *w = run->types[t]->waits_for;

		for (n = 0; w && w[n]; n++)
			;
		run->waits[t] = tp_xcalloc(n + 1, sizeof(int));
		for (k = 0; w && *w; w++) {
			int ix = type_index(run, *w);

			if (ix >= 0 && (size_t)ix != t)
				run->waits[t][k++] = ix;
		}
		run->waits[t][k] = -1;
	}
}

static int check_opts(const tp_nuke_opts *o)
{
	size_t i;

	if (!o->client || !o->account || !tp_is_account_id(o->account))
		return tp_error_set(TP_EINVAL, "nuke: a client and a 12-digit account id are needed");
	if (!o->regions || o->n_regions == 0)
		return tp_error_set(TP_EINVAL, "nuke %s: no region to clean", o->account);
	for (i = 0; i < o->n_regions; i++)
		if (!o->regions[i] || !*o->regions[i] || strlen(o->regions[i]) >= 32)
			return tp_error_set(TP_EINVAL, "nuke %s: invalid region '%s'", o->account,
					    o->regions[i] ? o->regions[i] : "(null)");
	if (o->parallel < 0 || o->parallel > TP_WORKQ_MAX_THREADS)
		return tp_error_set(TP_EINVAL, "nuke: parallelism must be 1..%d, not %d",
				    TP_WORKQ_MAX_THREADS, o->parallel);
	return 0;
}

static int setup(nk_run *run, tp_nuke_report *out, const tp_nuke_opts *o)
{
	size_t groups;

	run->o = o;
	run->rep = out;
	run->parallel = o->parallel ? o->parallel : TP_NUKE_DEFAULT_PARALLEL;
	run->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : TP_NUKE_DEFAULT_TIMEOUT_MS;
	run->poll_ms = o->poll_ms > 0 ? o->poll_ms : 1000;
	run->progress_ms = o->progress_ms > 0 ? o->progress_ms : 1000;
	run->nregions = o->n_regions;
	choose_types(run);
	resolve_waits(run);
	groups = (run->ntypes ? run->ntypes : 1) * (run->nregions + 1);
	run->active = tp_xcalloc(groups, sizeof(*run->active));
	run->relist = tp_xcalloc(groups, 1);
	run->box = tp_mailbox_new();
	if (o->pool) {
		run->pool = o->pool;
		return 0;
	}
	run->own_pool = 1;
	return tp_workq_new(&run->pool, run->parallel);
}

static void teardown(nk_run *run)
{
	size_t t;

	nk_drain(run);
	if (run->own_pool)
		tp_workq_free(run->pool);
	tp_mailbox_free(run->box, NULL);
	for (t = 0; run->waits && t < run->ntypes; t++)
		free(run->waits[t]);
	free(run->waits);
	free(run->types);
	free(run->active);
	free(run->relist);
	for (t = 0; run->track && t < run->rep->n; t++)
		free(run->track[t].last_error);
	free(run->track);
	free(run->err_slots);
	tp_managed_free(run->managed);
	tp_resource_list_release(&run->graveyard);
}

/* ---- the loop ----------------------------------------------------------- */

static size_t count_nukeable(const nk_run *run, int stacks_only)
{
	size_t i, n = 0;

	for (i = 0; i < run->rep->n; i++)
		if (run->track[i].nukeable &&
		    (!stacks_only || run->track[i].type_ix == run->stack_ix))
			n++;
	return n;
}

/* Every group with something nukeable is listed again after the stacks. */
static void relist_all(nk_run *run)
{
	size_t i;

	for (i = 0; i < run->rep->n; i++)
		if (run->track[i].nukeable)
			run->relist[NK_GROUP(run, run->track[i].type_ix, run->track[i].region_ix)] = 1;
}

/* Stacks first, so their own deletes remove what they own (and nothing is
 * deleted from under a stack); then re-list what the stacks may have taken. */
static int stacks_first(nk_run *run)
{
	size_t progress = 0;
	int rc;

	if (run->stack_ix < 0 || count_nukeable(run, 1) == 0)
		return 0;
	run->pass++;
	rc = nk_pass(run, 1, &progress);
	relist_all(run);
	if (rc == 0 && !nk_interrupted(run))
		rc = nk_relist(run);
	return rc;
}

static int passes(nk_run *run)
{
	int max = run->o->max_passes > 0 ? run->o->max_passes : TP_NUKE_DEFAULT_MAX_PASSES;
	int rc = stacks_first(run), full = 0;
	size_t progress;

	while (rc == 0 && full < max && count_nukeable(run, 0) > 0 && !nk_interrupted(run)) {
		run->pass++;
		full++;
		progress = 0;
		rc = nk_pass(run, 0, &progress);
		if (rc == 0 && !nk_interrupted(run))
			rc = nk_relist(run);
		if (progress == 0)
			break;   /* nothing removed, every failure as before: the next pass would
				  * do the same */
	}
	return rc;
}

int tp_nuke_run(tp_nuke_report *out, const tp_nuke_opts *o)
{
	nk_run run;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&run, 0, sizeof(run));
	if ((rc = check_opts(o)) < 0)
		return rc;
	tp_strlcpy(out->account, o->account, sizeof(out->account));
	out->summary.dry_run = o->dry_run;
	rc = setup(&run, out, o);
	if (rc == 0)
		rc = nk_scan(&run);
	if (rc == 0) {
		nk_emit_scanned(&run);
		if (!o->dry_run)
			rc = passes(&run);
	}
	if (rc == 0 && nk_interrupted(&run))
		rc = tp_error_set(TP_EINTR, "nuke %s: interrupted", o->account);
	out->summary.interrupted = rc == TP_EINTR;
	out->summary.passes = run.pass;
	nk_finish(&run);
	teardown(&run);
	return rc;
}
