/* The lease a command names (see lease_ref.h). */
#include "runner/lease_ref.h"

#include <stdlib.h>

#include "aws/error.h"
#include "aws/util.h"
#include "runner/project.h"

static int parse_token(const char *s, int64_t *out)
{
	long v;

	if (tp_parse_long(s, &v) < 0 || v < 1)
		return tp_error_set(TP_EINVAL, "--token: '%s' is not a lease token (a positive "
				    "number, as printed by tidepool claim)", s);
	*out = v;
	return 0;
}

int tp_lease_ref_token(int64_t *token, tp_pool *pool, const tp_lease_ref *ref)
{
	char *owner;
	int rc;

	if (tp_pool_check_id(pool, ref->account) < 0)
		return TP_EINVAL;
	if (ref->token)
		return parse_token(ref->token, token);
	owner = ref->owner ? tp_xstrdup(ref->owner) : tp_project_default_owner();
	rc = tp_pool_owner_token(pool, token, ref->account, owner);
	free(owner);
	return rc;
}
