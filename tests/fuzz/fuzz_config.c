/*
 * Fuzz the tidepool.yaml loader: any bytes must either load, or fail with a
 * message that starts "fuzz/tidepool.yaml:LINE:COLUMN: " (the loader's
 * promise that every error names its position). A loaded config must be
 * self-consistent: its stacks and suites are found by name, and the type
 * check runs over every rule.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "suites/config.h"
#include "tests/fuzz/fuzz.h"

#define NAME "fuzz/tidepool.yaml"

static const char *const types[] = { "S3Bucket", "IAMRole", "LambdaFunction", "EC2Instance" };

static int known_type(const char *type)
{
	return type[0] == 'S' || type[0] == 'I';
}

/* "NAME:" digits ":" digits ": " */
static int positioned(const char *msg)
{
	const char *p = msg + strlen(NAME ":");
	int part;

	if (strncmp(msg, NAME ":", strlen(NAME ":")))
		return 0;
	for (part = 0; part < 2; part++) {
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p++ != ':')
			return 0;
	}
	return *p == ' ';
}

static void check_loaded(const tp_config *c)
{
	size_t i;

	for (i = 0; i < c->n_stacks; i++)
		if (tp_config_find_stack(c, c->stacks[i].name) != &c->stacks[i])
			abort();
	for (i = 0; i < c->n_suites; i++)
		if (tp_config_find_suite(c, c->suites[i].name) != &c->suites[i])
			abort();
	if (!c->regions.n || !c->pool.store_target || c->pool.lease_ttl <= 0)
		abort();
	if (tp_config_validate_types(c, known_type, types, 4) < 0 &&
	    !positioned(tp_error_last()->msg))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tp_config *c = NULL;

	if (tp_config_parse(&c, NAME, (const char *)data, size) < 0) {
		if (c || !positioned(tp_error_last()->msg))
			abort();
		return 0;
	}
	check_loaded(c);
	tp_config_free(c);
	return 0;
}
