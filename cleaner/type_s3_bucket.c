/*
 * S3Bucket: every bucket of the account, listed once (ListBuckets is
 * global) but each shown in its own region (ListBuckets' BucketRegion, or
 * GetBucketLocation where the answer lacks it), so output and region
 * filters see where it really is; every later call goes to that region.
 * remove empties the bucket (cleaner/s3_empty.c: all versions and delete
 * markers, 1,000 per request, ctx->parallel requests at once) and deletes
 * it. Tags: GetBucketTagging; NoSuchTagSet means no tags.
 */
#include <string.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "aws/xml.h"
#include "cleaner/fields.h"
#include "cleaner/s3_empty.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

#define LIST_REGION "us-east-1"

/* GET /?<sub> of a bucket in region; the parsed answer in *doc. */
static int bucket_get(tp_clean_ctx *ctx, const char *region, const char *bucket,
		      const char *sub, const char *op, xmlDocPtr *doc)
{
	tp_rest_response resp = TP_REST_RESPONSE_INIT;
	tp_params q = TP_PARAMS_INIT;
	tp_rest_request req;
	int rc;

	*doc = NULL;
	tp_params_add(&q, sub, "");
	memset(&req, 0, sizeof(req));
	req.operation = op;
	req.method = "GET";
	req.bucket = bucket;
	req.path = "/";
	req.query = &q;
	rc = tp_aws_rest(ctx->client, &resp, "s3", region, &req);
	if (rc == 0)
		rc = tp_xml_parse(doc, resp.body.ptr, resp.body.len, op);
	tp_params_release(&q);
	tp_http_response_release(&resp);
	return rc;
}

/* The bucket's region: "" (us-east-1), "EU" (eu-west-1, legacy) or the name. */
static int locate(tp_clean_ctx *ctx, const char *bucket, char *region, size_t size)
{
	xmlDocPtr doc = NULL;
	int rc = bucket_get(ctx, LIST_REGION, bucket, "location", "GetBucketLocation", &doc);

	if (rc < 0)
		return rc;
	tp_xml_text_buf(tp_xml_root(doc), "", region, size);
	if (!region[0])
		tp_strlcpy(region, "us-east-1", size);
	else if (strcmp(region, "EU") == 0)
		tp_strlcpy(region, "eu-west-1", size);
	xmlFreeDoc(doc);
	return 0;
}

static int read_tags(tp_clean_ctx *ctx, tp_resource *r)
{
	xmlDocPtr doc = NULL;
	int rc = bucket_get(ctx, r->region, r->id, "tagging", "GetBucketTagging", &doc);

	if (rc == TP_ENOTFOUND && tp_error_is("NoSuchTagSet")) {
		tp_error_clear();
		return 0;
	}
	if (rc == 0)
		tp_tags_from_xml(r, tp_xml_root(doc), "TagSet/Tag");
	xmlFreeDoc(doc);
	return rc;
}

typedef struct lister {
	tp_clean_ctx *ctx;
	tp_resource_list *out;
	char token[1024];
} lister;

static int add_bucket(void *arg, xmlNodePtr b)
{
	lister *l = arg;
	char name[128], region[32];
	tp_resource *r;
	char *arn;
	int rc = 0;

	tp_xml_text_buf(b, "Name", name, sizeof(name));
	tp_xml_text_buf(b, "BucketRegion", region, sizeof(region));
	if (!region[0])
		rc = locate(l->ctx, name, region, sizeof(region));
	if (rc == TP_ENOTFOUND) {          /* deleted since ListBuckets */
		tp_error_clear();
		return 0;
	}
	r = tp_resource_new(&tp_type_s3_bucket, rc == 0 ? region : LIST_REGION, name);
	arn = tp_xasprintf("arn:aws:s3:::%s", name);
	tp_resource_set_arn(r, arn);
	free(arn);
	r->created = tp_xml_time(b, "CreationDate");
	if (rc == 0)
		rc = read_tags(l->ctx, r);
	if (rc == TP_ENOTFOUND && tp_error_is("NoSuchBucket")) {
		tp_error_clear();
		tp_resource_free(r);
		return 0;
	}
	if (rc < 0)
		tp_tags_unreadable(r);
	tp_resource_list_add(l->out, r);
	return 0;
}

static int list_page(lister *l)
{
	tp_rest_response resp = TP_REST_RESPONSE_INIT;
	tp_params q = TP_PARAMS_INIT;
	tp_rest_request req;
	xmlDocPtr doc = NULL;
	int rc;

	tp_params_add(&q, "max-buckets", "1000");
	if (l->token[0])
		tp_params_add(&q, "continuation-token", l->token);
	memset(&req, 0, sizeof(req));
	req.operation = "ListBuckets";
	req.method = "GET";
	req.path = "/";
	req.query = &q;
	rc = tp_aws_rest(l->ctx->client, &resp, "s3", LIST_REGION, &req);
	if (rc == 0)
		rc = tp_xml_parse(&doc, resp.body.ptr, resp.body.len, "ListBuckets");
	if (rc == 0) {
		rc = tp_xml_foreach(tp_xml_root(doc), "Buckets/Bucket", add_bucket, l);
		tp_xml_text_buf(tp_xml_root(doc), "ContinuationToken", l->token, sizeof(l->token));
	}
	xmlFreeDoc(doc);
	tp_params_release(&q);
	tp_http_response_release(&resp);
	return rc;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l;
	int rc;

	(void)region;
	memset(&l, 0, sizeof(l));
	l.ctx = ctx;
	l.out = out;
	do
		rc = list_page(&l);
	while (rc == 0 && l.token[0]);
	return rc;
}

static int delete_bucket(tp_clean_ctx *ctx, const tp_resource *r)
{
	tp_rest_response resp = TP_REST_RESPONSE_INIT;
	tp_rest_request req;
	int rc;

	memset(&req, 0, sizeof(req));
	req.operation = "DeleteBucket";
	req.method = "DELETE";
	req.bucket = r->id;
	req.path = "/";
	rc = tp_aws_rest(ctx->client, &resp, "s3", r->region, &req);
	tp_http_response_release(&resp);
	return rc;
}

static int remove_bucket(tp_clean_ctx *ctx, const tp_resource *r)
{
	tp_s3_empty_opts opts = TP_S3_EMPTY_OPTS_INIT;
	int rc;

	opts.parallel = ctx->parallel;
	opts.deadline_ms = ctx->deadline_ms;
	rc = tp_s3_empty_bucket(ctx->client, r->region, r->id, &opts, NULL);
	if (rc == 0)
		rc = delete_bucket(ctx, r);
	return rc;
}

const tp_resource_type tp_type_s3_bucket = {
	.name = "S3Bucket",
	.global = 1,
	.list = list,
	.remove = remove_bucket,
};
