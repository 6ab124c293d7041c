"""Sessions for the cleaner's test scripts: boto3 clients of a member
account, reached as tidepool reaches it (STS AssumeRole of
OrganizationAccountAccessRole with the caller's credentials), at an
explicit endpoint (moto) or AWS's."""
import threading

import boto3
import botocore.config

ROLE = "OrganizationAccountAccessRole"


class Member:
    """Clients of `account` (None: the caller's own account), one per
    (service, region, thread): boto3 clients may be shared across threads,
    but creating them is not thread-safe."""

    def __init__(self, endpoint, account=None, role=ROLE, session_name="tidepool-tests"):
        self.endpoint = endpoint or None
        self.cfg = botocore.config.Config(retries={"max_attempts": 8, "mode": "standard"},
                                          max_pool_connections=64)
        base = boto3.session.Session()
        if account:
            sts = base.client("sts", endpoint_url=self.endpoint, region_name="us-east-1")
            c = sts.assume_role(RoleArn="arn:aws:iam::%s:role/%s" % (account, role),
                                RoleSessionName=session_name)["Credentials"]
            self.session = boto3.session.Session(
                aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                aws_session_token=c["SessionToken"])
        else:
            self.session = base
        self.local = threading.local()
        self.lock = threading.Lock()
        self.account = account or self.client("sts").get_caller_identity()["Account"]

    def client(self, service, region="us-east-1"):
        cache = getattr(self.local, "clients", None)
        if cache is None:
            cache = self.local.clients = {}
        key = (service, region)
        if key not in cache:
            with self.lock:
                cache[key] = self.session.client(service, endpoint_url=self.endpoint,
                                                 region_name=region, config=self.cfg)
        return cache[key]
