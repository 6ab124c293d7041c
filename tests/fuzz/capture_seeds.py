#!/usr/bin/env python3
"""Capture real AWS-shaped responses from moto for the fuzz seed corpora.

    tests/fuzz/capture_seeds.py [OUT_DIR]     (default: tests/fuzz/corpus)

Starts moto_server on a free loopback port, makes the calls tidepool makes
(STS, CloudFormation, IAM, EC2, SNS, S3, DynamoDB, SQS, KMS, Lambda, Logs,
Secrets Manager, SSM, ...), successes and errors, through boto3, and writes
every raw response body into OUT_DIR/xml/ or OUT_DIR/json/ in the input
format of tests/fuzz/fuzz_xml.c / fuzz_json.c:

    xml:  control byte, header line, deployer script line, body
    json: control byte, header line (X-Amzn-ErrorType), body

The corpora in the repository were made with it (moto 5); rerun it after
teaching tidepool a new service. Files are named <service>-<operation>[-error].
"""
import io
import os
import socket
import subprocess
import sys
import time
import zipfile

import boto3
from botocore.config import Config

STATUS = {400: 0, 403: 1, 404: 2, 409: 3, 429: 4, 500: 5, 503: 6, 301: 7}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Capture:
    def __init__(self, out):
        self.out = out
        self.n = 0
        for d in ("xml", "json"):
            os.makedirs(os.path.join(out, d), exist_ok=True)

    def hook(self, http_response, model, **_):
        body = http_response.content or b""
        status = http_response.status_code
        kind = "json" if body.lstrip()[:1] in (b"{", b"[") or model.service_model.protocol in (
            "json", "rest-json") else "xml"
        if not body.strip() and kind == "xml":
            return
        name = "%s-%s%s" % (model.service_model.endpoint_prefix, model.name,
                            "" if status < 300 else "-error")
        ctl = STATUS.get(status, 0)
        header = http_response.headers.get("x-amzn-ErrorType") or \
            http_response.headers.get("x-amzn-RequestId") or \
            http_response.headers.get("x-amz-request-id") or ""
        lines = [bytes([ctl]) + header.encode()]
        if kind == "xml":
            lines.append(b"")          # the deployer's script: the body for every call
        path = os.path.join(self.out, kind, name)
        i = 1
        while os.path.exists(path):
            i += 1
            path = os.path.join(self.out, kind, "%s.%d" % (name, i))
        with open(path, "wb") as f:
            f.write(b"\n".join(lines) + b"\n" + body)
        self.n += 1


def calls(make, region):
    def attempt(fn, *a, **kw):
        try:
            return fn(*a, **kw)
        except Exception:     # errors are captured as well; that is the point
            return None

    sts = make("sts")
    attempt(sts.get_caller_identity)
    attempt(sts.assume_role, RoleArn="arn:aws:iam::111111111111:role/OrganizationAccountAccessRole",
                    RoleSessionName="tidepool-run-orders")

    iam = make("iam")
    attempt(iam.create_role, RoleName="app-role", AssumeRolePolicyDocument="{}",
                    Tags=[{"Key": "aws:cloudformation:stack-name", "Value": "api"}])
    attempt(iam.list_roles)
    attempt(iam.list_role_tags, RoleName="app-role")
    attempt(iam.create_user, UserName="ci")
    attempt(iam.list_users)
    attempt(iam.create_policy, PolicyName="p",
            PolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                           '"Action": "s3:*", "Resource": "*"}]}')
    attempt(iam.list_policies, Scope="Local")
    attempt(iam.get_role, RoleName="missing")
    attempt(iam.create_instance_profile, InstanceProfileName="ip")
    attempt(iam.list_instance_profiles)

    cfn = make("cloudformation")
    tmpl = '{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}'
    attempt(cfn.create_stack, StackName="api", TemplateBody=tmpl,
                     Tags=[{"Key": "tidepool:hash", "Value": "0123abcd"},
                           {"Key": "tidepool:managed", "Value": "true"}])
    attempt(cfn.describe_stacks, StackName="api")
    attempt(cfn.describe_stack_events, StackName="api")
    attempt(cfn.update_stack, StackName="api", TemplateBody=tmpl)
    attempt(cfn.describe_stacks, StackName="missing")
    attempt(cfn.create_stack, StackName="bad", TemplateBody='{"Resources": {"Q": {"Type": "AWS::SQS::Queue",'
                     '"Properties": {"QueueName": "x", "Nonsense": 1}}}}')
    attempt(cfn.describe_stack_events, StackName="bad")
    attempt(cfn.list_stacks)
    attempt(cfn.delete_stack, StackName="bad")

    ec2 = make("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    attempt(ec2.create_tags, Resources=[vpc], Tags=[{"Key": "team", "Value": "fuzz"}])
    attempt(ec2.describe_vpcs)
    attempt(ec2.create_security_group, GroupName="sg", Description="d", VpcId=vpc)
    attempt(ec2.describe_security_groups)
    attempt(ec2.delete_vpc, VpcId="vpc-00000000")

    sns = make("sns")
    arn = sns.create_topic(Name="orders", Tags=[{"Key": "k", "Value": "v"}])["TopicArn"]
    attempt(sns.list_topics)
    attempt(sns.list_tags_for_resource, ResourceArn=arn)
    attempt(sns.list_subscriptions)
    attempt(sns.get_topic_attributes, TopicArn=arn + "-missing")

    cw = make("cloudwatch")
    attempt(cw.put_metric_alarm, AlarmName="a", MetricName="m", Namespace="n", Statistic="Sum",
                        Period=60, EvaluationPeriods=1, Threshold=1,
                        ComparisonOperator="GreaterThanThreshold")
    attempt(cw.describe_alarms)

    s3 = make("s3")
    attempt(s3.create_bucket, Bucket="tidepool-artifacts-111111111111-us-east-1")
    attempt(s3.put_bucket_tagging, Bucket="tidepool-artifacts-111111111111-us-east-1",
                          Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    attempt(s3.list_buckets)
    attempt(s3.get_bucket_tagging, Bucket="tidepool-artifacts-111111111111-us-east-1")
    attempt(s3.put_object, Bucket="tidepool-artifacts-111111111111-us-east-1", Key="a b/c.yaml", Body=b"x")
    attempt(s3.list_object_versions, Bucket="tidepool-artifacts-111111111111-us-east-1")
    attempt(s3.list_objects_v2, Bucket="tidepool-artifacts-111111111111-us-east-1")
    attempt(s3.get_bucket_tagging, Bucket="nope-missing-bucket")
    attempt(s3.delete_bucket, Bucket="tidepool-artifacts-111111111111-us-east-1")

    ddb = make("dynamodb")
    attempt(ddb.create_table, TableName="pool", KeySchema=[{"AttributeName": "account", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "account", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    attempt(ddb.describe_table, TableName="pool")
    item = {"account": {"S": "111111111111"}, "state": {"S": "leased"}, "version": {"N": "7"},
            "holder": {"S": "ci@runner"}, "run_id": {"S": "r-1"}, "leased_at": {"N": "1700000000"},
            "expires_at": {"N": "1700007200"}, "changed_at": {"N": "1700000000"},
            "failed_cleans": {"N": "0"}, "stacks": {"M": {"api": {"S": "0123abcd"}}},
            "op": {"S": "0f" * 16}}
    attempt(ddb.put_item, TableName="pool", Item=item)
    attempt(ddb.get_item, TableName="pool", Key={"account": {"S": "111111111111"}}, ConsistentRead=True)
    attempt(ddb.scan, TableName="pool", ConsistentRead=True)
    attempt(ddb.update_item, TableName="pool", Key={"account": {"S": "111111111111"}},
            UpdateExpression="SET #v = :v", ConditionExpression="#v = :old",
            ExpressionAttributeNames={"#v": "version"},
            ExpressionAttributeValues={":v": {"N": "8"}, ":old": {"N": "1"}})
    attempt(ddb.list_tables)
    attempt(ddb.list_tags_of_resource, ResourceArn=ddb.describe_table(TableName="pool")["Table"]["TableArn"])
    attempt(ddb.describe_table, TableName="missing")

    sqs = make("sqs")
    url = sqs.create_queue(QueueName="orders", tags={"team": "fuzz"})["QueueUrl"]
    attempt(sqs.list_queues)
    attempt(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["QueueArn", "CreatedTimestamp"])
    attempt(sqs.list_queue_tags, QueueUrl=url)
    attempt(sqs.get_queue_attributes, QueueUrl=url + "-missing", AttributeNames=["All"])

    kms = make("kms")
    key = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "fuzz"}])["KeyMetadata"]["KeyId"]
    attempt(kms.list_keys)
    attempt(kms.describe_key, KeyId=key)
    attempt(kms.list_resource_tags, KeyId=key)
    attempt(kms.create_alias, AliasName="alias/fuzz", TargetKeyId=key)
    attempt(kms.list_aliases)
    attempt(kms.describe_key, KeyId="00000000-0000-0000-0000-000000000000")

    logs = make("logs")
    attempt(logs.create_log_group, logGroupName="/aws/lambda/f", tags={"team": "fuzz"})
    attempt(logs.describe_log_groups)
    attempt(logs.delete_log_group, logGroupName="/missing")

    sm = make("secretsmanager")
    attempt(sm.create_secret, Name="s", SecretString="x", Tags=[{"Key": "k", "Value": "v"}])
    attempt(sm.list_secrets)
    attempt(sm.describe_secret, SecretId="missing")

    ssm = make("ssm")
    attempt(ssm.put_parameter, Name="/app/p", Value="v", Type="String")
    attempt(ssm.describe_parameters)
    attempt(ssm.list_tags_for_resource, ResourceType="Parameter", ResourceId="/app/p")

    events = make("events")
    attempt(events.create_event_bus, Name="bus")
    attempt(events.list_event_buses)
    attempt(events.put_rule, Name="r", ScheduleExpression="rate(1 minute)")
    attempt(events.list_rules)

    kin = make("kinesis")
    attempt(kin.create_stream, StreamName="st", ShardCount=1)
    attempt(kin.list_streams)
    attempt(kin.describe_stream_summary, StreamName="st")

    ecr = make("ecr")
    attempt(ecr.create_repository, repositoryName="repo")
    attempt(ecr.describe_repositories)

    sfn = make("stepfunctions")
    attempt(sfn.list_state_machines)

    cog = make("cognito-idp")
    attempt(cog.create_user_pool, PoolName="p")
    attempt(cog.list_user_pools, MaxResults=10)

    org = make("organizations")
    attempt(org.create_organization, FeatureSet="ALL")
    attempt(org.list_roots)
    attempt(org.list_accounts)

    lam = make("lambda")
    role = "arn:aws:iam::123456789012:role/app-role"
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("index.py", "def handler(e, c):\n    return 1\n")
    attempt(lam.create_function, FunctionName="f", Runtime="python3.11", Role=role,
            Handler="index.handler", Code={"ZipFile": z.getvalue()}, Tags={"team": "fuzz"})
    attempt(lam.list_functions)
    attempt(lam.get_function, FunctionName="missing")
    attempt(lam.list_event_source_mappings)
    attempt(lam.list_layers)

    apigw = make("apigateway")
    attempt(apigw.create_rest_api, name="api", tags={"team": "fuzz"})
    attempt(apigw.get_rest_apis)
    attempt(apigw.get_rest_api, restApiId="missing")
    apigw2 = make("apigatewayv2")
    attempt(apigw2.create_api, Name="h", ProtocolType="HTTP")
    attempt(apigw2.get_apis)

    fh = make("firehose")
    attempt(fh.list_delivery_streams)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")
    port = free_port()
    server = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = "http://127.0.0.1:%d" % port
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        cap = Capture(out)
        session = boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x",
                                region_name="us-east-1")

        def make(service):
            c = session.client(service, endpoint_url=url,
                               config=Config(retries={"max_attempts": 1}))
            c.meta.events.register("after-call", lambda **kw: cap.hook(
                kw["http_response"], kw["model"]))
            return c
        calls(make, "us-east-1")
        print("captured %d responses into %s" % (cap.n, out))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
