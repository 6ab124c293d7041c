/*
 * The cleaner's registry: one resource type per file (cleaner/type_*.c),
 * one row per type in cleaner/registry.c. A type knows how to list its
 * resources in a region (paginated, with the properties filters need) and
 * how to delete one (including what it owns: a bucket's objects, a role's
 * policy attachments). The nuke loop (cleaner/nuke.c) knows nothing of any
 * particular type beyond this interface.
 *
 * Thread safety: list and remove are called from the nuke loop's worker
 * threads, many at once (different regions, types and resources); they may
 * share the context's client (which is thread-safe) and nothing else.
 */
#ifndef TP_RESOURCE_H
#define TP_RESOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "aws/client.h"

typedef struct tp_resource_type tp_resource_type;

typedef struct tp_tag {
	char *key;
	char *value;
} tp_tag;

/* A resource found by a scan. Strings are owned by the resource. */
typedef struct tp_resource {
	const tp_resource_type *type;
	char region[32];       /* "global" for global types */
	char *id;              /* shown in output and used by remove: name, ARN, URL, id */
	char *name;            /* matched by name filters; defaults to id */
	char *arn;             /* matched by ARN filters; may be NULL */
	tp_tag *tags;
	size_t ntags;
	time_t created;        /* 0 when the API does not say */
	char *stack;           /* owning CloudFormation stack (aws:cloudformation:stack-name), or NULL */
	char *skip_reason;     /* set by list when this must never be deleted (AWS-managed,
				* service-linked, pending deletion, tags unreadable): shown as
				* filtered with this reason */
	json_t *props;         /* type-specific details for remove (owned reference), or NULL */
} tp_resource;

typedef struct tp_resource_list {
	tp_resource **items;
	size_t n, alloc;
} tp_resource_list;

#define TP_RESOURCE_LIST_INIT { NULL, 0, 0 }

/* A new resource of type t in region with identifier id (name = id). */
tp_resource *tp_resource_new(const tp_resource_type *t, const char *region, const char *id);
void tp_resource_set_name(tp_resource *r, const char *name);
void tp_resource_set_arn(tp_resource *r, const char *arn);
void tp_resource_add_tag(tp_resource *r, const char *key, const char *value);
/* Also sets r->stack when key is aws:cloudformation:stack-name. */
void tp_resource_skip(tp_resource *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *tp_resource_tag(const tp_resource *r, const char *key);  /* NULL when absent */
void tp_resource_free(tp_resource *r);

void tp_resource_list_add(tp_resource_list *l, tp_resource *r);   /* takes ownership */
void tp_resource_list_release(tp_resource_list *l);

/* What a type's functions get: the account being cleaned. */
typedef struct tp_clean_ctx {
	tp_aws_client *client;  /* credentials of that account; pass the region per call */
	const char *account;    /* "111111111111" */
	int64_t deadline_ms;    /* tp_now_ms() deadline for waits inside one remove */
	int parallel;           /* concurrent requests one remove may make (S3 batches) */
} tp_clean_ctx;

struct tp_resource_type {
	const char *name;              /* "S3Bucket": the name in output and in filters */
	int global;                    /* listed once per account, region "global" */
	const char *const *waits_for;  /* NULL-terminated names of types that must be gone
					* before this one is deleted, or NULL */
	/*
	 * Append every resource of this type in `region` (ignored for global
	 * types) to `out`, with name, ARN, tags and creation date where the
	 * API has them: filters depend on them, so a resource whose tags
	 * cannot be read is listed with a skip reason, never without tags.
	 * Returns 0, or <0 with the error state set (the scan reports it).
	 */
	int (*list)(tp_clean_ctx *ctx, const char *region, tp_resource_list *out);
	/*
	 * Delete `r` with everything the type owns. 0 when removed or when
	 * removal has started and completes on its own (the next pass's list
	 * confirms); TP_ENOTFOUND when already gone (the loop counts it as
	 * removed); TP_ETHROTTLED after the client's retries; other <0 errors
	 * carry the AWS message.
	 */
	int (*remove)(tp_clean_ctx *ctx, const tp_resource *r);
	/*
	 * Optional, for deletes that complete asynchronously (CloudFormation
	 * stacks): 1 when gone, 0 while still being deleted, <0 when deletion
	 * failed (the error state says why). NULL = deletion is immediate.
	 */
	int (*gone)(tp_clean_ctx *ctx, const tp_resource *r);
};

/* The registry, NULL-terminated, in a stable order (cleaner/registry.c). */
const tp_resource_type *const *tp_resource_types(void);

/* The type named `name`, or NULL. */
const tp_resource_type *tp_resource_type_find(const char *name);

/* tidepool's deploy artifacts bucket in account/region (protected in keep-stacks mode). */
#define TP_ARTIFACTS_BUCKET_FMT "tidepool-artifacts-%s-%s"

#endif
