#!/usr/bin/env python3
"""Fill a member account with resources of the cleaner's types, for the
nuke's end-to-end checks (issue 5, must-show 1) and bench/nuke.

    populate.py --endpoint URL --account ID --regions us-east-1,eu-west-1 \
        [--protect-prefix keep-] [--protect-regex '^audit-[0-9]+-'] [--scale N]
    populate.py --endpoint URL --account ID --big-bucket NAME --objects 20000 \
        [--delete-markers 2000] [--unversioned] [--region us-east-1] [--threads 32]

The account is reached as tidepool reaches it: AssumeRole of
OrganizationAccountAccessRole with the caller's credentials (moto accepts
that without the role existing). --endpoint may be omitted for AWS.

In each region: resources of 25+ types, named so that the protect rules
printed in the output's "rules" catch some of them: a name glob
(<prefix>*), a name regex, and the tag keep=true; and CloudFormation
stacks, two tagged tidepool:managed=true and one not, whose resources are
listed with their stack. IAM (global) once.

Prints one JSON document: {"account", "regions", "rules": [protect rules
as tidepool.yaml writes them], "resources": [{"type", "region", "id",
"name", "protected": "glob"|"regex"|"tag"|null, "stack": name|null,
"managed": bool}], "counts": {type: {region: n}}, "total": n}. The ids and
names are the ones tidepool's types report (see cleaner/type_*.c), so the
list can be compared with tests/cleaner/inventory.py's.

--big-bucket makes one bucket of --objects object versions (versioning on
unless --unversioned) plus --delete-markers delete markers, quickly: many
threads of PutObject, delete markers by DeleteObjects batches of 1,000.
It prints {"bucket", "region", "versions", "delete_markers", "seconds"}.
"""
import argparse
import collections
import concurrent.futures
import io
import json
import sys
import time
import zipfile

from awsenv import Member

POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]})

# Which protect rule each resource is made for; "tag" ones carry keep=true.
KINDS = ("plain", "plain", "glob", "regex", "tag")


def trust(service):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def zip_bytes():
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("index.py", "def handler(e, c):\n    return e\n")
    return b.getvalue()


class Populator:
    def __init__(self, member, regions, prefix, regex, scale):
        self.m, self.regions, self.prefix, self.regex = member, regions, prefix, regex
        self.scale = scale
        self.resources = []
        self.zip = zip_bytes()

    # ---- naming and bookkeeping ------------------------------------------

    def name(self, kind, base, i):
        return {"plain": "pop-%s-%d" % (base, i),
                "glob": "%s%s-%d" % (self.prefix, base, i),
                "regex": "audit-%03d-%s" % (i, base),
                "tag": "pop-%s-tagged-%d" % (base, i)}[kind]

    @staticmethod
    def tags(kind):
        t = {"team": "populate"}
        if kind == "tag":
            t["keep"] = "true"
        return t

    @staticmethod
    def tag_list(kind, k="Key", v="Value"):
        return [{k: a, v: b} for a, b in Populator.tags(kind).items()]

    def kinds(self, n, named=True):
        """n kinds in KINDS' proportions; types without names of their own only plain/tag."""
        pool = KINDS if named else ("plain", "plain", "tag")
        return [pool[i % len(pool)] for i in range(n * self.scale)]

    def add(self, type_, region, id_, name=None, kind="plain", stack=None, managed=False):
        self.resources.append({
            "type": type_, "region": region, "id": id_, "name": name or id_,
            "protected": None if kind == "plain" else kind, "stack": stack,
            "managed": managed})

    def c(self, service, region):
        return self.m.client(service, region)

    def arn(self, service, region, rest):
        return "arn:aws:%s:%s:%s:%s" % (service, region, self.m.account, rest)

    # ---- regional types -----------------------------------------------------

    def s3(self, r):
        s3 = self.c("s3", r)
        for i, kind in enumerate(self.kinds(5)):
            name = "%s-%s" % (self.name(kind, "s3", i), r)
            kw = {} if r == "us-east-1" else {
                "CreateBucketConfiguration": {"LocationConstraint": r}}
            s3.create_bucket(Bucket=name, **kw)
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": self.tag_list(kind)})
            if i % 2:
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={
                    "Status": "Enabled"})
            for k in range(3):
                s3.put_object(Bucket=name, Key="data/%d.txt" % k, Body=b"x")
            self.add("S3Bucket", r, name, kind=kind)

    def queue(self, r, name, kind="plain"):
        sqs = self.c("sqs", r)
        url = sqs.create_queue(QueueName=name, tags=self.tags(kind))["QueueUrl"]
        self.add("SQSQueue", r, url, name, kind)
        return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]

    def sqs(self, r):
        for i, kind in enumerate(self.kinds(8)):
            self.queue(r, self.name(kind, "queue", i), kind)

    def dynamodb(self, r):
        ddb = self.c("dynamodb", r)
        for i, kind in enumerate(self.kinds(5)):
            name = self.name(kind, "table", i)
            ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                             KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             Tags=self.tag_list(kind))
            self.add("DynamoDBTable", r, name, kind=kind)

    def sns(self, r):
        sns = self.c("sns", r)
        for i, kind in enumerate(self.kinds(5)):
            name = self.name(kind, "topic", i)
            arn = sns.create_topic(Name=name, Tags=self.tag_list(kind))["TopicArn"]
            self.add("SNSTopic", r, arn, name, kind)
            if i < 3:   # a subscription carries its topic's name and tags
                _, qarn = self.queue(r, self.name(kind, "subq", i), kind)
                sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn,
                                    ReturnSubscriptionArn=True)["SubscriptionArn"]
                self.add("SNSSubscription", r, sub, "%s -> sqs:%s" % (name, qarn), kind)

    def lambda_(self, r):
        lam = self.c("lambda", r)
        role = self.lambda_role
        fns = []
        for i, kind in enumerate(self.kinds(3)):
            name = self.name(kind, "fn", i)
            arn = lam.create_function(FunctionName=name, Runtime="python3.12",
                                      Handler="index.handler", Role=role,
                                      Code={"ZipFile": self.zip}, Tags=self.tags(kind))[
                "FunctionArn"]
            self.add("LambdaFunction", r, name, kind=kind)
            fns.append((name, kind))
        for i, kind in enumerate(("plain", "glob")):   # layers have no tags
            name = self.name(kind, "layer", i)
            v = lam.publish_layer_version(LayerName=name, Content={"ZipFile": self.zip})
            self.add("LambdaLayerVersion", r, "%s:%d" % (name, v["Version"]), name, kind)
        fn, kind = fns[0]
        _, qarn = self.queue(r, self.name(kind, "esm-source", 0), kind)
        m = lam.create_event_source_mapping(EventSourceArn=qarn, FunctionName=fn,
                                            Tags=self.tags(kind))
        self.add("LambdaEventSourceMapping", r, m["UUID"], kind=kind)
        del arn

    def logs(self, r):
        logs = self.c("logs", r)
        for i, kind in enumerate(self.kinds(8)):
            name = self.name(kind, "logs", i)
            logs.create_log_group(logGroupName=name, tags=self.tags(kind))
            self.add("CloudWatchLogGroup", r, name, kind=kind)

    def alarms(self, r):
        cw = self.c("cloudwatch", r)
        for i, kind in enumerate(self.kinds(5)):
            name = self.name(kind, "alarm", i)
            cw.put_metric_alarm(AlarmName=name, MetricName="Errors", Namespace="Populate",
                                Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanThreshold",
                                Tags=self.tag_list(kind))
            self.add("CloudWatchAlarm", r, name, kind=kind)

    def events(self, r):
        ev = self.c("events", r)
        for i, kind in enumerate(("plain", "glob", "tag")):
            bus = self.name(kind, "bus", i)
            ev.create_event_bus(Name=bus, Tags=self.tag_list(kind))
            self.add("EventBridgeBus", r, bus, kind=kind)
            for b in ("default", bus):
                rule = self.name(kind, "rule-%s" % ("default" if b == "default" else "custom"), i)
                ev.put_rule(Name=rule, EventBusName=b, Tags=self.tag_list(kind),
                            EventPattern=json.dumps({"source": ["populate"]}))
                ev.put_targets(Rule=rule, EventBusName=b, Targets=[{
                    "Id": "q", "Arn": self.arn("sqs", r, "pop-target")}])
                self.add("EventBridgeRule", r, "%s/%s" % (b, rule), rule, kind)

    def sfn(self, r):
        sfn = self.c("stepfunctions", r)
        definition = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
        for i, kind in enumerate(self.kinds(3)):
            name = self.name(kind, "sm", i)
            arn = sfn.create_state_machine(name=name, definition=definition,
                                           roleArn=self.sfn_role,
                                           tags=self.tag_list(kind, "key", "value"))[
                "stateMachineArn"]
            self.add("StepFunctionsStateMachine", r, arn, name, kind)

    def apigw(self, r):
        v1, v2 = self.c("apigateway", r), self.c("apigatewayv2", r)
        for i, kind in enumerate(self.kinds(3)):
            name = self.name(kind, "rest", i)
            a = v1.create_rest_api(name=name, tags=self.tags(kind))
            self.add("APIGatewayRestApi", r, a["id"], name, kind)
            name = self.name(kind, "http", i)
            a = v2.create_api(Name=name, ProtocolType="HTTP", Tags=self.tags(kind))
            self.add("APIGatewayV2Api", r, a["ApiId"], name, kind)

    def kinesis(self, r):
        k, fh = self.c("kinesis", r), self.c("firehose", r)
        for i, kind in enumerate(("plain", "glob", "tag")):
            name = self.name(kind, "stream", i)
            k.create_stream(StreamName=name, ShardCount=1)
            k.add_tags_to_stream(StreamName=name, Tags=self.tags(kind))
            self.add("KinesisStream", r, name, kind=kind)
        bucket = "pop-firehose-%s-%s" % (r, self.m.account)
        kw = {} if r == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": r}}
        self.c("s3", r).create_bucket(Bucket=bucket, **kw)
        self.add("S3Bucket", r, bucket)
        for i, kind in enumerate(("plain", "regex")):
            name = self.name(kind, "delivery", i)
            fh.create_delivery_stream(
                DeliveryStreamName=name, DeliveryStreamType="DirectPut",
                ExtendedS3DestinationConfiguration={"RoleARN": self.firehose_role,
                                                    "BucketARN": "arn:aws:s3:::" + bucket},
                Tags=self.tag_list(kind))
            self.add("FirehoseDeliveryStream", r, name, kind=kind)

    def secrets(self, r):
        sm, ssm = self.c("secretsmanager", r), self.c("ssm", r)
        for i, kind in enumerate(self.kinds(5)):
            name = self.name(kind, "secret", i)
            sm.create_secret(Name=name, SecretString="s3cr3t", Tags=self.tag_list(kind))
            self.add("SecretsManagerSecret", r, name, kind=kind)
        for i, kind in enumerate(self.kinds(10)):
            name = self.name(kind, "param", i)
            if i % 2:
                name = "%s/nested/%d" % (name, i)
            ssm.put_parameter(Name=name, Value="v", Type="String", Tags=self.tag_list(kind))
            self.add("SSMParameter", r, name, kind=kind)

    def kms(self, r):
        kms = self.c("kms", r)
        for i, kind in enumerate(self.kinds(3, named=False)):
            key = kms.create_key(Description="populate %d" % i,
                                 Tags=self.tag_list(kind, "TagKey", "TagValue"))["KeyMetadata"]
            self.add("KMSKey", r, key["KeyId"], kind=kind)
            if i < 2:   # aliases carry their key's tags
                alias = "alias/pop-alias-%d" % i
                kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
                self.add("KMSAlias", r, alias, kind=kind)

    def ecr_cognito(self, r):
        ecr, idp = self.c("ecr", r), self.c("cognito-idp", r)
        for i, kind in enumerate(self.kinds(3)):
            name = self.name(kind, "repo", i)
            ecr.create_repository(repositoryName=name, tags=self.tag_list(kind))
            self.add("ECRRepository", r, name, kind=kind)
        for i, kind in enumerate(("plain", "glob", "tag")):
            name = self.name(kind, "pool", i)
            p = idp.create_user_pool(PoolName=name, UserPoolTags=self.tags(kind))["UserPool"]
            self.add("CognitoUserPool", r, p["Id"], name, kind)

    def ec2(self, r):
        ec2 = self.c("ec2", r)
        for i, kind in enumerate(("plain", "glob", "tag")):
            name = self.name(kind, "vpc", i)
            vpc = ec2.create_vpc(CidrBlock="10.%d.0.0/16" % (50 + i), TagSpecifications=[{
                "ResourceType": "vpc", "Tags": self.tag_list(kind) + [
                    {"Key": "Name", "Value": name}]}])["Vpc"]["VpcId"]
            self.add("EC2VPC", r, vpc, name, kind)
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.%d.1.0/24" % (50 + i))[
                "Subnet"]["SubnetId"]
            rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
            ec2.associate_route_table(RouteTableId=rt, SubnetId=subnet)
            igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
            # security groups share their VPC's protection, so a kept VPC
            # never waits on a deleted group or the reverse
            for j in range(2):
                gname = self.name(kind, "sg%d" % j, i)
                g = ec2.create_security_group(
                    GroupName=gname, Description="populate", VpcId=vpc,
                    TagSpecifications=[{"ResourceType": "security-group",
                                        "Tags": self.tag_list(kind)}])["GroupId"]
                self.add("EC2SecurityGroup", r, g, gname, kind)

    # ---- stacks -------------------------------------------------------------

    STACK_TEMPLATE = json.dumps({"Resources": {
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Topic": {"Type": "AWS::SNS::Topic"},
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}},
        # moto needs the names these two get generated on AWS
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "logs"]]}}},
        "Param": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Name": {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "param"]]},
            "Type": "String", "Value": "populate"}},
    }})
    STACK_TYPES = {"AWS::SQS::Queue": "SQSQueue", "AWS::SNS::Topic": "SNSTopic",
                   "AWS::DynamoDB::Table": "DynamoDBTable",
                   "AWS::Logs::LogGroup": "CloudWatchLogGroup",
                   "AWS::SSM::Parameter": "SSMParameter", "AWS::S3::Bucket": "S3Bucket"}

    def stacks(self, r):
        cfn = self.c("cloudformation", r)
        for name, managed in (("pop-managed-0", True), ("pop-managed-1", True),
                              ("pop-unmanaged-0", False)):
            tags = [{"Key": "tidepool:project", "Value": "populate"}]
            if managed:
                tags.append({"Key": "tidepool:managed", "Value": "true"})
            cfn.create_stack(StackName=name, TemplateBody=self.STACK_TEMPLATE, Tags=tags)
            cfn.get_waiter("stack_create_complete").wait(
                StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            self.add("CloudFormationStack", r, name, stack=name, managed=managed)
            for res in cfn.describe_stack_resources(StackName=name)["StackResources"]:
                t = self.STACK_TYPES.get(res["ResourceType"])
                if not t:
                    continue
                pid = res["PhysicalResourceId"]
                if t == "SQSQueue":   # the URL as ListQueues gives it (the host may differ)
                    qname = pid.rsplit("/", 1)[-1]
                    url = self.c("sqs", r).get_queue_url(QueueName=qname)["QueueUrl"]
                    self.add(t, r, url, qname, stack=name, managed=managed)
                elif t == "SNSTopic":
                    self.add(t, r, pid, pid.rsplit(":", 1)[-1], stack=name, managed=managed)
                else:
                    self.add(t, r, pid, stack=name, managed=managed)

    # ---- IAM (global) -------------------------------------------------------

    def role(self, name, service, kind="plain", record=True):
        iam = self.c("iam", "us-east-1")
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(service),
                              Tags=self.tag_list(kind))["Role"]["Arn"]
        if record:
            self.add("IAMRole", "global", name, kind=kind)
        return arn

    def iam(self):
        iam = self.c("iam", "us-east-1")
        # the functions', machines' and streams' roles are kept: a kept
        # function must not lose its role
        self.lambda_role = self.role(self.prefix + "lambda-role", "lambda.amazonaws.com", "glob")
        self.sfn_role = self.role(self.prefix + "sfn-role", "states.amazonaws.com", "glob")
        self.firehose_role = self.role("pop-firehose-role", "firehose.amazonaws.com")
        for i, kind in enumerate(self.kinds(3)):
            role = self.name(kind, "role", i)
            self.role(role, "ec2.amazonaws.com", kind)
            pol = self.name(kind, "policy", i)
            arn = iam.create_policy(PolicyName=pol, PolicyDocument=POLICY,
                                    Tags=self.tag_list(kind))["Policy"]["Arn"]
            iam.create_policy_version(PolicyArn=arn, PolicyDocument=POLICY, SetAsDefault=True)
            self.add("IAMPolicy", "global", arn, pol, kind)
            iam.attach_role_policy(RoleName=role, PolicyArn=arn)   # same protection
            iam.put_role_policy(RoleName=role, PolicyName="inline", PolicyDocument=POLICY)
            prof = self.name(kind, "profile", i)
            iam.create_instance_profile(InstanceProfileName=prof, Tags=self.tag_list(kind))
            iam.add_role_to_instance_profile(InstanceProfileName=prof, RoleName=role)
            self.add("IAMInstanceProfile", "global", prof, kind=kind)
        for i, kind in enumerate(("plain", "glob", "tag")):
            user = self.name(kind, "user", i)
            iam.create_user(UserName=user, Tags=self.tag_list(kind))
            iam.create_access_key(UserName=user)
            iam.put_user_policy(UserName=user, PolicyName="inline", PolicyDocument=POLICY)
            self.add("IAMUser", "global", user, kind=kind)

    # ---- all ----------------------------------------------------------------

    def run(self):
        self.iam()
        steps = (self.s3, self.sqs, self.dynamodb, self.sns, self.lambda_, self.logs,
                 self.alarms, self.events, self.sfn, self.apigw, self.kinesis, self.secrets,
                 self.kms, self.ecr_cognito, self.ec2, self.stacks)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            for f in [pool.submit(s, r) for r in self.regions for s in steps]:
                f.result()

    def report(self):
        counts = collections.defaultdict(lambda: collections.defaultdict(int))
        for x in self.resources:
            counts[x["type"]][x["region"]] += 1
        key = lambda x: (x["type"], x["region"], x["id"])  # noqa: E731
        return {
            "account": self.m.account, "regions": self.regions,
            "rules": [{"name": self.prefix + "*", "match": "glob"},
                      {"name": self.regex, "match": "regex"},
                      {"tag": "keep=true"}],
            "resources": sorted(self.resources, key=key),
            "counts": {t: dict(v) for t, v in sorted(counts.items())},
            "total": len(self.resources)}


# ---- one big bucket ---------------------------------------------------------

def big_bucket(m, name, region, objects, markers, versioned, threads):
    t0 = time.time()
    s3 = m.client("s3", region)
    kw = {} if region == "us-east-1" else {"CreateBucketConfiguration": {
        "LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **kw)
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})

    def put(lo, hi):
        c = m.client("s3", region)
        for i in range(lo, hi):
            c.put_object(Bucket=name, Key="obj/%06d" % i, Body=b"%d" % i)

    def mark(lo, hi):   # a delete marker per key, 1,000 keys a request
        m.client("s3", region).delete_objects(Bucket=name, Delete={"Quiet": True, "Objects": [
            {"Key": "obj/%06d" % i} for i in range(lo, hi)]})

    step = max(1, objects // (threads * 8))
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        for f in [pool.submit(put, i, min(i + step, objects)) for i in range(0, objects, step)]:
            f.result()
        if versioned and markers:
            for f in [pool.submit(mark, i, min(i + 1000, markers))
                      for i in range(0, min(markers, objects), 1000)]:
                f.result()
    return {"bucket": name, "region": region, "versions": objects,
            "delete_markers": min(markers, objects) if versioned else 0,
            "seconds": round(time.time() - t0, 2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint", help="AWS endpoint (moto); default: AWS's")
    ap.add_argument("--account", help="member account to assume into; default: the caller's")
    ap.add_argument("--regions", default="us-east-1,eu-west-1")
    ap.add_argument("--protect-prefix", default="keep-")
    ap.add_argument("--protect-regex", default="^audit-[0-9]+-")
    ap.add_argument("--scale", type=int, default=1, help="multiply the per-type counts")
    ap.add_argument("--big-bucket", metavar="NAME")
    ap.add_argument("--objects", type=int, default=20000)
    ap.add_argument("--delete-markers", type=int, default=None,
                    help="delete markers to add (default: a tenth of --objects)")
    ap.add_argument("--unversioned", action="store_true")
    ap.add_argument("--region", default=None, help="the big bucket's region")
    ap.add_argument("--threads", type=int, default=32)
    a = ap.parse_args()
    m = Member(a.endpoint, a.account)
    regions = [r for r in a.regions.split(",") if r]
    if a.big_bucket:
        out = big_bucket(m, a.big_bucket, a.region or regions[0], a.objects,
                         a.objects // 10 if a.delete_markers is None else a.delete_markers,
                         not a.unversioned, a.threads)
    else:
        p = Populator(m, regions, a.protect_prefix, a.protect_regex, a.scale)
        p.run()
        out = p.report()
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
