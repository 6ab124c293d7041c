#!/usr/bin/env python3
"""Helpers of bench/deploy (not a benchmark by itself).

  deploy_tool.py org ENDPOINT N         create an organization with N member
                                        accounts in moto; print their ids
  deploy_tool.py warm ENDPOINT ID...    one CloudFormation and one STS call in
                                        each account, so neither side of the
                                        benchmark pays moto's first-import cost
  deploy_tool.py plan PROJECT_DIR       the project's stacks in dependency
                                        order, one per line, tab-separated:
                                        name, template or "-", command or "-",
                                        parameters (K=V,...), capabilities,
                                        the watched paths
  deploy_tool.py measure -- CMD...      run CMD; print "wall_s=W cpu_s=C"
                                        (user + system of CMD and every
                                        process it waited for)
  deploy_tool.py pool PROJECT_DIR ID... point the project's pool at these ids
  deploy_tool.py project SRC DST        copy examples/shop for the benchmark:
                                        every Fn::ImportValue replaced by the
                                        value it imports, written with Fn::Sub
                                        (see EXPORTS)
"""
import os
import re
import resource
import shutil
import subprocess
import sys
import time

import boto3
import yaml


# What each export of examples/shop holds, as Fn::Sub can write it. moto
# cannot resolve Fn::ImportValue in a stack made through a change set (its
# change-set stacks see no exports: "No export named ... found" from
# ExecuteChangeSet), and change sets are what `aws cloudformation deploy`
# uses; so both sides of the benchmark deploy the example with its imports
# spelled out. The stacks, resources and depends_on are unchanged.
EXPORTS = {
    "LambdaRoleArn": "arn:aws:iam::${AWS::AccountId}:role/shop-${Stage}-lambda",
    "EventsTopicArn": "arn:aws:sns:${AWS::Region}:${AWS::AccountId}:shop-${Stage}-events",
    "AssetsBucketName": "shop-${Stage}-assets-${AWS::AccountId}",
    "OrdersTableName": "shop-${Stage}-orders",
    "OrdersTableArn": "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/shop-${Stage}-orders",
    "InventoryTableName": "shop-${Stage}-inventory",
    "OrdersQueueUrl": "https://sqs.${AWS::Region}.amazonaws.com/${AWS::AccountId}/shop-${Stage}-orders",
    "OrdersQueueArn": "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:shop-${Stage}-orders",
    "NotificationsTopicArn": "arn:aws:sns:${AWS::Region}:${AWS::AccountId}:shop-${Stage}-notifications",
    "ApiFunctionName": "shop-${Stage}-api",
    "ApiFunctionArn": "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:shop-${Stage}-api",
    "WorkerFunctionName": "shop-${Stage}-worker",
    "WorkerFunctionArn": "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:shop-${Stage}-worker",
}


def project(src, dst):
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".tidepool"))
    pattern = re.compile(r'Fn::ImportValue: !Sub "shop-\$\{Stage\}-(\w+)"')
    for dirpath, _, files in os.walk(dst):
        for name in files:
            if not name.endswith(".yaml") or name == "tidepool.yaml":
                continue
            path = os.path.join(dirpath, name)
            with open(path) as f:
                text = f.read()
            text = pattern.sub(lambda m: 'Fn::Sub: "%s"' % EXPORTS[m.group(1)], text)
            if "ImportValue" in text:
                sys.exit("deploy_tool.py project: %s still imports something" % path)
            with open(path, "w") as f:
                f.write(text)


def client(service, endpoint, creds=None):
    kw = dict(endpoint_url=endpoint, region_name="us-east-1",
              aws_access_key_id="bench", aws_secret_access_key="bench")
    if creds:
        kw.update(aws_access_key_id=creds["AccessKeyId"],
                  aws_secret_access_key=creds["SecretAccessKey"],
                  aws_session_token=creds["SessionToken"])
    return boto3.client(service, **kw)


def org(endpoint, n):
    o = client("organizations", endpoint)
    o.create_organization(FeatureSet="ALL")
    ids = []
    for i in range(int(n)):
        r = o.create_account(Email="bench%d@example.com" % i, AccountName="bench%d" % i)
        ids.append(r["CreateAccountStatus"]["AccountId"])
    print(" ".join(ids))


def warm(endpoint, ids):
    sts = client("sts", endpoint)
    for account in ids:
        creds = sts.assume_role(RoleArn="arn:aws:iam::%s:role/OrganizationAccountAccessRole" % account,
                                RoleSessionName="warm")["Credentials"]
        cfn = client("cloudformation", endpoint, creds)
        cfn.describe_stacks()
        client("s3", endpoint, creds).list_buckets()


def topo(stacks):
    done, order = set(), []
    while len(order) < len(stacks):
        for s in stacks:
            if s["name"] not in done and all(d in done for d in s.get("depends_on", [])):
                done.add(s["name"])
                order.append(s)
    return order


def plan(project):
    with open(os.path.join(project, "tidepool.yaml")) as f:
        cfg = yaml.safe_load(f)
    for s in topo(cfg.get("stacks", [])):
        params = ",".join("%s=%s" % (k, v) for k, v in (s.get("parameters") or {}).items())
        print("\t".join([s["name"], s.get("template") or "-", s.get("command") or "-",
                         params or "-", " ".join(s.get("capabilities") or []) or "-",
                         " ".join(s.get("watch") or []) or "-"]))


def measure(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    rc = subprocess.call(cmd)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print("wall_s=%.3f cpu_s=%.3f" % (wall, cpu))
    if rc != 0:
        print("measure: %s exited %d" % (" ".join(cmd), rc), file=sys.stderr)
    sys.exit(rc)


def pool(project, ids):
    path = os.path.join(project, "tidepool.yaml")
    with open(path) as f:
        text = f.read()
    text = re.sub(r"accounts: \[[^\]]*\]", "accounts: [%s]" % ", ".join('"%s"' % i for i in ids),
                  text, count=1)
    with open(path, "w") as f:
        f.write(text)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "org":
        org(*args)
    elif cmd == "warm":
        warm(args[0], args[1:])
    elif cmd == "plan":
        plan(args[0])
    elif cmd == "measure":
        measure(args[1:] if args and args[0] == "--" else args)
    elif cmd == "pool":
        pool(args[0], args[1:])
    elif cmd == "project":
        project(args[0], args[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
