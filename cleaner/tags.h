/*
 * Tags as AWS APIs return them, onto a resource. Every shape in use:
 * [{"Key": k, "Value": v}] (also key/value, TagKey/TagValue), {"k": "v"}
 * maps (SQS, Lambda, API Gateway), and XML lists of <Key>/<Value>.
 */
#ifndef TP_CLEANER_TAGS_H
#define TP_CLEANER_TAGS_H

#include <jansson.h>
#include <libxml/tree.h>

#include "aws/client.h"
#include "cleaner/resource.h"

/* Add every tag of `tags` (an array of pairs or an object map; NULL = none). */
void tp_tags_from_json(tp_resource *r, const json_t *tags);

/* Add every element at `path` ("Tags/member", "TagSet/Tag") with Key and Value. */
void tp_tags_from_xml(tp_resource *r, xmlNodePtr from, const char *path);

/*
 * The tags of `r` could not be read (the calling thread's error says why):
 * mark it skipped, so no filter can miss it, and clear the error. Filters
 * that fail to protect something are worse than a resource left behind.
 */
void tp_tags_unreadable(tp_resource *r);

/*
 * Finish a listed resource whose details (tags) were read with result rc:
 * 0 -> added to `out`; TP_ENOTFOUND -> it vanished since the listing: freed;
 * any other error -> added with a "tags unreadable" skip reason. The error
 * state is cleared in every case.
 */
void tp_tags_add(tp_resource_list *out, tp_resource *r, int rc);

/*
 * JSON-protocol tags: one `operation` with `body` (taken), the answer's
 * `tags_key` onto r (ListTagsForResource of ECR, Logs, EventBridge, ...).
 * Returns the call's result.
 */
int tp_tags_json(tp_aws_client *c, const char *service, const char *region,
		 const char *operation, json_t *body, const char *tags_key, tp_resource *r);

/*
 * ListTagsForResource of a JSON API on r's ARN: body {arn_key: r->arn},
 * the answer's `tags_key` onto r. TP_EAWS ("no ARN") when r has none.
 */
int tp_tags_json_arn(tp_aws_client *c, const char *service, const char *region,
		     const char *arn_key, const char *tags_key, tp_resource *r);

/*
 * The same over pages: every page's "Tags" onto r, the token of out_key
 * going back as in_key (DynamoDB's ListTagsOfResource, KMS's
 * ListResourceTags). Takes `body`.
 */
int tp_tags_json_paged(tp_aws_client *c, const char *service, const char *region,
		       const char *operation, json_t *body, const char *in_key,
		       const char *out_key, tp_resource *r);

/*
 * The same paged by the last key (Kinesis, Firehose): "Tags" of every
 * page, the next starting at ExclusiveStartTagKey = the last key while
 * HasMoreTags. Takes `body`.
 */
int tp_tags_json_by_key(tp_aws_client *c, const char *service, const char *region,
			const char *operation, json_t *body, tp_resource *r);

/*
 * Query-protocol ListTagsForResource with key=value (CloudWatch, SNS):
 * ListTagsForResourceResult/Tags/member onto r. Returns the call's result.
 */
int tp_tags_query(tp_aws_client *c, const char *service, const char *region,
		  const char *key, const char *value, tp_resource *r);

/*
 * REST-JSON tags (Lambda's ListTags): GET <prefix><arn, escaped>, whose
 * answer has a "Tags" (or "tags") map, onto r. Returns the call's result.
 */
int tp_tags_rest(tp_aws_client *c, const char *service, const char *region,
		 const char *prefix, const char *arn, tp_resource *r);

#endif
