#!/usr/bin/env python3
"""Everything of the cleaner's resource types in an account, listed with
boto3, independently of tidepool, so tests can compare before and after a
nuke.

    inventory.py --endpoint URL --account ID --regions us-east-1,eu-west-1 \
        [--types S3Bucket,SQSQueue] [--include-pending]

Prints sorted JSON lines {"type", "region", "id", "name"} with the ids and
names tidepool's types report (cleaner/type_*.c): S3 buckets in their own
region, IAM in "global". What those types never list is left out here too
(default VPCs and security groups, the default event bus, alias/aws/...),
and KMS keys already pending deletion are left out (a nuke schedules
deletion; --include-pending keeps them). What tidepool lists but skips
(service-linked roles, AWS-managed keys, rules managed by a service,
secrets owned by a service, nested stacks, unconfirmed subscriptions)
carries "skip": why.
"""
import argparse
import concurrent.futures
import json
import sys

from awsenv import Member


def pages(client, op, key, **kw):
    """Items under `key` of every page of a boto3 paginator."""
    for page in client.get_paginator(op).paginate(**kw):
        yield from page.get(key, [])


class Inventory:
    def __init__(self, member, include_pending):
        self.m, self.include_pending = member, include_pending

    def c(self, service, region):
        return self.m.client(service, region)

    # each returns [(id, name, skip-or-None)] for a region ("global": once)

    def CloudFormationStack(self, r):
        out = []
        for s in pages(self.c("cloudformation", r), "describe_stacks", "Stacks"):
            if s["StackStatus"] != "DELETE_COMPLETE":
                out.append((s["StackName"], s["StackName"],
                            "nested stack" if s.get("ParentId") else None))
        return out

    def S3Bucket(self, r):
        s3 = self.c("s3", "us-east-1")
        out = []
        for b in s3.list_buckets().get("Buckets", []):
            region = b.get("BucketRegion")
            if not region:
                region = s3.get_bucket_location(Bucket=b["Name"]).get(
                    "LocationConstraint") or "us-east-1"
                region = "eu-west-1" if region == "EU" else region
            out.append((b["Name"], b["Name"], None, region))
        return out

    def LambdaFunction(self, r):
        return [(f["FunctionName"], f["FunctionName"], None)
                for f in pages(self.c("lambda", r), "list_functions", "Functions")]

    def LambdaLayerVersion(self, r):
        lam, out = self.c("lambda", r), []
        for layer in pages(lam, "list_layers", "Layers"):
            for v in pages(lam, "list_layer_versions", "LayerVersions",
                           LayerName=layer["LayerName"]):
                out.append(("%s:%d" % (layer["LayerName"], v["Version"]), layer["LayerName"], None))
        return out

    def LambdaEventSourceMapping(self, r):
        return [(m["UUID"], m["UUID"], None) for m in
                pages(self.c("lambda", r), "list_event_source_mappings", "EventSourceMappings")]

    def DynamoDBTable(self, r):
        return [(t, t, None) for t in pages(self.c("dynamodb", r), "list_tables", "TableNames")]

    def SQSQueue(self, r):
        return [(u, u.rsplit("/", 1)[-1], None)
                for u in pages(self.c("sqs", r), "list_queues", "QueueUrls")]

    def SNSTopic(self, r):
        return [(t["TopicArn"], t["TopicArn"].rsplit(":", 1)[-1], None)
                for t in pages(self.c("sns", r), "list_topics", "Topics")]

    def SNSSubscription(self, r):
        out = []
        for s in pages(self.c("sns", r), "list_subscriptions", "Subscriptions"):
            name = "%s -> %s:%s" % (s["TopicArn"].rsplit(":", 1)[-1], s["Protocol"],
                                    s.get("Endpoint", ""))
            arn = s["SubscriptionArn"]
            out.append((arn if arn.startswith("arn:") else name, name,
                        None if arn.startswith("arn:") else "not confirmed"))
        return out

    def CloudWatchLogGroup(self, r):
        return [(g["logGroupName"], g["logGroupName"], None)
                for g in pages(self.c("logs", r), "describe_log_groups", "logGroups")]

    def CloudWatchAlarm(self, r):
        cw, out = self.c("cloudwatch", r), []
        for page in cw.get_paginator("describe_alarms").paginate(
                AlarmTypes=["MetricAlarm", "CompositeAlarm"]):
            for a in page.get("MetricAlarms", []) + page.get("CompositeAlarms", []):
                out.append((a["AlarmName"], a["AlarmName"], None))
        return out

    def buses(self, r):
        ev, out, token = self.c("events", r), [], None
        while True:
            resp = ev.list_event_buses(**({"NextToken": token} if token else {}))
            out += resp.get("EventBuses", [])
            token = resp.get("NextToken")
            if not token:
                return out

    def EventBridgeRule(self, r):
        ev, out = self.c("events", r), []
        for b in self.buses(r):
            for rule in pages(ev, "list_rules", "Rules", EventBusName=b["Name"]):
                out.append(("%s/%s" % (b["Name"], rule["Name"]), rule["Name"],
                            "managed by " + rule["ManagedBy"] if rule.get("ManagedBy") else None))
        return out

    def EventBridgeBus(self, r):
        return [(b["Name"], b["Name"], None) for b in self.buses(r) if b["Name"] != "default"]

    def StepFunctionsStateMachine(self, r):
        return [(m["stateMachineArn"], m["name"], None) for m in
                pages(self.c("stepfunctions", r), "list_state_machines", "stateMachines")]

    def APIGatewayRestApi(self, r):
        return [(a["id"], a["name"], None)
                for a in pages(self.c("apigateway", r), "get_rest_apis", "items")]

    def APIGatewayV2Api(self, r):
        api, out, token = self.c("apigatewayv2", r), [], None
        while True:
            resp = api.get_apis(**({"NextToken": token} if token else {}))
            out += [(a["ApiId"], a["Name"], None) for a in resp.get("Items", [])]
            token = resp.get("NextToken")
            if not token:
                return out

    def IAMRole(self, r):
        out = []
        for role in pages(self.c("iam", "us-east-1"), "list_roles", "Roles"):
            skip = None
            if role["Path"].startswith("/aws-service-role/"):
                skip = "service-linked role"
            elif role["Path"].startswith("/aws-reserved/sso.amazonaws.com/"):
                skip = "IAM Identity Center role"
            out.append((role["RoleName"], role["RoleName"], skip))
        return out

    def IAMPolicy(self, r):
        return [(p["Arn"], p["PolicyName"], None) for p in
                pages(self.c("iam", "us-east-1"), "list_policies", "Policies", Scope="Local")]

    def IAMUser(self, r):
        return [(u["UserName"], u["UserName"], None)
                for u in pages(self.c("iam", "us-east-1"), "list_users", "Users")]

    def IAMInstanceProfile(self, r):
        return [(p["InstanceProfileName"], p["InstanceProfileName"], None) for p in
                pages(self.c("iam", "us-east-1"), "list_instance_profiles", "InstanceProfiles")]

    def KinesisStream(self, r):
        return [(s, s, None) for s in pages(self.c("kinesis", r), "list_streams", "StreamNames")]

    def FirehoseDeliveryStream(self, r):
        fh, out, start = self.c("firehose", r), [], None
        while True:
            resp = fh.list_delivery_streams(
                **({"ExclusiveStartDeliveryStreamName": start} if start else {}))
            names = resp.get("DeliveryStreamNames", [])
            out += [(n, n, None) for n in names]
            if not resp.get("HasMoreDeliveryStreams") or not names:
                return out
            start = names[-1]

    def SecretsManagerSecret(self, r):
        return [(s["Name"], s["Name"], "owned by " + s["OwningService"]
                 if s.get("OwningService") else None)
                for s in pages(self.c("secretsmanager", r), "list_secrets", "SecretList")]

    def SSMParameter(self, r):
        return [(p["Name"], p["Name"], None)
                for p in pages(self.c("ssm", r), "describe_parameters", "Parameters")]

    def KMSKey(self, r):
        kms, out = self.c("kms", r), []
        aws_keys = {a["TargetKeyId"] for a in pages(kms, "list_aliases", "Aliases")
                    if a["AliasName"].startswith("alias/aws/") and a.get("TargetKeyId")}
        for k in pages(kms, "list_keys", "Keys"):
            meta = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
            if "PendingDeletion" in meta["KeyState"] and not self.include_pending:
                continue
            skip = None
            if meta.get("KeyManager") == "AWS" or k["KeyId"] in aws_keys:
                skip = "AWS-managed key"
            elif "PendingDeletion" in meta["KeyState"]:
                skip = "already " + meta["KeyState"]
            out.append((k["KeyId"], k["KeyId"], skip))
        return out

    def KMSAlias(self, r):
        return [(a["AliasName"], a["AliasName"], None)
                for a in pages(self.c("kms", r), "list_aliases", "Aliases")
                if not a["AliasName"].startswith("alias/aws/")]

    def ECRRepository(self, r):
        return [(x["repositoryName"], x["repositoryName"], None) for x in
                pages(self.c("ecr", r), "describe_repositories", "repositories")]

    def CognitoUserPool(self, r):
        return [(p["Id"], p["Name"], None) for p in
                pages(self.c("cognito-idp", r), "list_user_pools", "UserPools", MaxResults=60)]

    def EC2SecurityGroup(self, r):
        return [(g["GroupId"], g["GroupName"], None) for g in
                pages(self.c("ec2", r), "describe_security_groups", "SecurityGroups")
                if g["GroupName"] != "default"]

    def EC2VPC(self, r):
        out = []
        for v in pages(self.c("ec2", r), "describe_vpcs", "Vpcs"):
            if v.get("IsDefault"):
                continue
            name = {t["Key"]: t["Value"] for t in v.get("Tags", [])}.get("Name") or v["VpcId"]
            out.append((v["VpcId"], name, None))
        return out


TYPES = [n for n in dir(Inventory) if n[0].isupper()]
GLOBAL = {"S3Bucket", "IAMRole", "IAMPolicy", "IAMUser", "IAMInstanceProfile"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", help="AWS endpoint (moto); default: AWS's")
    ap.add_argument("--account", help="member account to assume into; default: the caller's")
    ap.add_argument("--regions", default="us-east-1,eu-west-1")
    ap.add_argument("--types", default="", help="comma-separated; default: all")
    ap.add_argument("--include-pending", action="store_true",
                    help="keep KMS keys already pending deletion")
    a = ap.parse_args()
    inv = Inventory(Member(a.endpoint, a.account), a.include_pending)
    regions = [r for r in a.regions.split(",") if r]
    types = a.types.split(",") if a.types else TYPES
    unknown = [t for t in types if t not in TYPES]
    if unknown:
        ap.error("unknown type(s): %s" % ", ".join(unknown))
    jobs = [(t, "global" if t in GLOBAL else r) for t in types
            for r in (regions[:1] if t in GLOBAL else regions)]
    lines = []
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futs = {pool.submit(getattr(inv, t), r): (t, r) for t, r in jobs}
        for f in concurrent.futures.as_completed(futs):
            t, r = futs[f]
            for item in f.result():
                region = item[3] if len(item) > 3 else r
                d = {"type": t, "region": region, "id": item[0], "name": item[1]}
                if item[2]:
                    d["skip"] = item[2]
                lines.append(json.dumps(d, sort_keys=True))
    for line in sorted(lines):
        print(line)


if __name__ == "__main__":
    sys.exit(main())
