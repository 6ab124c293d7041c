/*
 * Emptying an S3 bucket fast: every object version and delete marker,
 * 1,000 per DeleteObjects request, several requests at once. (aws-nuke and
 * `aws s3 rm` are slow because they send one request per object, or one
 * batch at a time.)
 */
#ifndef TP_S3_EMPTY_H
#define TP_S3_EMPTY_H

#include <stdint.h>

#include "aws/client.h"

typedef struct tp_s3_empty_opts {
	int parallel;          /* DeleteObjects requests in flight; <= 1: one at a time, no threads */
	int64_t deadline_ms;   /* tp_now_ms() deadline; 0 = none */
} tp_s3_empty_opts;

#define TP_S3_EMPTY_OPTS_INIT { 8, 0 }

/*
 * Delete every object version and delete marker of `bucket` (in `region`),
 * then abort its unfinished multipart uploads. Lists until a listing comes
 * back empty (objects written meanwhile are caught too). A bucket where
 * versioning was never on is listed by key (ListObjectsV2), which is
 * cheaper and leaves nothing behind there.
 * `deleted` (may be NULL) gets the number of versions and markers deleted,
 * also on error.
 *
 * Returns 0; TP_ENOTFOUND when the bucket does not exist; TP_ETIMEOUT when
 * the deadline passed; other errors carry the AWS message, and for objects
 * that DeleteObjects refused, how many and the first key with its code.
 */
int tp_s3_empty_bucket(tp_aws_client *c, const char *region, const char *bucket,
		       const tp_s3_empty_opts *opts, uint64_t *deleted);

#endif
