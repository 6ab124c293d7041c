/*
 * What a worker does with a nuke job: one list, one managed-stack scan,
 * one remove or one `gone` poll; then it posts the job back to the
 * coordinator's mailbox with the result and the error state of its
 * thread. A job touches nothing of the run but what it carries.
 */
#include <stdlib.h>

#include "aws/error.h"
#include "cleaner/managed.h"
#include "cleaner/nuke_internal.h"

static void do_list(nk_job *j)
{
	j->rc = j->type->list(&j->ctx, j->region, &j->found);
}

static void do_managed(nk_job *j)
{
	j->managed = tp_managed_new();
	j->rc = tp_managed_scan(j->managed, j->ctx.client, j->region);
}

static void do_remove(nk_job *j)
{
	j->rc = j->type->remove(&j->ctx, j->res);
}

static void do_gone(nk_job *j)
{
	j->rc = j->type->gone(&j->ctx, j->res);
	if (j->rc == TP_ENOTFOUND)
		j->rc = 1;
}

void nk_job_run(void *arg)
{
	nk_job *j = arg;

	tp_error_clear();
	switch (j->kind) {
	case NK_LIST: do_list(j); break;
	case NK_MANAGED: do_managed(j); break;
	case NK_REMOVE: do_remove(j); break;
	case NK_GONE: do_gone(j); break;
	}
	if (j->rc < 0 && tp_error_last()->code == TP_OK)
		tp_error_set(j->rc, "%s failed without a message",
			     j->kind == NK_LIST ? "list" : j->kind == NK_REMOVE ? "remove" : "poll");
	tp_error_save(&j->err);
	tp_mailbox_post(j->box, &j->link);
}

void nk_job_free(nk_job *j)
{
	if (!j)
		return;
	tp_resource_list_release(&j->found);
	tp_managed_free(j->managed);
	free(j);
}
