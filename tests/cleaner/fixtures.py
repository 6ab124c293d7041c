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
import time

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

    # ---- helpers shared by several types ------------------------------

    def role(self, name, service="lambda.amazonaws.com"):
        iam = self.c("iam")
        doc = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": service},
            "Action": "sts:AssumeRole"}]})
        try:
            return iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc)["Role"]["Arn"]
        except iam.exceptions.EntityAlreadyExistsException:
            return iam.get_role(RoleName=name)["Role"]["Arn"]

    @staticmethod
    def zip_bytes():
        import io
        import zipfile
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w") as z:
            z.writestr("index.py", "def handler(e, c):\n    return e\n")
        return b.getvalue()

    def function(self, name):
        lam = self.c("lambda")
        return lam.create_function(
            FunctionName=name, Runtime="python3.12", Handler="index.handler",
            Role=self.role(self.p + "lambda-role"), Code={"ZipFile": self.zip_bytes()},
            Tags=TAGS)["FunctionArn"]

    # ---- the rest of the types ----------------------------------------

    def LambdaFunction(self):
        out = []
        for i in range(2):
            name = "%sfn-%d" % (self.p, i)
            out.append(row(name, self.function(name), self.region))
        return out

    def LambdaLayerVersion(self):
        lam = self.c("lambda")
        out = []
        name = self.p + "layer"
        for _ in range(2):
            v = lam.publish_layer_version(LayerName=name, Content={"ZipFile": self.zip_bytes()})
            out.append(row("%s:%d" % (name, v["Version"]), v["LayerVersionArn"], self.region,
                           tags={}, name=name))
        return out

    def LambdaEventSourceMapping(self):
        lam, sqs = self.c("lambda"), self.c("sqs")
        fn = self.function(self.p + "esm-fn")
        url = sqs.create_queue(QueueName=self.p + "esm-source")["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        m = lam.create_event_source_mapping(EventSourceArn=qarn, FunctionName=fn, Tags=TAGS)
        arn = m.get("EventSourceMappingArn") or self.arn(
            "lambda", "event-source-mapping:" + m["UUID"])
        return [row(m["UUID"], arn, self.region)]

    def SNSTopic(self):
        sns = self.c("sns")
        out = []
        for i in range(2):
            name = "%stopic-%d" % (self.p, i)
            arn = sns.create_topic(Name=name, Tags=tag_list())["TopicArn"]
            out.append(row(arn, arn, self.region, name=name))
        return out

    def SNSSubscription(self):
        sns, sqs = self.c("sns"), self.c("sqs")
        name = self.p + "sub-topic"
        topic = sns.create_topic(Name=name, Tags=tag_list())["TopicArn"]
        url = sqs.create_queue(QueueName=self.p + "sub-queue")["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                            ReturnSubscriptionArn=True)["SubscriptionArn"]
        # subscriptions carry their topic's tags
        return [row(arn, arn, self.region, name="%s -> sqs:%s" % (name, qarn))]

    def CloudWatchLogGroup(self):
        logs = self.c("logs")
        out = []
        for i in range(2):
            name = "/%s/group-%d" % (self.p.rstrip("-"), i)
            logs.create_log_group(logGroupName=name, tags=TAGS)
            out.append(row(name, self.arn("logs", "log-group:" + name), self.region))
        return out

    def CloudWatchAlarm(self):
        cw = self.c("cloudwatch")
        out = []
        for i in range(2):
            name = "%salarm-%d" % (self.p, i)
            cw.put_metric_alarm(AlarmName=name, MetricName="Errors", Namespace="Fixtures",
                                Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                                ComparisonOperator="GreaterThanThreshold", Tags=tag_list())
            out.append(row(name, self.arn("cloudwatch", "alarm:" + name), self.region))
        return out

    def EventBridgeRule(self):
        ev = self.c("events")
        bus = self.p + "rules-bus"
        ev.create_event_bus(Name=bus)
        out = []
        for b in ("default", bus):
            name = "%srule-on-%s" % (self.p, "default" if b == "default" else "custom")
            arn = ev.put_rule(Name=name, EventBusName=b, Tags=tag_list(),
                              EventPattern=json.dumps({"source": ["fixtures"]}))["RuleArn"]
            ev.put_targets(Rule=name, EventBusName=b, Targets=[
                {"Id": "t%d" % i, "Arn": self.arn("sqs", "%starget-%d" % (self.p, i))}
                for i in range(3)])
            out.append(row("%s/%s" % (b, name), arn, self.region, name=name))
        return out

    def EventBridgeBus(self):
        ev = self.c("events")
        name = self.p + "bus"
        arn = ev.create_event_bus(Name=name, Tags=tag_list())["EventBusArn"]
        return [row(name, arn, self.region)]

    def StepFunctionsStateMachine(self):
        sfn = self.c("stepfunctions")
        out = []
        definition = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
        for i in range(2):
            name = "%ssm-%d" % (self.p, i)
            arn = sfn.create_state_machine(
                name=name, definition=definition,
                roleArn=self.role(self.p + "sfn-role", "states.amazonaws.com"),
                tags=[{"key": k, "value": v} for k, v in TAGS.items()])["stateMachineArn"]
            out.append(row(arn, arn, self.region, name=name))
        return out

    def APIGatewayRestApi(self):
        api = self.c("apigateway")
        out = []
        for i in range(2):
            name = "%srest-%d" % (self.p, i)
            a = api.create_rest_api(name=name, tags=TAGS)
            out.append(row(a["id"], "arn:aws:apigateway:%s::/restapis/%s" % (self.region, a["id"]),
                           self.region, name=name))
        return out

    def APIGatewayV2Api(self):
        api = self.c("apigatewayv2")
        out = []
        for i, proto in enumerate(("HTTP", "WEBSOCKET")):
            name = "%shttp-%d" % (self.p, i)
            kw = {"RouteSelectionExpression": "$request.body.action"} if proto == "WEBSOCKET" else {}
            a = api.create_api(Name=name, ProtocolType=proto, Tags=TAGS, **kw)
            out.append(row(a["ApiId"], "arn:aws:apigateway:%s::/apis/%s" % (self.region, a["ApiId"]),
                           self.region, name=name))
        return out

    def IAMRole(self):
        iam = self.c("iam")
        name = self.p + "role-full"
        arn = self.role(name, "ec2.amazonaws.com")
        iam.tag_role(RoleName=name, Tags=tag_list())
        pol = iam.create_policy(PolicyName=self.p + "role-attached", PolicyDocument=POLICY)
        iam.attach_role_policy(RoleName=name, PolicyArn=pol["Policy"]["Arn"])
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=POLICY)
        iam.create_instance_profile(InstanceProfileName=self.p + "role-profile")
        iam.add_role_to_instance_profile(InstanceProfileName=self.p + "role-profile",
                                         RoleName=name)
        out = [row(name, arn, "global")]
        slr = iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")
        out.append(row(slr["Role"]["RoleName"], slr["Role"]["Arn"], "global", tags={},
                       skip="service-linked"))
        return out

    def IAMPolicy(self):
        iam = self.c("iam")
        out = []
        for i in range(2):
            name = "%spolicy-%d" % (self.p, i)
            arn = iam.create_policy(PolicyName=name, PolicyDocument=POLICY,
                                    Tags=tag_list())["Policy"]["Arn"]
            for _ in range(2):   # non-default versions to delete first
                iam.create_policy_version(PolicyArn=arn, PolicyDocument=POLICY,
                                          SetAsDefault=True)
            out.append(row(arn, arn, "global", name=name))
        return out

    def IAMUser(self):
        iam = self.c("iam")
        name = self.p + "user"
        arn = iam.create_user(UserName=name, Tags=tag_list())["User"]["Arn"]
        iam.create_access_key(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=POLICY)
        pol = iam.create_policy(PolicyName=self.p + "user-attached", PolicyDocument=POLICY)
        iam.attach_user_policy(UserName=name, PolicyArn=pol["Policy"]["Arn"])
        iam.create_group(GroupName=self.p + "group")
        iam.add_user_to_group(GroupName=self.p + "group", UserName=name)
        iam.create_login_profile(UserName=name, Password="Fixture-Passw0rd!")
        mfa = iam.create_virtual_mfa_device(VirtualMFADeviceName=self.p + "mfa")
        iam.enable_mfa_device(UserName=name, SerialNumber=mfa["VirtualMFADevice"]["SerialNumber"],
                              AuthenticationCode1="123456", AuthenticationCode2="654321")
        return [row(name, arn, "global")]

    def IAMInstanceProfile(self):
        iam = self.c("iam")
        name = self.p + "profile"
        p = iam.create_instance_profile(InstanceProfileName=name, Tags=tag_list())
        self.role(self.p + "profile-role", "ec2.amazonaws.com")
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=self.p + "profile-role")
        return [row(name, p["InstanceProfile"]["Arn"], "global")]

    def HeldIAMPolicy(self):
        """Not a type: a policy attached to a role no test deletes (see
        test_cleaner_types__iam_policy_held)."""
        iam = self.c("iam")
        self.role(self.p + "holder", "ec2.amazonaws.com")
        name = self.p + "held-policy"
        arn = iam.create_policy(PolicyName=name, PolicyDocument=POLICY)["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=self.p + "holder", PolicyArn=arn)
        return [row(arn, arn, "global", tags={}, name=name, holder=self.p + "holder")]

    def KinesisStream(self):
        k = self.c("kinesis")
        out = []
        for i in range(2):
            name = "%sstream-%d" % (self.p, i)
            k.create_stream(StreamName=name, ShardCount=1)
            k.add_tags_to_stream(StreamName=name, Tags=TAGS)
            out.append(row(name, self.arn("kinesis", "stream/" + name), self.region))
        return out

    def FirehoseDeliveryStream(self):
        fh, s3 = self.c("firehose"), self.c("s3")
        bucket = "%sfirehose-%s" % (self.p, self.region)
        if self.region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={
                "LocationConstraint": self.region})
        name = self.p + "delivery"
        arn = fh.create_delivery_stream(
            DeliveryStreamName=name, DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": self.role(self.p + "firehose-role", "firehose.amazonaws.com"),
                "BucketARN": "arn:aws:s3:::" + bucket},
            Tags=tag_list())["DeliveryStreamARN"]
        return [row(name, arn, self.region)]

    def SecretsManagerSecret(self):
        sm = self.c("secretsmanager")
        out = []
        for i in range(2):
            name = "%ssecret-%d" % (self.p, i)
            arn = sm.create_secret(Name=name, SecretString="s3cr3t", Tags=tag_list())["ARN"]
            out.append(row(name, arn, self.region))
        return out

    def SSMParameter(self):
        ssm = self.c("ssm")
        out = []
        for name in ("%sparam" % self.p, "/%s/nested/param" % self.p.rstrip("-")):
            ssm.put_parameter(Name=name, Value="v", Type="String", Tags=tag_list())
            arn = self.arn("ssm", "parameter" + (name if name.startswith("/") else "/" + name))
            out.append(row(name, arn, self.region))
        return out

    def KMSKey(self):
        kms = self.c("kms")
        out = []
        for i in range(2):
            k = kms.create_key(Description="fixture %d" % i,
                               Tags=[{"TagKey": a, "TagValue": b} for a, b in TAGS.items()])
            out.append(row(k["KeyMetadata"]["KeyId"], k["KeyMetadata"]["Arn"], self.region))
        # An AWS-managed key: AWS makes one on first use of alias/aws/<service>
        # (moto when it is described, though with KeyManager CUSTOMER).
        m = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
        out.append(row(m["KeyId"], m["Arn"], self.region, tags={}, skip="AWS-managed"))
        return out

    def KMSAlias(self):
        kms = self.c("kms")
        key = kms.create_key(Tags=[{"TagKey": a, "TagValue": b} for a, b in TAGS.items()])
        name = "alias/%salias" % self.p
        kms.create_alias(AliasName=name, TargetKeyId=key["KeyMetadata"]["KeyId"])
        return [row(name, self.arn("kms", name), self.region)]   # the key's tags

    def ECRRepository(self):
        ecr = self.c("ecr")
        out = []
        for i in range(2):
            name = "%srepo-%d" % (self.p, i)
            r = ecr.create_repository(repositoryName=name, tags=tag_list())["repository"]
            if i == 1:   # an image, which force deletes with the repository
                ecr.put_image(repositoryName=name, imageTag="latest", imageManifest=json.dumps({
                    "schemaVersion": 2, "mediaType":
                    "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                               "size": 1, "digest": "sha256:" + "a" * 64}, "layers": []}))
            out.append(row(name, r["repositoryArn"], self.region))
        return out

    def CognitoUserPool(self):
        idp = self.c("cognito-idp")
        out = []
        for i in range(2):
            name = "%spool-%d" % (self.p, i)
            p = idp.create_user_pool(PoolName=name, UserPoolTags=TAGS)["UserPool"]
            if i == 1:
                idp.create_user_pool_domain(Domain="%sdomain-%s" % (self.p, p["Id"].lower().replace("_", "-")),
                                            UserPoolId=p["Id"])
            out.append(row(p["Id"], p["Arn"], self.region, name=name))
        return out

    def vpc(self, name):
        ec2 = self.c("ec2")
        v = ec2.create_vpc(CidrBlock="10.42.0.0/16", TagSpecifications=[{
            "ResourceType": "vpc", "Tags": tag_list(dict(TAGS, Name=name))}])["Vpc"]["VpcId"]
        return v

    def EC2SecurityGroup(self):
        ec2 = self.c("ec2")
        vpc = self.vpc(self.p + "sg-vpc")
        out, ids = [], []
        for i in range(2):
            name = "%ssg-%d" % (self.p, i)
            g = ec2.create_security_group(GroupName=name, Description="fixture", VpcId=vpc,
                                          TagSpecifications=[{"ResourceType": "security-group",
                                                              "Tags": tag_list()}])["GroupId"]
            ids.append(g)
            out.append(row(g, self.arn("ec2", "security-group/" + g), self.region, name=name))
        for a, b in ((0, 1), (1, 0)):    # each names the other
            ec2.authorize_security_group_ingress(GroupId=ids[a], IpPermissions=[{
                "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                "UserIdGroupPairs": [{"GroupId": ids[b]}]}])
            ec2.authorize_security_group_egress(GroupId=ids[a], IpPermissions=[{
                "IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": ids[b]}]}])
        return out

    def EC2VPC(self):
        ec2 = self.c("ec2")
        name = self.p + "vpc"
        vpc = self.vpc(name)
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.2.0/24")
        rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=rt, SubnetId=subnet)
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        ec2.create_network_acl(VpcId=vpc)
        return [row(vpc, self.arn("ec2", "vpc/" + vpc), self.region, dict(TAGS, Name=name),
                    name=name)]


POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--prefix", default="fx-")
    ap.add_argument("--types", default="")
    ap.add_argument("--timing", action="store_true", help="per-type seconds on stderr")
    a = ap.parse_args()
    sts = boto3.client("sts", endpoint_url=a.endpoint, region_name=a.region)
    account = sts.get_caller_identity()["Account"]
    f = Fixtures(a.endpoint, a.region, a.prefix, account)
    names = a.types.split(",") if a.types else [
        n for n in dir(Fixtures) if n[0].isupper()]
    result = {}
    for n in names:
        t = time.time()
        result[n] = getattr(f, n)()
        if a.timing:
            print("%-28s %.2fs" % (n, time.time() - t), file=sys.stderr)
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
