"""Checkout, end to end through the shop's resources (what the order API
and the worker do, step by step): the order lands in the orders table, its
receipt in the assets bucket, a message on the orders queue (which the
worker consumes); fulfilling it reserves stock in the inventory table."""
import json
import os
import uuid

import boto3

from lib.tpjunit import main, need

ORDERS, INVENTORY, BUCKET, QUEUE = need(
    "TIDEPOOL_OUTPUT_DATA_ORDERSTABLENAME", "TIDEPOOL_OUTPUT_DATA_INVENTORYTABLENAME",
    "TIDEPOOL_OUTPUT_STORAGE_ASSETSBUCKETNAME", "TIDEPOOL_OUTPUT_MESSAGING_ORDERSQUEUEURL")

ddb = boto3.client("dynamodb")
s3 = boto3.client("s3")
sqs = boto3.client("sqs")
order_id = "co-%s" % uuid.uuid4().hex[:12]
sku = "kettle-%d" % os.getpid()


def test_place_order():
    ddb.put_item(TableName=ORDERS, Item={"order_id": {"S": order_id},
                                         "customer_id": {"S": "c-7"}, "sku": {"S": sku}})
    s3.put_object(Bucket=BUCKET, Key="receipts/%s.json" % order_id,
                  Body=json.dumps({"order_id": order_id, "sku": sku}).encode())
    sqs.send_message(QueueUrl=QUEUE, MessageBody=json.dumps({"order_id": order_id, "sku": sku}))


def test_receipt_stored():
    body = s3.get_object(Bucket=BUCKET, Key="receipts/%s.json" % order_id)["Body"].read()
    assert json.loads(body)["sku"] == sku, body


def test_order_queued():
    # queued, or already in flight to the worker when its stack is deployed here
    a = sqs.get_queue_attributes(QueueUrl=QUEUE, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    assert int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"]) >= 1, a


def test_fulfil():
    # what the worker does with the order: reserve its stock
    ddb.update_item(TableName=INVENTORY, Key={"sku": {"S": sku}},
                    UpdateExpression="ADD reserved :one",
                    ExpressionAttributeValues={":one": {"N": "1"}})
    item = ddb.get_item(TableName=INVENTORY, Key={"sku": {"S": sku}})["Item"]
    assert item["reserved"]["N"] == "1", item


def test_order_readable():
    item = ddb.get_item(TableName=ORDERS, Key={"order_id": {"S": order_id}}).get("Item")
    assert item and item["sku"]["S"] == sku, item


if __name__ == "__main__":
    main(globals())
