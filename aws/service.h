/*
 * The services tidepool speaks to: one table row each (protocol, API version,
 * JSON target prefix, signing name, endpoint rules), and endpoint
 * resolution:
 *   - a client's explicit override, then AWS_ENDPOINT_URL_<SERVICE>
 *     (e.g. AWS_ENDPOINT_URL_DYNAMODB), then AWS_ENDPOINT_URL (the SDKs'
 *     order);
 *   - global services (IAM, Organizations) at their global host, signed for
 *     us-east-1;
 *   - everything else at https://{prefix}.{region}.amazonaws.com.
 */
#ifndef TP_SERVICE_H
#define TP_SERVICE_H

typedef enum tp_protocol {
	TP_PROTO_QUERY,      /* STS, IAM, CloudFormation, SNS, CloudWatch */
	TP_PROTO_EC2,        /* query requests, EC2-shaped XML responses */
	TP_PROTO_JSON,       /* JSON 1.0 / 1.1 with X-Amz-Target */
	TP_PROTO_REST_XML,   /* S3 */
	TP_PROTO_REST_JSON   /* Lambda, API Gateway */
} tp_protocol;

typedef struct tp_service {
	const char *name;          /* our key and botocore's: "sts", "dynamodb", "s3" */
	const char *env_name;      /* suffix of AWS_ENDPOINT_URL_<X>: "STS", "DYNAMODB" */
	tp_protocol protocol;
	const char *api_version;   /* query/EC2: Version=; rest: informational */
	const char *target_prefix; /* JSON: "DynamoDB_20120810" */
	const char *json_version;  /* JSON: "1.0" or "1.1" */
	const char *signing_name;  /* SigV4 service name: "sts", "apigateway", "states" */
	const char *endpoint_prefix; /* host prefix: "sts", "monitoring", "states" */
	const char *global_host;   /* non-NULL for global services: "iam.amazonaws.com" */
	const char *global_region; /* signing region of a global service */
} tp_service;

/* The row for `name`, or NULL (no error set). */
const tp_service *tp_service_find(const char *name);

/* Every row, NULL-terminated (tests, --help of nuke). */
const tp_service *const *tp_service_all(void);

typedef struct tp_endpoint {
	char url[512];          /* scheme://host[:port][/base path], no trailing '/' */
	char host[256];         /* Host header value (with port when not default) */
	char signing_region[64];
	int overridden;         /* from an override: S3 uses path-style then */
} tp_endpoint;

/*
 * Resolve the endpoint of `svc` in `region`. `override` (may be NULL) is a
 * client's explicit URL and wins over the environment. Returns 0, or -1
 * with TP_EINVAL for a malformed override URL (the variable is named).
 */
int tp_endpoint_resolve(tp_endpoint *out, const tp_service *svc, const char *region,
			const char *override);

#endif
