/*
 * The deployer's view of the cloud: the calls the per-stack state machine
 * (runner/deploy_sm.h) asks for, their parsed results, and the table of
 * functions that performs them (a registry entry, like a lease store
 * backend). runner/deploy_cfn.c is the real table over aws/client; tests
 * and the simulation of bench/sim bring their own.
 *
 * Results are already parsed: a state machine never sees XML or HTTP. An
 * implementation maps its protocol onto `rc` and the AWS error code and
 * message exactly as CloudFormation reports them (see the rules under
 * tp_cfn_result), so the state machine's decisions are the same for every
 * table.
 */
#ifndef TP_DEPLOY_OPS_H
#define TP_DEPLOY_OPS_H

#include <stddef.h>

/* A key and a value (parameters, tags, outputs, environment). */
typedef struct tp_kv {
	char *key;
	char *value;
} tp_kv;

/* A growable list of owned pairs. */
typedef struct tp_kv_list {
	tp_kv *items;
	size_t n, alloc;
} tp_kv_list;

#define TP_KV_LIST_INIT { NULL, 0, 0 }

void tp_kv_list_add(tp_kv_list *l, const char *key, const char *value);   /* copies both */
const char *tp_kv_list_get(const tp_kv_list *l, const char *key);         /* NULL when absent */
void tp_kv_list_copy(tp_kv_list *dst, const tp_kv *items, size_t n);      /* appends copies */
void tp_kv_list_release(tp_kv_list *l);

typedef enum tp_cfn_op {
	TP_CFN_DESCRIBE_STACKS = 0,
	TP_CFN_CREATE_STACK,
	TP_CFN_UPDATE_STACK,
	TP_CFN_DELETE_STACK,
	TP_CFN_DESCRIBE_STACK_EVENTS,
	TP_CFN_PUT_TEMPLATE,     /* S3: the artifacts bucket (created when missing) */
	TP_CFN_RUN_COMMAND,      /* a command stack's command, in the account */
	TP_CFN_OP_COUNT
} tp_cfn_op;

/* "DescribeStacks", ..., "PutTemplate", "RunCommand". */
const char *tp_cfn_op_name(tp_cfn_op op);

/* Does this op count against the shared CloudFormation call rate? */
int tp_cfn_op_is_cloudformation(tp_cfn_op op);

/*
 * One call. Every pointer is borrowed from the state machine and valid
 * until its next event; an implementation copies what it keeps.
 */
typedef struct tp_cfn_request {
	tp_cfn_op op;
	const char *stack;              /* StackName: a name or a stack id */
	const char *stack_name;         /* always the name (for logs and commands) */
	/* CreateStack / UpdateStack */
	const char *template_body;      /* TemplateBody, or NULL when template_url */
	size_t template_len;
	const char *template_url;       /* TemplateURL, or NULL */
	const tp_kv *parameters;        /* Parameters.member.N */
	size_t nparameters;
	const char *const *capabilities;
	size_t ncapabilities;
	const tp_kv *tags;              /* every tag, tidepool:* included */
	size_t ntags;
	const char *client_request_token;   /* Create/Update/Delete */
	/* DescribeStackEvents */
	const char *next_token;         /* NULL for the first page */
	/* PutTemplate */
	const char *bucket;
	const char *key;
	/* RunCommand */
	const char *command;            /* for /bin/sh -c */
	const char *hash;               /* TIDEPOOL_STACK_HASH */
	const tp_kv *env;               /* more environment (dependencies' outputs) */
	size_t nenv;
} tp_cfn_request;

/* A stack as DescribeStacks shows it. */
typedef struct tp_cfn_stack {
	char *stack_id;
	char *stack_name;
	char *status;                   /* StackStatus: "CREATE_COMPLETE" */
	char *status_reason;            /* StackStatusReason, or NULL */
	tp_kv_list tags;
	tp_kv_list outputs;             /* OutputKey -> OutputValue */
} tp_cfn_stack;

/* One entry of DescribeStackEvents (newest first, as AWS lists them). */
typedef struct tp_cfn_event {
	char *event_id;
	char *stack_id;
	char *logical_id;               /* LogicalResourceId */
	char *physical_id;              /* PhysicalResourceId, or NULL */
	char *resource_type;            /* "AWS::DynamoDB::Table" */
	char *status;                   /* ResourceStatus */
	char *reason;                   /* ResourceStatusReason, or NULL */
	char *client_request_token;     /* or NULL */
	char *timestamp;                /* as sent: "2024-05-01T10:00:00.123Z" */
} tp_cfn_event;

/*
 * The result of one call. `rc` follows aws/client.h:
 *   0              success;
 *   TP_ENOTFOUND   the stack does not exist (CloudFormation says so with a
 *                  ValidationError "Stack with id X does not exist");
 *   TP_ETHROTTLED  throttled past the client's retries;
 *   TP_ENET / TP_ETIMEOUT   transport failures past the retries;
 *   TP_EAWS        any other AWS error: aws_code and message as sent
 *                  ("ValidationError", "No updates are to be performed."),
 *                  http_status (a 5xx is retried like throttling);
 *   TP_EAUTH, TP_ERROR      credentials, anything else (message says what).
 * For RUN_COMMAND, rc is 0 when the command ran (whatever its exit status)
 * and <0 when it could not be started.
 */
typedef struct tp_cfn_result {
	int rc;
	char *aws_code;                 /* NULL or "" when none */
	char *message;                  /* NULL on success */
	char *request_id;               /* when AWS sent one */
	long http_status;               /* of the last attempt when AWS answered, else 0 */
	/* DescribeStacks: has_stack when the stack was listed */
	int has_stack;
	tp_cfn_stack stack;
	/* CreateStack / UpdateStack: StackId */
	char *stack_id;
	/* DescribeStackEvents */
	tp_cfn_event *events;
	size_t nevents;
	char *next_token;
	/* PutTemplate: the TemplateURL to pass */
	char *template_url;
	/* RunCommand */
	int exit_status;                /* as a shell reports it: 128+N when killed by signal N */
	char *log_path;                 /* where its output went, or NULL */
} tp_cfn_result;

#define TP_CFN_RESULT_INIT { 0 }

void tp_cfn_result_release(tp_cfn_result *r);   /* contents; zeroed afterwards */

/* Set rc, aws_code and message (all copied); returns rc. */
int tp_cfn_result_error(tp_cfn_result *r, int rc, const char *aws_code, const char *message);

/* An event appended to r->events (returned zeroed; fill with owned strings). */
tp_cfn_event *tp_cfn_result_add_event(tp_cfn_result *r);

void tp_cfn_stack_release(tp_cfn_stack *s);
void tp_cfn_stack_copy(tp_cfn_stack *dst, const tp_cfn_stack *src);

/*
 * The table. `account` is the handle the driver was given for the
 * deployment (for the real table a tp_cfn_account, runner/deploy_cfn.h).
 * Each function fills `out` (zeroed by the caller) and returns out->rc.
 * Functions are called from the driver's worker threads, many at once,
 * for the same and for different accounts.
 */
typedef struct tp_cfn_ops {
	const char *name;
	int (*describe_stacks)(void *account, const tp_cfn_request *req, tp_cfn_result *out);
	int (*create_stack)(void *account, const tp_cfn_request *req, tp_cfn_result *out);
	int (*update_stack)(void *account, const tp_cfn_request *req, tp_cfn_result *out);
	int (*delete_stack)(void *account, const tp_cfn_request *req, tp_cfn_result *out);
	int (*describe_stack_events)(void *account, const tp_cfn_request *req,
				     tp_cfn_result *out);
	int (*put_template)(void *account, const tp_cfn_request *req, tp_cfn_result *out);
	int (*run_command)(void *account, const tp_cfn_request *req, tp_cfn_result *out);
} tp_cfn_ops;

/* Dispatch req->op to its function in `ops`. */
int tp_cfn_ops_call(const tp_cfn_ops *ops, void *account, const tp_cfn_request *req,
		    tp_cfn_result *out);

#endif
