/*
 * What the cleaner must not delete, and why (DESIGN.md, "The cleaner").
 *
 * In order, a resource is kept when:
 *   1. its type said so while listing (AWS-managed, service-linked, pending
 *      deletion: tp_resource.skip_reason);
 *   2. it is the access role tidepool assumes (pool.role), in every mode;
 *   3. keep-stacks mode: it is a stack tagged tidepool:managed=true, a
 *      resource such a stack owns (managed.h), or tidepool's artifacts
 *      bucket (TP_ARTIFACTS_BUCKET_FMT) of the account in any region;
 *   4. a cleaner.protect rule matches it: every criterion the rule gives
 *      (type; name and ARN exact, glob (fnmatch) or regex (POSIX
 *      extended, compiled by the loader); tag KEY=VALUE with a glob
 *      value; created after a time) holds, or, with invert, not all do.
 * Every kept resource gets a reason naming which of these applied (a rule
 * by its index and file position).
 *
 * Types are chosen before listing: cleaner.resource_types include (empty:
 * every type) minus exclude.
 *
 * A tp_filter borrows everything it points at; it is read-only once set up
 * and may be used from any number of threads.
 */
#ifndef TP_FILTER_H
#define TP_FILTER_H

#include <stddef.h>

#include "cleaner/managed.h"
#include "cleaner/resource.h"
#include "suites/config.h"

typedef struct tp_filter {
	const tp_config_cleaner *cleaner;  /* mode, rules, type lists; NULL = full mode, no rules */
	const char *config_path;           /* names rules in reasons ("tidepool.yaml") */
	const char *role;                  /* the access role (pool.role), or NULL */
} tp_filter;

#define TP_FILTER_INIT { NULL, NULL, NULL }

/* The filter of a loaded configuration (borrows `c`). */
void tp_filter_from_config(tp_filter *f, const tp_config *c);

/* Keep-stacks mode (the default)? */
int tp_filter_keep_stacks(const tp_filter *f);

/* Is `type` scanned under resource_types include/exclude? */
int tp_filter_type_enabled(const tp_filter *f, const char *type);

/*
 * Should `r` of `account` be kept? `managed` (may be NULL in full mode or
 * when there are no managed stacks) is a sealed set of managed stacks.
 * Returns 1 and writes the reason to `why`, or 0 (why unchanged).
 */
int tp_filter_check(const tp_filter *f, tp_managed *managed, const char *account,
		    const tp_resource *r, char *why, size_t size);

/*
 * Check the configuration against the registry `types` (NULL-terminated)
 * before any AWS call: every type named in cleaner.protect and
 * cleaner.resource_types must exist. Returns 0, or TP_EINVAL naming the
 * file, line, key and the closest known type.
 */
int tp_filter_validate(const tp_config *c, const tp_resource_type *const *types);

#endif
