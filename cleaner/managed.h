/*
 * The tidepool-managed stacks of an account (tagged tidepool:managed=true)
 * and every physical resource they own: what keep-stacks mode protects.
 *
 * A resource is owned by a managed stack when its id, name or ARN equals a
 * physical id from the stack's ListStackResources (in the stack's region,
 * or anywhere for a global resource), or when its
 * aws:cloudformation:stack-name tag names a managed stack of its region.
 *
 * Not thread-safe: scan each region into its own tp_managed on a worker,
 * merge on one thread, seal, then look up from that thread.
 */
#ifndef TP_MANAGED_H
#define TP_MANAGED_H

#include "aws/client.h"
#include "cleaner/resource.h"

#define TP_MANAGED_TAG "tidepool:managed"

typedef struct tp_managed tp_managed;

tp_managed *tp_managed_new(void);
void tp_managed_free(tp_managed *m);   /* NULL is a no-op */

/*
 * Add the managed stacks of `region` and their resources: DescribeStacks
 * (every page), then ListStackResources (every page) of each stack tagged
 * tidepool:managed=true. Returns 0, or <0 with the error set and the
 * region's stacks named ("managed stacks in eu-west-1: ..."); on error `m`
 * may hold part of the region.
 */
int tp_managed_scan(tp_managed *m, tp_aws_client *c, const char *region);

/* Record a managed stack / a physical id owned by managed stack `stack`. */
void tp_managed_add_stack(tp_managed *m, const char *region, const char *name,
			  const char *arn);
void tp_managed_add_owned(tp_managed *m, const char *region, const char *physical_id,
			  const char *stack);

/* Move everything of `src` into `dst`; `src` is left empty. */
void tp_managed_merge(tp_managed *dst, tp_managed *src);

/* Index for lookups; call after the last add/merge (adding again unseals). */
void tp_managed_seal(tp_managed *m);

size_t tp_managed_stack_count(const tp_managed *m);

/*
 * Why `r` belongs to a managed stack, written to `why`: "managed stack
 * (tidepool:managed=true)" for the stack itself, "owned by managed stack
 * api" otherwise. Returns 1 when it does, 0 when not (why unchanged).
 */
int tp_managed_owns(tp_managed *m, const tp_resource *r, char *why, size_t size);

#endif
