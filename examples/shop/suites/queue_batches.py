"""The orders queue in batches: ten orders sent in one call are each
received exactly once."""
import os

import boto3

from lib.tpjunit import main, need

(QUEUE,) = need("TIDEPOOL_OUTPUT_MESSAGING_ORDERSQUEUEURL")
sqs = boto3.client("sqs")
tag = "batch-%d" % os.getpid()
BODIES = ["%s-%d" % (tag, i) for i in range(10)]


def test_send_batch():
    r = sqs.send_message_batch(QueueUrl=QUEUE, Entries=[
        {"Id": str(i), "MessageBody": b} for i, b in enumerate(BODIES)])
    assert len(r.get("Successful", [])) == 10 and not r.get("Failed"), r


def test_each_received_once():
    got = []
    for _ in range(10):
        msgs = sqs.receive_message(QueueUrl=QUEUE, MaxNumberOfMessages=10,
                                   WaitTimeSeconds=1).get("Messages", [])
        for m in msgs:
            if m["Body"].startswith(tag):
                got.append(m["Body"])
                sqs.delete_message(QueueUrl=QUEUE, ReceiptHandle=m["ReceiptHandle"])
        if len(set(got)) == len(BODIES):
            break
    assert sorted(got) == sorted(BODIES), got


if __name__ == "__main__":
    main(globals())
