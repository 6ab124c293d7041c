/*
 * CloudFormationStack: every stack of a region that is not DELETE_COMPLETE
 * (DescribeStacks lists exactly those, with tags; ListStacks has no tags).
 * The id is the stack name; the ARN is the stack id, which every call
 * after the listing uses, so a new stack of the same name is never hit.
 *
 * Decisions:
 *  - Termination protection is turned off before DeleteStack: the account
 *    is a sandbox being scrubbed, and a stack nobody protected with a
 *    filter rule (keep-stacks mode protects tidepool's own) would otherwise
 *    keep it dirty forever.
 *  - Nested stacks are skipped: their root deletes them, and deleting one
 *    directly leaves the root broken.
 *  - A stack in DELETE_FAILED is deleted with DeletionMode
 *    FORCE_DELETE_STACK: the stack goes, and what it failed to delete is
 *    found by its own type in the next pass (a bucket that was not empty,
 *    say), which is how a nuke should end up, rather than stuck.
 *  - DeleteStack is asynchronous and answers success for a missing stack;
 *    remove therefore describes first (TP_ENOTFOUND when gone) and `gone`
 *    polls: DELETE_COMPLETE or absent = gone, DELETE_FAILED = error with
 *    the StackStatusReason.
 */
#include <string.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "aws/xml.h"
#include "cleaner/fields.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

#define SVC "cloudformation"

typedef struct lister {
	const char *region;
	tp_resource_list *out;
} lister;

static int add_stack(void *ctx, xmlNodePtr m)
{
	lister *l = ctx;
	char name[256], id[512], status[64], parent[512];
	tp_resource *r;

	tp_xml_text_buf(m, "StackName", name, sizeof(name));
	tp_xml_text_buf(m, "StackId", id, sizeof(id));
	tp_xml_text_buf(m, "StackStatus", status, sizeof(status));
	tp_xml_text_buf(m, "ParentId", parent, sizeof(parent));
	if (strcmp(status, "DELETE_COMPLETE") == 0)
		return 0;
	r = tp_resource_new(&tp_type_cloudformation_stack, l->region, name);
	tp_resource_set_arn(r, id);
	r->created = tp_xml_time(m, "CreationTime");
	tp_tags_from_xml(r, m, "Tags/member");
	r->props = json_pack("{s:s}", "status", status);
	if (parent[0])
		tp_resource_skip(r, "nested stack: deleted with its root stack");
	tp_resource_list_add(l->out, r);
	return 0;
}

static int page(void *ctx, xmlDocPtr doc)
{
	return tp_xml_foreach(tp_xml_root(doc), "DescribeStacksResult/Stacks/member", add_stack, ctx);
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { region, out };

	return tp_aws_query_paginate(ctx->client, SVC, region, "DescribeStacks", NULL, "NextToken",
				     "NextToken", page, &l);
}

/* The stack's <member> as a document (caller frees); TP_ENOTFOUND when gone. */
static int describe(tp_clean_ctx *ctx, const tp_resource *r, xmlDocPtr *doc, xmlNodePtr *stack)
{
	tp_params p = TP_PARAMS_INIT;
	char status[64];
	int rc;

	tp_params_add(&p, "StackName", r->arn ? r->arn : r->id);
	rc = tp_aws_query(ctx->client, doc, SVC, r->region, "DescribeStacks", &p);
	tp_params_release(&p);
	if (rc < 0)
		return rc;
	*stack = tp_xml_path(tp_xml_root(*doc), "DescribeStacksResult/Stacks/member");
	tp_xml_text_buf(*stack, "StackStatus", status, sizeof(status));
	if (!*stack || strcmp(status, "DELETE_COMPLETE") == 0)
		return tp_error_set(TP_ENOTFOUND, "stack %s in %s does not exist", r->id, r->region);
	return 0;
}

static int simple(tp_clean_ctx *ctx, const tp_resource *r, const char *action, tp_params *p)
{
	xmlDocPtr doc = NULL;
	int rc = tp_aws_query(ctx->client, &doc, SVC, r->region, action, p);

	xmlFreeDoc(doc);
	tp_params_release(p);
	return rc;
}

static int unprotect(tp_clean_ctx *ctx, const tp_resource *r)
{
	tp_params p = TP_PARAMS_INIT;
	int rc;

	tp_params_add(&p, "StackName", r->arn ? r->arn : r->id);
	tp_params_add(&p, "EnableTerminationProtection", "false");
	rc = simple(ctx, r, "UpdateTerminationProtection", &p);
	if (rc < 0)
		tp_error_prefix("turning off termination protection of stack %s: ", r->id);
	return rc;
}

static int remove_stack(tp_clean_ctx *ctx, const tp_resource *r)
{
	tp_params p = TP_PARAMS_INIT;
	xmlDocPtr doc = NULL;
	xmlNodePtr stack = NULL;
	char status[64], protect[16];
	tp_error unprotect_err;
	int rc;

	memset(&unprotect_err, 0, sizeof(unprotect_err));
	if ((rc = describe(ctx, r, &doc, &stack)) < 0)
		goto done;
	tp_xml_text_buf(stack, "StackStatus", status, sizeof(status));
	tp_xml_text_buf(stack, "EnableTerminationProtection", protect, sizeof(protect));
	if (strcmp(status, "DELETE_IN_PROGRESS") == 0)
		goto done;
	if (strcmp(protect, "true") == 0 && (rc = unprotect(ctx, r)) < 0)
		tp_error_save(&unprotect_err);
	tp_params_add(&p, "StackName", r->arn ? r->arn : r->id);
	if (strcmp(status, "DELETE_FAILED") == 0)
		tp_params_add(&p, "DeletionMode", "FORCE_DELETE_STACK");
	/*
	 * Delete even when turning protection off failed: moto has no
	 * UpdateTerminationProtection (and does not enforce the flag), and
	 * on AWS the delete then fails too, so the first error is reported.
	 */
	rc = simple(ctx, r, "DeleteStack", &p);
	if (rc < 0 && unprotect_err.code)
		tp_error_restore(&unprotect_err);
done:
	xmlFreeDoc(doc);
	return rc;
}

static int gone(tp_clean_ctx *ctx, const tp_resource *r)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr stack = NULL;
	char status[64], reason[1024];
	int rc = describe(ctx, r, &doc, &stack);

	if (rc == TP_ENOTFOUND) {
		tp_error_clear();
		rc = 1;
	} else if (rc == 0) {
		tp_xml_text_buf(stack, "StackStatus", status, sizeof(status));
		tp_xml_text_buf(stack, "StackStatusReason", reason, sizeof(reason));
		if (strcmp(status, "DELETE_FAILED") == 0)
			rc = tp_error_set(TP_EAWS, "stack %s in %s: DELETE_FAILED: %s", r->id,
					  r->region, reason[0] ? reason : "(no reason given)");
	}
	xmlFreeDoc(doc);
	return rc;
}

const tp_resource_type tp_type_cloudformation_stack = {
	.name = "CloudFormationStack",
	.list = list,
	.remove = remove_stack,
	.gone = gone,
};
