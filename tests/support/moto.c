#include "tests/support/moto.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "aws/error.h"
#include "aws/sts.h"
#include "aws/util.h"

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

tp_aws_client *tp_test_moto_client_in(const tp_local *l, const char *account, const char *session,
				      tp_creds *keep)
{
	tp_aws_client *base = tp_test_moto_client(l, 3), *c = NULL;
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;
	tp_creds cr = TP_CREDS_INIT;
	char *arn = tp_xasprintf("arn:aws:iam::%s:role/OrganizationAccountAccessRole", account);

	if (tp_sts_assume_role(base, &cr, arn, session, NULL, 0) < 0)
		fail_msg("assume role in %s: %s", account, tp_error_last()->msg);
	o.region = "us-east-1";
	o.endpoint_url = tp_local_endpoint(l);
	o.max_attempts = 3;
	o.creds = tp_creds_static(cr.access_key_id, cr.secret_access_key, cr.session_token);
	if (tp_aws_client_new(&c, &o) < 0)
		fail_msg("tp_aws_client_new: %s", tp_error_last()->msg);
	if (keep)
		tp_creds_copy(keep, &cr);
	tp_creds_release(&cr);
	tp_aws_client_free(base);
	free(arn);
	return c;
}

int tp_test_marker_queue(const tp_local *l, const char *account, int create)
{
	tp_aws_client *c = tp_test_moto_client_in(l, account, "marker", NULL);
	json_t *req = json_pack("{s:s}", "QueueName", "tidepool-marker"), *resp = NULL;
	int rc;

	rc = tp_aws_json(c, &resp, "sqs", NULL, create ? "CreateQueue" : "GetQueueUrl", req);
	if (rc < 0 && create)
		fail_msg("marker queue in %s: %s", account, tp_error_last()->msg);
	json_decref(resp);
	json_decref(req);
	tp_aws_client_free(c);
	return rc == 0;
}
