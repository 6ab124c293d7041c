#!/usr/bin/env python3
"""Check tests/faultproxy.py's faults the way botocore (the suites' SDK) sees them.

    faultproxy_check.py PROXY_URL

With every request throttled, then every request failing with a 5xx, one
call per protocol (query, EC2, JSON 1.0 and 1.1, DynamoDB, S3 REST-XML, S3
HEAD, REST-XML Route 53, REST-JSON) is made through the proxy with retries
off; botocore must parse the error code the proxy meant and classify it
as its standard retry mode does: a throttling error, or a transient one.
Leaves every rate at 0. Exits 1 with one line per mismatch.
"""
import json
import sys
import urllib.request

import boto3
import botocore
from botocore.config import Config
from botocore.retries import standard

CALLS = [
    # (service, call, protocol, code when throttled)
    ("sts", lambda c: c.get_caller_identity(), "query", "Throttling"),
    ("cloudformation", lambda c: c.list_stacks(), "query", "Throttling"),
    ("ec2", lambda c: c.describe_vpcs(), "ec2", "RequestLimitExceeded"),
    ("sqs", lambda c: c.list_queues(), "json 1.0", "ThrottlingException"),
    ("logs", lambda c: c.describe_log_groups(), "json 1.1", "ThrottlingException"),
    ("dynamodb", lambda c: c.list_tables(), "dynamodb", "ProvisionedThroughputExceededException"),
    ("s3", lambda c: c.list_buckets(), "rest-xml", "SlowDown"),
    ("s3", lambda c: c.head_bucket(Bucket="no-such-bucket"), "rest-xml HEAD", "503"),
    ("route53", lambda c: c.list_hosted_zones(), "rest-xml", "Throttling"),
    ("lambda", lambda c: c.list_functions(), "rest-json", "TooManyRequestsException"),
]


def set_rates(url, **rates):
    req = urllib.request.Request(url + "/__faults", data=json.dumps(rates).encode(), method="POST")
    urllib.request.urlopen(req).read()


def client(url, service):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


class Status:
    def __init__(self, code):
        self.status_code = code


def check(kind, service, proto, want, response):
    """What is wrong with botocore's view of one injected fault (a list)."""
    err, meta, bad = response["Error"], response["ResponseMetadata"], []
    status = meta["HTTPStatusCode"]
    ctx = standard.RetryContext(attempt_number=1, operation_model=None,
                                parsed_response=response, http_response=Status(status))
    throttled = standard.ThrottledRetryableChecker().is_retryable(ctx)
    transient = standard.TransientRetryableChecker().is_retryable(ctx)
    if kind == "throttle" and err.get("Code") != want:
        bad.append("throttle %s (%s): code %r, want %r" % (service, proto, err.get("Code"), want))
    # a HEAD answer has no body, so no code: botocore goes by the 503
    if not (throttled if kind == "throttle" and want.isalpha() else transient):
        bad.append("%s %s (%s): botocore does not retry %r (HTTP %s) as %s"
                   % (kind, service, proto, err.get("Code"), status,
                      "throttling" if kind == "throttle" else "transient"))
    print("%-8s %-15s %-14s %3s %s" % (kind, service, proto, status, err.get("Code")))
    return bad


def main():
    url = sys.argv[1]
    bad = []
    for kind in ("throttle", "error"):
        set_rates(url, throttle=1.0 if kind == "throttle" else 0.0,
                  error=1.0 if kind == "error" else 0.0, reset=0.0, truncate=0.0, slow=0.0)
        for service, call, proto, want in CALLS:
            try:
                call(client(url, service))
                bad.append("%s %s (%s): no error" % (kind, service, proto))
            except botocore.exceptions.ClientError as e:
                bad += check(kind, service, proto, want, e.response)
    set_rates(url, throttle=0.0, error=0.0)
    for line in bad:
        print("MISMATCH: " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
