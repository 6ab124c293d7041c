/*
 * The real CloudFormation table of runner/deploy_ops.h: one tp_cfn_account
 * per pool account (its own client with that account's credentials), calls
 * over aws/client's query protocol, templates to the account's artifacts
 * bucket over S3 REST, command stacks run by runner/deploy_command.c.
 *
 * Every HTTP attempt is reported to a shared tp_deploy_calls
 * (runner/deploy_calls.h): counts by operation and, when asked for, the
 * API-call log.
 *
 * Thread safety: any number of worker threads may call the table for the
 * same account at once (the client is thread-safe; the bucket-created flag
 * is atomic).
 */
#ifndef TP_DEPLOY_CFN_H
#define TP_DEPLOY_CFN_H

#include <libxml/tree.h>

#include "aws/client.h"
#include "aws/creds.h"
#include "runner/deploy_calls.h"
#include "runner/deploy_ops.h"

extern const tp_cfn_ops tp_cfn_aws_ops;

typedef struct tp_cfn_account tp_cfn_account;

typedef struct tp_cfn_account_opts {
	const char *account;          /* 12 digits */
	const char *region;           /* where the stacks are */
	tp_cred_provider *creds;      /* the account's credentials; taken over */
	const char *endpoint_url;     /* override for every service; NULL = AWS_ENDPOINT_URL* */
	const char *project;          /* TIDEPOOL_PROJECT for commands */
	const char *project_dir;      /* commands' working directory */
	const char *log_dir;          /* commands' output: LOG_DIR/ACCOUNT/STACK.log; NULL = discard */
	tp_deploy_calls *calls;       /* borrowed (outlives the account), or NULL */
	int max_attempts;             /* per call, the client's retries; 0 = the client's default */
	int64_t retry_base_ms;        /* 0 = the client's default */
} tp_cfn_account_opts;

#define TP_CFN_ACCOUNT_OPTS_INIT { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0 }

/*
 * A new account handle (pass it as the driver's `account` for this
 * account's deployments). On error (the client could not be made) returns
 * <0 with the error set; opts->creds is freed then too.
 */
int tp_cfn_account_new(tp_cfn_account **out, const tp_cfn_account_opts *opts);

/* NULL is a no-op. */
void tp_cfn_account_free(tp_cfn_account *a);

tp_aws_client *tp_cfn_account_client(tp_cfn_account *a);

/*
 * Parsers of the query-protocol responses, exposed for tests (they feed
 * the state machine AWS-shaped documents through them). Each fills `out`
 * and returns 0, or TP_EAWS when the document is not the expected one.
 */
int tp_cfn_parse_describe_stacks(tp_cfn_result *out, xmlDocPtr doc);
int tp_cfn_parse_stack_events(tp_cfn_result *out, xmlDocPtr doc);
int tp_cfn_parse_stack_id(tp_cfn_result *out, xmlDocPtr doc);

/* Fill out->rc, aws_code, message and request_id from the calling thread's error. */
int tp_cfn_result_from_error(tp_cfn_result *out, int rc);

/* The TemplateURL of bucket/key: virtual-hosted on AWS, path-style on an override. */
char *tp_cfn_template_url(const char *bucket, const char *region, const char *key,
			  const char *endpoint_url);

#endif
