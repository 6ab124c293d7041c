/*
 * Calls resource types make over and over: one call whose answer is not
 * needed, and "every item of a paginated listing".
 */
#ifndef TP_CLEANER_CALLS_H
#define TP_CLEANER_CALLS_H

#include <jansson.h>
#include <libxml/tree.h>

#include "aws/client.h"

/* A query/EC2 action whose answer is dropped. Releases `p` (may be NULL). */
int tp_call_query(tp_aws_client *c, const char *service, const char *region,
		  const char *action, tp_params *p);

/* A JSON operation whose answer is dropped. Takes `body` (may be NULL). */
int tp_call_json(tp_aws_client *c, const char *service, const char *region,
		 const char *operation, json_t *body);

/*
 * Every element at `item_path` ("ListRolesResult/Roles/member",
 * "securityGroupInfo/item") of every page of a query/EC2 action, paginated
 * by in_key/out_key as in tp_aws_query_paginate. `fn` returning non-zero
 * stops with that value. `p` is borrowed.
 */
int tp_each_query(tp_aws_client *c, const char *service, const char *region,
		  const char *action, const tp_params *p, const char *in_key,
		  const char *out_key, const char *item_path,
		  int (*fn)(void *arg, xmlNodePtr item), void *arg);

/*
 * Every element of the array `array_key` of every page of a JSON
 * operation (body borrowed). `fn` returning non-zero stops with that value.
 */
int tp_each_json(tp_aws_client *c, const char *service, const char *region,
		 const char *operation, json_t *body, const char *in_key,
		 const char *out_key, const char *array_key,
		 int (*fn)(void *arg, json_t *item), void *arg);

/*
 * Every element of `array_key` of every page of a REST-JSON GET of `path`
 * (Lambda, API Gateway): `query` (borrowed, may be NULL) plus in_key =
 * the token read from out_key of the previous page.
 */
int tp_each_rest_json(tp_aws_client *c, const char *service, const char *region,
		      const char *operation, const char *path, const tp_params *query,
		      const char *in_key, const char *out_key, const char *array_key,
		      int (*fn)(void *arg, json_t *item), void *arg);

/*
 * Every name in `names_key` of every page of a JSON listing paged by the
 * last name (Kinesis's ListStreams, Firehose's ListDeliveryStreams): the
 * next page starts at `start_key` = the last name while `more_key` is
 * true. `fn` gets each name, its page and its index there (for arrays
 * that run alongside); non-zero stops with that value. Takes `body`.
 */
int tp_each_json_name(tp_aws_client *c, const char *service, const char *region,
		      const char *operation, json_t *body, const char *names_key,
		      const char *start_key, const char *more_key,
		      int (*fn)(void *arg, const char *name, json_t *page, size_t i), void *arg);

/*
 * A type's gone() from looking the resource up: 1 when it was not found
 * (the error cleared), `rc` when the lookup failed, 0 while it is there.
 */
int tp_gone_result(int rc);

#endif
