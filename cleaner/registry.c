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
	&tp_type_sqs_queue,
	&tp_type_dynamodb_table,
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
