"""Dead letters in batches, as an operator's redrive tool handles them: ten
messages parked in the dead-letter queue in one call are each read back
exactly once (nothing else consumes that queue; the orders queue itself is
the worker's)."""
import os

import boto3

from lib.tpjunit import main, need

(DLQ,) = need("TIDEPOOL_OUTPUT_MESSAGING_DEADLETTERQUEUEURL")
sqs = boto3.client("sqs")
tag = "batch-%d" % os.getpid()
BODIES = ["%s-%d" % (tag, i) for i in range(10)]


def test_send_batch():
    r = sqs.send_message_batch(QueueUrl=DLQ, Entries=[
        {"Id": str(i), "MessageBody": b} for i, b in enumerate(BODIES)])
    assert len(r.get("Successful", [])) == 10 and not r.get("Failed"), r


def test_each_received_once():
    got = []
    for _ in range(10):
        msgs = sqs.receive_message(QueueUrl=DLQ, MaxNumberOfMessages=10,
                                   WaitTimeSeconds=1).get("Messages", [])
        for m in msgs:
            if m["Body"].startswith(tag):
                got.append(m["Body"])
                sqs.delete_message(QueueUrl=DLQ, ReceiptHandle=m["ReceiptHandle"])
        if len(set(got)) == len(BODIES):
            break
    assert sorted(got) == sorted(BODIES), got


if __name__ == "__main__":
    main(globals())
