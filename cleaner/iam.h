/*
 * What the IAM types share: IAM is global (one endpoint, signed for
 * us-east-1), paginates with Marker/IsTruncated, and deleting anything
 * means first undoing what hangs off it (attachments, inline policies,
 * keys), each a "list names, then call X for each" step.
 */
#ifndef TP_CLEANER_IAM_H
#define TP_CLEANER_IAM_H

#include <jansson.h>

#include "cleaner/resource.h"

#define TP_IAM_REGION "us-east-1"

/*
 * Collect into `out` (a JSON array) the text of `field` of every element
 * at `path` of every page of `action` called with key=value ("" field:
 * the element's own text, as in PolicyNames/member). Collecting before
 * acting keeps Marker pagination away from a list that is shrinking.
 */
int tp_iam_collect(tp_clean_ctx *ctx, const char *action, const char *key, const char *value,
		   const char *path, const char *field, json_t *out);

/*
 * For every string in `names`: `action` with key=value and name_key=name.
 * NoSuchEntity (already gone) counts as done. Stops at the first other
 * error, prefixed with what was being done.
 */
int tp_iam_each(tp_clean_ctx *ctx, const char *action, const char *key, const char *value,
		const char *name_key, const json_t *names);

/* Collect then act: tp_iam_collect + tp_iam_each, for the common case. */
int tp_iam_undo(tp_clean_ctx *ctx, const char *list_action, const char *path,
		const char *field, const char *action, const char *key, const char *value,
		const char *name_key);

/* Tags of an IAM entity onto r: ListRoleTags, ListUserTags, GetInstanceProfile ... */
int tp_iam_tags(tp_clean_ctx *ctx, const char *action, const char *key, const char *value,
		tp_resource *r);

/* One IAM call whose answer is dropped: key=value (and key2=value2 unless NULL). */
int tp_iam_call(tp_clean_ctx *ctx, const char *action, const char *key, const char *value,
		const char *key2, const char *value2);

#endif
