/*
 * ECRRepository: repositories of a region's private registry, tags from
 * ListTagsForResource. DeleteRepository with force: the images go with
 * the repository.
 */
#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/calls.h"
#include "cleaner/fields.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

#define SVC "ecr"

typedef struct lister {
	tp_clean_ctx *ctx;
	const char *region;
	tp_resource_list *out;
} lister;

static int add_repository(void *arg, json_t *repo)
{
	lister *l = arg;
	const char *name = tp_jstr(repo, "repositoryName"), *arn = tp_jstr(repo, "repositoryArn");
	tp_resource *r;

	if (!name || !arn)
		return 0;
	r = tp_resource_new(&tp_type_ecr_repository, l->region, name);
	tp_resource_set_arn(r, arn);
	r->created = tp_jtime(repo, "createdAt");
	tp_tags_add(l->out, r, tp_tags_json_arn(l->ctx->client, SVC, l->region,
						"resourceArn", "tags", r));
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out };
	json_t *body = json_pack("{s:i}", "maxResults", 1000);
	int rc;

	rc = tp_each_json(ctx->client, SVC, region, "DescribeRepositories", body, "nextToken",
			  "nextToken", "repositories", add_repository, &l);
	json_decref(body);
	return rc;
}

static int remove_repository(tp_clean_ctx *ctx, const tp_resource *r)
{
	return tp_call_json(ctx->client, SVC, r->region, "DeleteRepository",
			    json_pack("{s:s, s:b}", "repositoryName", r->id, "force", 1));
}

const tp_resource_type tp_type_ecr_repository = {
	.name = "ECRRepository",
	.list = list,
	.remove = remove_repository,
};
