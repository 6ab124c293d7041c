"""Inventory in bulk: a batch of stock items writes and scans back, and a
conditional update guards against overselling."""
import os

import boto3
from botocore.exceptions import ClientError

from lib.tpjunit import main, need

(INVENTORY,) = need("TIDEPOOL_OUTPUT_DATA_INVENTORYTABLENAME")
ddb = boto3.client("dynamodb")
prefix = "batch-%d-" % os.getpid()
SKUS = ["%s%02d" % (prefix, i) for i in range(25)]


def test_batch_write():
    ddb.batch_write_item(RequestItems={INVENTORY: [
        {"PutRequest": {"Item": {"sku": {"S": s}, "on_hand": {"N": "1"}}}} for s in SKUS]})


def test_scan_finds_all():
    seen, kwargs = set(), {"TableName": INVENTORY}
    while True:
        page = ddb.scan(**kwargs)
        seen.update(i["sku"]["S"] for i in page["Items"] if i["sku"]["S"].startswith(prefix))
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert seen == set(SKUS), sorted(set(SKUS) - seen)


def test_no_overselling():
    key = {"sku": {"S": SKUS[0]}}
    sell = dict(TableName=INVENTORY, Key=key, UpdateExpression="SET on_hand = on_hand - :one",
                ConditionExpression="on_hand >= :one", ExpressionAttributeValues={":one": {"N": "1"}})
    ddb.update_item(**sell)
    try:
        ddb.update_item(**sell)
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ConditionalCheckFailedException", e
    else:
        raise AssertionError("sold an item that was not on hand")


if __name__ == "__main__":
    main(globals())
