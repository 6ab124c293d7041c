"""A short suite for bench/load: a few AWS calls with boto3 in the leased account.

It checks it runs in the account tidepool leased (STS), sends a message to
the stack's queue and reads one back, leaves a queue of its own for the
cleaner to delete, and writes one JUnit test case. About 0.3 s of CPU,
nearly all of it Python and boto3 starting up.
"""
import os
import sys

import boto3


def main():
    suite = os.environ["TIDEPOOL_SUITE"]
    session = boto3.session.Session()
    account = session.client("sts").get_caller_identity()["Account"]
    if account != os.environ["TIDEPOOL_ACCOUNT_ID"]:
        print("wrong account: %s, leased %s" % (account, os.environ["TIDEPOOL_ACCOUNT_ID"]))
        return 1
    sqs = session.client("sqs")
    queue = os.environ["TIDEPOOL_OUTPUT_QUEUE_QUEUEURL"]
    sqs.send_message(QueueUrl=queue, MessageBody=suite)
    got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1).get("Messages", [])
    if not got:
        print("no message in %s" % queue)
        return 1
    sqs.create_queue(QueueName="left-by-" + suite)
    with open(os.environ["TIDEPOOL_JUNIT"], "w") as f:
        f.write('<testsuite name="%s" tests="1"><testcase classname="load" name="round trip"/>'
                "</testsuite>\n" % suite)
    print("PASS %s in %s" % (suite, account))
    return 0


if __name__ == "__main__":
    sys.exit(main())
