/*
 * Discovery of the accounts under an OU: a breadth-first walk of the OU
 * tree (an explicit queue; Organizations nests at most five levels, but
 * nothing here depends on that), listing each OU's accounts page by page.
 */
#include "accounts/org.h"

#include <string.h>

#include "aws/error.h"
#include "aws/util.h"

struct walk {
	tp_org_accounts *out;
	const char *management;
	char **queue;               /* OUs still to list */
	size_t head, n;
};

static void push(char ***v, size_t *n, char *s)
{
	*v = tp_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

static int contains(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static int accounts_page(void *ctx, json_t *resp)
{
	struct walk *w = ctx;
	json_t *a;
	size_t i;

	json_array_foreach(json_object_get(resp, "Accounts"), i, a) {
		const char *id = json_string_value(json_object_get(a, "Id"));
		const char *status = json_string_value(json_object_get(a, "Status"));

		if (!tp_is_account_id(id) || contains(w->out->ids, w->out->n, id))
			continue;
		if (tp_streq(id, w->management))
			push(&w->out->skipped, &w->out->n_skipped,
			     tp_xasprintf("%s (the organization's management account)", id));
		else if (status && strcmp(status, "ACTIVE") != 0)
			push(&w->out->skipped, &w->out->n_skipped, tp_xasprintf("%s (%s)", id, status));
		else
			push(&w->out->ids, &w->out->n, tp_xstrdup(id));
	}
	return 0;
}

static int ous_page(void *ctx, json_t *resp)
{
	struct walk *w = ctx;
	json_t *ou;
	size_t i;

	json_array_foreach(json_object_get(resp, "OrganizationalUnits"), i, ou) {
		const char *id = json_string_value(json_object_get(ou, "Id"));
		if (id)
			push(&w->queue, &w->n, tp_xstrdup(id));
	}
	return 0;
}

static int list_parent(tp_aws_client *c, struct walk *w, const char *parent)
{
	json_t *body = json_pack("{s:s}", "ParentId", parent);
	int rc = tp_aws_json_paginate(c, "organizations", NULL, "ListAccountsForParent", body,
				      "NextToken", "NextToken", accounts_page, w);

	if (rc == 0)
		rc = tp_aws_json_paginate(c, "organizations", NULL,
					  "ListOrganizationalUnitsForParent", body, "NextToken",
					  "NextToken", ous_page, w);
	json_decref(body);
	if (rc < 0)
		tp_error_prefix("listing the accounts under %s: ", parent);
	return rc;
}

/* The management account's id into `out` (13 bytes). */
static int management_account(tp_aws_client *c, char *out)
{
	json_t *resp = NULL, *org;
	const char *id;
	int rc = tp_aws_json(c, &resp, "organizations", NULL, "DescribeOrganization", NULL);

	if (rc < 0)
		return tp_error_prefix("DescribeOrganization: ");
	org = json_object_get(resp, "Organization");
	id = json_string_value(json_object_get(org, "MasterAccountId"));
	if (!id)
		id = json_string_value(json_object_get(org, "ManagementAccountId"));
	tp_strlcpy(out, id ? id : "", 13);
	json_decref(resp);
	return 0;
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int tp_org_accounts_under(tp_org_accounts *out, tp_aws_client *c, const char *parent)
{
	tp_org_accounts found = TP_ORG_ACCOUNTS_INIT;
	struct walk w = { &found, NULL, NULL, 0, 0 };
	char management[13];
	int rc = management_account(c, management);
	size_t i;

	w.management = management;
	push(&w.queue, &w.n, tp_xstrdup(parent));
	while (rc == 0 && w.head < w.n)
		rc = list_parent(c, &w, w.queue[w.head++]);
	for (i = 0; i < w.n; i++)
		free(w.queue[i]);
	free(w.queue);
	if (rc < 0) {
		tp_org_accounts_release(&found);
		return rc;
	}
	if (found.n > 1)
		qsort(found.ids, found.n, sizeof(*found.ids), by_string);
	*out = found;
	return 0;
}

void tp_org_accounts_release(tp_org_accounts *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->ids[i]);
	for (i = 0; i < a->n_skipped; i++)
		free(a->skipped[i]);
	free(a->ids);
	free(a->skipped);
	a->ids = a->skipped = NULL;
	a->n = a->n_skipped = 0;
}
