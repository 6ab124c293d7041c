/*
 * The registry: every resource type, one row each. The order is stable
 * (output and tests depend on it) and roughly the order a human would
 * delete in; the nuke loop orders by waits_for, not by this table.
 */
#include <string.h>

#include "cleaner/resource.h"
#include "cleaner/types.h"

static const tp_resource_type *const types[] = {
	&tp_type_cloudformation_stack,
	&tp_type_s3_bucket,
	&tp_type_lambda_event_source_mapping,
	&tp_type_lambda_function,
	&tp_type_lambda_layer_version,
	&tp_type_apigateway_rest_api,
	&tp_type_apigateway_v2_api,
	&tp_type_stepfunctions_state_machine,
	&tp_type_eventbridge_rule,
	&tp_type_eventbridge_bus,
	&tp_type_sns_subscription,
	&tp_type_sns_topic,
	&tp_type_sqs_queue,
	&tp_type_dynamodb_table,
	&tp_type_kinesis_stream,
	&tp_type_firehose_delivery_stream,
	&tp_type_cloudwatch_alarm,
	&tp_type_cloudwatch_log_group,
	&tp_type_secretsmanager_secret,
	&tp_type_ssm_parameter,
	&tp_type_ecr_repository,
	&tp_type_cognito_user_pool,
	&tp_type_kms_alias,
	&tp_type_kms_key,
	&tp_type_ec2_security_group,
	&tp_type_ec2_vpc,
	&tp_type_iam_instance_profile,
	&tp_type_iam_role,
	&tp_type_iam_user,
	&tp_type_iam_policy,
	NULL
};

const tp_resource_type *const *tp_resource_types(void)
{
	return types;
}

const tp_resource_type *tp_resource_type_find(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; types[i]; i++)
		if (strcmp(types[i]->name, name) == 0)
			return types[i];
	return NULL;
}
