#include "tests/support/moto.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "aws/error.h"

tp_local *tp_test_moto_start(int auth, int accounts)
{
	tp_local_opts o = TP_LOCAL_OPTS_INIT;
	tp_local *l = NULL;
	char msg[4096];

	o.auth = auth;
	o.accounts = accounts;
	if (tp_local_start(&l, &o) < 0) {
		tp_error_format(tp_error_last(), msg, sizeof(msg));
		fail_msg("cannot start the local AWS (moto): %s", msg);
	}
	return l;
}

tp_aws_client *tp_test_moto_client(const tp_local *l, int max_attempts)
{
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;
	tp_aws_client *c = NULL;

	o.region = "us-east-1";
	o.endpoint_url = tp_local_endpoint(l);
	o.creds = tp_local_creds(l);
	o.max_attempts = max_attempts > 0 ? max_attempts : 1;
	if (tp_aws_client_new(&c, &o) < 0)
		fail_msg("tp_aws_client_new: %s", tp_error_last()->msg);
	return c;
}
