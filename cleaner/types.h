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
extern const tp_resource_type tp_type_sqs_queue;
extern const tp_resource_type tp_type_dynamodb_table;

#endif
