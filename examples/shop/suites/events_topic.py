"""Order events: a queue subscribed to the shop's events topic receives
what is published there (how a downstream team would listen)."""
import json
import os

import boto3

from lib.tpjunit import main, need

(TOPIC,) = need("TIDEPOOL_OUTPUT_BASE_EVENTSTOPICARN")
sns = boto3.client("sns")
sqs = boto3.client("sqs")
state = {}


def test_subscribe_listener():
    url = sqs.create_queue(QueueName="events-listener-%d" % os.getpid())["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=TOPIC, Protocol="sqs", Endpoint=arn,
                  Attributes={"RawMessageDelivery": "true"})
    state["url"] = url


def test_event_delivered():
    event = {"fulfilled": "o-%d" % os.getpid()}
    sns.publish(TopicArn=TOPIC, Message=json.dumps(event))
    bodies = []
    for _ in range(5):
        bodies += [m["Body"] for m in sqs.receive_message(
            QueueUrl=state["url"], MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])]
        if bodies:
            break
    assert any(json.loads(b) == event for b in bodies), bodies


def test_cleanup_listener():
    sqs.delete_queue(QueueUrl=state["url"])


if __name__ == "__main__":
    main(globals())
