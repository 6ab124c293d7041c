/*
 * Every resource type of the registry (cleaner/registry.c), one per
 * cleaner/type_<name>.c. Filters and the nuke loop reach them through
 * tp_resource_types() / tp_resource_type_find(); tests may name them here.
 */
#ifndef TP_CLEANER_TYPES_H
#define TP_CLEANER_TYPES_H

#include "cleaner/resource.h"

extern const tp_resource_type tp_type_cloudformation_stack;
extern const tp_resource_type tp_type_s3_bucket;
extern const tp_resource_type tp_type_lambda_function;
extern const tp_resource_type tp_type_lambda_layer_version;
extern const tp_resource_type tp_type_lambda_event_source_mapping;
extern const tp_resource_type tp_type_dynamodb_table;
extern const tp_resource_type tp_type_sqs_queue;
extern const tp_resource_type tp_type_sns_topic;
extern const tp_resource_type tp_type_sns_subscription;
extern const tp_resource_type tp_type_cloudwatch_log_group;
extern const tp_resource_type tp_type_cloudwatch_alarm;
extern const tp_resource_type tp_type_eventbridge_rule;
extern const tp_resource_type tp_type_eventbridge_bus;
extern const tp_resource_type tp_type_stepfunctions_state_machine;
extern const tp_resource_type tp_type_apigateway_rest_api;
extern const tp_resource_type tp_type_apigateway_v2_api;
extern const tp_resource_type tp_type_iam_role;
extern const tp_resource_type tp_type_iam_policy;
extern const tp_resource_type tp_type_iam_user;
extern const tp_resource_type tp_type_iam_instance_profile;
extern const tp_resource_type tp_type_kinesis_stream;
extern const tp_resource_type tp_type_firehose_delivery_stream;
extern const tp_resource_type tp_type_secretsmanager_secret;
extern const tp_resource_type tp_type_ssm_parameter;
extern const tp_resource_type tp_type_kms_key;
extern const tp_resource_type tp_type_kms_alias;
extern const tp_resource_type tp_type_ecr_repository;
extern const tp_resource_type tp_type_cognito_user_pool;
extern const tp_resource_type tp_type_ec2_security_group;
extern const tp_resource_type tp_type_ec2_vpc;

#endif
