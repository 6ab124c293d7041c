/*
 * The AWS client: one per (credentials, default region). It resolves the
 * endpoint, serialises the request for the service's protocol, signs it
 * (SigV4), sends it over aws/http, retries per aws/retry and parses every
 * error into HTTP status, AWS code, message and request id (tp_error_last).
 *
 * A client is thread-safe: any number of threads may call through one
 * client at once (credentials come through a thread-safe cached provider,
 * the retry bucket and counters are atomic).
 *
 * Error returns of every call:
 *   TP_EAWS       AWS answered with an error (aws_code / request_id set);
 *   TP_ENOTFOUND  same, when the code says the thing does not exist
 *                 (NoSuchBucket, ResourceNotFoundException, ...);
 *   TP_ETHROTTLED throttled on every attempt;
 *   TP_EAUTH      no credentials, or AWS rejected the signature/keys;
 *   TP_ENET / TP_ETIMEOUT  transport failures after retries (URL + reason).
 */
#ifndef TP_CLIENT_H
#define TP_CLIENT_H

#include <stdint.h>

#include <jansson.h>
#include <libxml/tree.h>

#include "aws/buf.h"
#include "aws/creds.h"
#include "aws/http.h"
#include "aws/retry.h"
#include "aws/service.h"
#include "aws/sigv4.h"

typedef struct tp_aws_client tp_aws_client;

/* One attempt, as seen by an observer (API-call logs, fault tests, reports). */
typedef struct tp_aws_call_info {
	const char *service;       /* "cloudformation" */
	const char *operation;     /* "CreateStack"; for REST: the caller's op name */
	const char *region;
	int attempt;               /* 1-based */
	long http_status;          /* 0 when no response */
	const char *aws_code;      /* "" on success */
	int64_t start_ms, end_ms;  /* tp_now_ms() */
} tp_aws_call_info;

typedef void (*tp_aws_observer)(void *ctx, const tp_aws_call_info *info);

typedef struct tp_aws_client_opts {
	const char *region;            /* default region; NULL = AWS_REGION / AWS_DEFAULT_REGION / profile region / us-east-1 */
	tp_cred_provider *creds;       /* taken over by the client; NULL = default chain */
	int anonymous;                 /* send unsigned (STS AssumeRoleWithWebIdentity) */
	const char *endpoint_url;      /* explicit override for every service; NULL = env */
	int max_attempts;              /* 0 = AWS_MAX_ATTEMPTS or 3 */
	int64_t retry_base_ms;         /* 0 = 1000 (tests use less) */
	int64_t retry_cap_ms;          /* 0 = 20000 */
	long connect_timeout_ms;       /* 0 = 10 s */
	long timeout_ms;               /* 0 = 120 s */
	tp_retry_bucket *bucket;       /* shared bucket (borrowed); NULL = the client's own */
	tp_aws_observer observer;      /* called after every attempt, from the calling thread */
	void *observer_ctx;
} tp_aws_client_opts;

#define TP_AWS_CLIENT_OPTS_INIT { 0 }

int tp_aws_client_new(tp_aws_client **out, const tp_aws_client_opts *opts);
void tp_aws_client_free(tp_aws_client *c);

const char *tp_aws_client_region(const tp_aws_client *c);
tp_cred_provider *tp_aws_client_creds(tp_aws_client *c);

typedef struct tp_aws_stats {
	uint64_t calls;        /* logical calls */
	uint64_t attempts;     /* HTTP attempts */
	uint64_t retries;      /* attempts - calls, by cause below */
	uint64_t throttled;
	uint64_t transient;
	uint64_t timeouts;
	uint64_t quota_refused;  /* retryable failures not retried: the retry bucket was empty */
} tp_aws_stats;

void tp_aws_client_stats(const tp_aws_client *c, tp_aws_stats *out);

/*
 * The same counters summed over every client of this process since it
 * started, freed clients included (a run's report: tidepool makes many
 * short-lived clients, one per account, per AssumeRole, per cleaner).
 */
void tp_aws_stats_process(tp_aws_stats *out);

/* a - b, field by field (the counters of a stretch of time). */
void tp_aws_stats_sub(tp_aws_stats *out, const tp_aws_stats *a, const tp_aws_stats *b);

/* ---- query / EC2 protocol -------------------------------------------- */

/* An ordered list of request parameters ("Tags.member.1.Key" = "x"). */
typedef struct tp_params {
	char **keys;
	char **values;
	size_t n, alloc;
} tp_params;

#define TP_PARAMS_INIT { NULL, NULL, 0, 0 }

void tp_params_add(tp_params *p, const char *key, const char *value);
void tp_params_addf(tp_params *p, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tp_params_release(tp_params *p);

/*
 * Call a query-protocol (or EC2) action. `region` NULL = the client's. On
 * success *out is the parsed response document (caller frees with
 * xmlFreeDoc); use aws/xml.h to read it.
 */
int tp_aws_query(tp_aws_client *c, xmlDocPtr *out, const char *service,
		 const char *region, const char *action, const tp_params *params);

/* ---- JSON protocol ---------------------------------------------------- */

/*
 * Call a JSON-protocol operation ("PutItem" for dynamodb). `body` is
 * borrowed (NULL = {}). On success *out is the response object (new
 * reference; {} for an empty body).
 */
int tp_aws_json(tp_aws_client *c, json_t **out, const char *service,
		const char *region, const char *operation, json_t *body);

/* ---- REST protocols (S3, Lambda, API Gateway) -------------------------- */

typedef struct tp_rest_request {
	const char *operation;     /* for observers and messages: "PutObject" */
	const char *method;
	const char *bucket;        /* S3: bucket name (virtual-host or path style) */
	const char *path;          /* already percent-encoded, starting with '/' */
	const tp_params *query;    /* encoded and appended; may be NULL */
	const tp_header *headers;  /* extra headers; may be NULL */
	size_t nheaders;
	const void *body;
	size_t body_len;
	const char *content_type;  /* NULL = none, or application/json for REST-JSON with a body */
} tp_rest_request;

/* A REST response is the raw HTTP response (status, body, headers). */
typedef tp_http_response tp_rest_response;

#define TP_REST_RESPONSE_INIT TP_HTTP_RESPONSE_INIT

/*
 * Send a REST request. 2xx returns 0 with the raw response; anything else
 * is parsed (XML for S3, JSON for REST-JSON) into the error state.
 */
int tp_aws_rest(tp_aws_client *c, tp_rest_response *out, const char *service,
		const char *region, const tp_rest_request *req);

/* REST-JSON convenience: body/response as JSON (response {} when empty). */
int tp_aws_rest_json(tp_aws_client *c, json_t **out, const char *service,
		     const char *region, const char *operation, const char *method,
		     const char *path, const tp_params *query, json_t *body);

/* Headers of a REST response: tp_http_header(); release: tp_http_response_release(). */

/* ---- pagination -------------------------------------------------------- */

/*
 * Pages of a JSON operation: calls `operation` with `body` (borrowed; a copy
 * gets `in_key` = the token), hands every page to `page` (borrowed
 * reference), and follows `out_key` until it is absent or empty. `page`
 * returning non-zero stops with that value.
 */
int tp_aws_json_paginate(tp_aws_client *c, const char *service, const char *region,
			 const char *operation, json_t *body, const char *in_key,
			 const char *out_key,
			 int (*page)(void *ctx, json_t *resp), void *ctx);

/*
 * Pages of a query operation: `params` plus `in_key` = token; the token is
 * read from the result element's child `out_key` (e.g. "NextToken",
 * "Marker" with IsTruncated). `page` gets each document (borrowed).
 */
int tp_aws_query_paginate(tp_aws_client *c, const char *service, const char *region,
			  const char *action, const tp_params *params,
			  const char *in_key, const char *out_key,
			  int (*page)(void *ctx, xmlDocPtr doc), void *ctx);

/* Percent-encode a path segment (S3 keys keep '/'). */
void tp_aws_uri_escape(tp_buf *out, const char *s, int keep_slash);

#endif
