/*
 * The service table (from botocore's service-2.json metadata) and endpoint
 * resolution. Adding a service is one row.
 */
#include "aws/service.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"

#define Q(name, env, ver, prefix) \
	{ name, env, TP_PROTO_QUERY, ver, NULL, NULL, name, prefix, NULL, NULL }
#define J(name, env, target, jv, sign, prefix) \
	{ name, env, TP_PROTO_JSON, NULL, target, jv, sign, prefix, NULL, NULL }
#define RJ(name, env, ver, sign, prefix) \
	{ name, env, TP_PROTO_REST_JSON, ver, NULL, NULL, sign, prefix, NULL, NULL }

static const tp_service services[] = {
	Q("sts", "STS", "2011-06-15", "sts"),
	{ "iam", "IAM", TP_PROTO_QUERY, "2010-05-08", NULL, NULL, "iam", "iam",
	  "iam.amazonaws.com", "us-east-1" },
	Q("cloudformation", "CLOUDFORMATION", "2010-05-15", "cloudformation"),
	Q("sns", "SNS", "2010-03-31", "sns"),
	{ "cloudwatch", "CLOUDWATCH", TP_PROTO_QUERY, "2010-08-01", NULL, NULL,
	  "monitoring", "monitoring", NULL, NULL },
	{ "ec2", "EC2", TP_PROTO_EC2, "2016-11-15", NULL, NULL, "ec2", "ec2", NULL, NULL },
	J("dynamodb", "DYNAMODB", "DynamoDB_20120810", "1.0", "dynamodb", "dynamodb"),
	{ "organizations", "ORGANIZATIONS", TP_PROTO_JSON, NULL,
	  "AWSOrganizationsV20161128", "1.1", "organizations", "organizations",
	  "organizations.us-east-1.amazonaws.com", "us-east-1" },
	J("logs", "CLOUDWATCH_LOGS", "Logs_20140328", "1.1", "logs", "logs"),
	J("sqs", "SQS", "AmazonSQS", "1.0", "sqs", "sqs"),
	J("resourcegroupstaggingapi", "RESOURCE_GROUPS_TAGGING_API",
	  "ResourceGroupsTaggingAPI_20170126", "1.1", "tagging", "tagging"),
	J("events", "EVENTBRIDGE", "AWSEvents", "1.1", "events", "events"),
	J("stepfunctions", "SFN", "AWSStepFunctions", "1.0", "states", "states"),
	J("kinesis", "KINESIS", "Kinesis_20131202", "1.1", "kinesis", "kinesis"),
	J("firehose", "FIREHOSE", "Firehose_20150804", "1.1", "firehose", "firehose"),
	J("secretsmanager", "SECRETS_MANAGER", "secretsmanager", "1.1",
	  "secretsmanager", "secretsmanager"),
	J("ssm", "SSM", "AmazonSSM", "1.1", "ssm", "ssm"),
	J("kms", "KMS", "TrentService", "1.1", "kms", "kms"),
	J("ecr", "ECR", "AmazonEC2ContainerRegistry_V20150921", "1.1", "ecr", "api.ecr"),
	J("cognito-idp", "COGNITO_IDENTITY_PROVIDER",
	  "AWSCognitoIdentityProviderService", "1.1", "cognito-idp", "cognito-idp"),
	{ "s3", "S3", TP_PROTO_REST_XML, "2006-03-01", NULL, NULL, "s3", "s3", NULL, NULL },
	RJ("lambda", "LAMBDA", "2015-03-31", "lambda", "lambda"),
	RJ("apigateway", "API_GATEWAY", "2015-07-09", "apigateway", "apigateway"),
	RJ("apigatewayv2", "APIGATEWAYV2", "2018-11-29", "apigateway", "apigateway"),
};

static const tp_service *all[TP_ARRAY_SIZE(services) + 1];
static pthread_once_t all_once = PTHREAD_ONCE_INIT;

static void fill_all(void)
{
	size_t i;

	for (i = 0; i < TP_ARRAY_SIZE(services); i++)
		all[i] = &services[i];
}

const tp_service *tp_service_find(const char *name)
{
	size_t i;

	for (i = 0; i < TP_ARRAY_SIZE(services); i++)
		if (strcmp(services[i].name, name) == 0)
			return &services[i];
	return NULL;
}

const tp_service *const *tp_service_all(void)
{
	pthread_once(&all_once, fill_all);
	return all;
}

/* Split "scheme://host[:port][/path]" into url (no trailing '/') and host. */
static int parse_url(tp_endpoint *out, const char *url, const char *from)
{
	const char *hs = strstr(url, "://"), *he;
	size_t ulen = strlen(url);

	if (!hs || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		goto bad;
	hs += 3;
	he = hs + strcspn(hs, "/?#");
	if (he == hs || *he == '?' || *he == '#')
		goto bad;
	while (ulen > 0 && url[ulen - 1] == '/')
		ulen--;
	if (ulen >= sizeof(out->url) || (size_t)(he - hs) >= sizeof(out->host))
		goto bad;
	memcpy(out->url, url, ulen);
	out->url[ulen] = '\0';
	memcpy(out->host, hs, (size_t)(he - hs));
	out->host[he - hs] = '\0';
	return 0;
bad:
	return tp_error_set(TP_EINVAL, "%s: invalid endpoint URL '%s' (expected http(s)://host[:port])",
			    from, url);
}

static const char *env_override(const tp_service *svc, char *name, size_t size)
{
	const char *v;

	snprintf(name, size, "AWS_ENDPOINT_URL_%s", svc->env_name);
	v = getenv(name);
	if (v && *v)
		return v;
	snprintf(name, size, "AWS_ENDPOINT_URL");
	v = getenv(name);
	return v && *v ? v : NULL;
}

int tp_endpoint_resolve(tp_endpoint *out, const tp_service *svc, const char *region,
			const char *override)
{
	char from[128] = "endpoint override";
	const char *url = override;

	memset(out, 0, sizeof(*out));
	tp_strlcpy(out->signing_region, svc->global_region ? svc->global_region : region,
		   sizeof(out->signing_region));
	if (!url)
		url = env_override(svc, from, sizeof(from));
	if (url) {
		out->overridden = 1;
		return parse_url(out, url, from);
	}
	if (svc->global_host)
		snprintf(out->host, sizeof(out->host), "%s", svc->global_host);
	else
		snprintf(out->host, sizeof(out->host), "%s.%s.amazonaws.com",
			 svc->endpoint_prefix, region);
	snprintf(out->url, sizeof(out->url), "https://%s", out->host);
	return 0;
}
