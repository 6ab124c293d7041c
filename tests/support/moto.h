/*
 * The local AWS for integration tests: tp_local (aws/local.h) with a test
 * failure, not a skip, when moto is missing.
 */
#ifndef TP_TEST_MOTO_H
#define TP_TEST_MOTO_H

#include "aws/client.h"
#include "aws/local.h"

/*
 * Start moto (auth: signature checking; accounts: organization members).
 * Fails the current test with a message saying how to install moto.
 */
tp_local *tp_test_moto_start(int auth, int accounts);

/* A client for the local AWS with its keys (max_attempts 1 unless given). */
tp_aws_client *tp_test_moto_client(const tp_local *l, int max_attempts);

/*
 * A client in member `account` of the local AWS, through AssumeRole of
 * OrganizationAccountAccessRole there with session name `session` (3
 * attempts); `keep` (may be NULL) gets the assumed role's keys.
 */
tp_aws_client *tp_test_moto_client_in(const tp_local *l, const char *account, const char *session,
				      tp_creds *keep);

/*
 * The marker queue (SQS "tidepool-marker") in member `account`: create it
 * (create; a failure fails the test), or say whether it is there (1/0).
 * Tests of the cleaner use it to see what was deleted.
 */
int tp_test_marker_queue(const tp_local *l, const char *account, int create);

#endif
