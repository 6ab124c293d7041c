#!/usr/bin/env python3
"""Resources for tests/integration/test_cleaner_types.c: a few of every
resource type in one region of the account whose credentials are in the
environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN).

Prints one JSON object: {"<Type>": [{"id", "name", "arn", "region",
"tags": {...}, "skip": "<substring of the expected skip reason>"?}, ...]}
with what the type's list must report for each resource it created.

    fixtures.py --endpoint http://127.0.0.1:PORT --region us-east-1 \
        [--prefix fx-] [--types S3Bucket,SQSQueue]
"""
import argparse
import json
import sys

import boto3

TAGS = {"team": "fixtures", "keep": "no"}


def tag_list(tags=TAGS):
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def row(id_, arn, region, tags=TAGS, name=None, **extra):
    r = {"id": id_, "name": name or id_, "arn": arn, "region": region, "tags": dict(tags)}
    r.update(extra)
    return r


class Fixtures:
    def __init__(self, endpoint, region, prefix, account):
        self.endpoint, self.region, self.p, self.account = endpoint, region, prefix, account

    def c(self, service, region=None):
        return boto3.client(service, endpoint_url=self.endpoint,
                            region_name=region or self.region)

    def arn(self, service, rest, region=True):
        return "arn:aws:%s:%s:%s:%s" % (service, self.region if region else "", self.account, rest)

    # ---- one method per type: create, return the expected rows --------

    def S3Bucket(self):
        s3 = self.c("s3")
        out = []
        for i in range(2):
            name = "%ss3-%d-%s" % (self.p, i, self.region)
            if self.region == "us-east-1":
                s3.create_bucket(Bucket=name)
            else:
                s3.create_bucket(Bucket=name, CreateBucketConfiguration={
                    "LocationConstraint": self.region})
            tags = TAGS if i == 0 else {}
            if tags:
                s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(tags)})
            s3.put_object(Bucket=name, Key="a/b.txt", Body=b"x")
            out.append(row(name, "arn:aws:s3:::" + name, self.region, tags))
        return out

    def SQSQueue(self):
        sqs = self.c("sqs")
        out = []
        for i in range(2):
            name = "%sq-%d" % (self.p, i)
            url = sqs.create_queue(QueueName=name, tags=TAGS)["QueueUrl"]
            out.append(row(url, self.arn("sqs", name), self.region, name=name))
        return out

    def DynamoDBTable(self):
        ddb = self.c("dynamodb")
        out = []
        for i in range(2):
            name = "%stable-%d" % (self.p, i)
            t = ddb.create_table(
                TableName=name, BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                Tags=tag_list(), DeletionProtectionEnabled=(i == 1))
            out.append(row(name, t["TableDescription"]["TableArn"], self.region))
        return out

    def CloudFormationStack(self):
        cfn = self.c("cloudformation")
        out = []
        template = json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})
        for i in range(2):
            name = "%sstack-%d" % (self.p, i)
            sid = cfn.create_stack(StackName=name, TemplateBody=template, Tags=tag_list(),
                                   EnableTerminationProtection=(i == 1))["StackId"]
            out.append(row(name, sid, self.region))
        return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--prefix", default="fx-")
    ap.add_argument("--types", default="")
    a = ap.parse_args()
    sts = boto3.client("sts", endpoint_url=a.endpoint, region_name=a.region)
    account = sts.get_caller_identity()["Account"]
    f = Fixtures(a.endpoint, a.region, a.prefix, account)
    names = a.types.split(",") if a.types else [
        n for n in dir(Fixtures) if n[0].isupper()]
    result = {}
    for n in names:
        result[n] = getattr(f, n)()
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
