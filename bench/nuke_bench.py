#!/usr/bin/env python3
"""bench/nuke's driver: tidepool's cleaner against its baselines on moto.

    nuke_bench.py TIDEPOOL [--objects N] [--skip-s3] [--skip-account] [--latency-ms MS]

1. Emptying a bucket of N objects (default 20,000; unversioned, so that
   `aws s3 rm` removes them too): tidepool (`tidepool nuke` of the account
   restricted to S3Bucket: ListObjectVersions + DeleteObjects batches of
   1,000, several at once, then DeleteBucket) against
   `aws s3 rm --recursive` (one DeleteObject per object) on an identical
   bucket. Both timings include each tool's own start-up and credentials.
2. A whole-account nuke of tests/cleaner/populate.py's resources (two
   regions) with the default parallelism against the same engine with
   --parallel 1, which is how aws-nuke deletes (one resource at a time).
   Each run gets a fresh moto and a freshly populated member account (S3
   bucket names are global, so two accounts cannot hold the same set).
   Then the same two runs again through bench/nuke_latency_proxy.py, which
   adds --latency-ms (default 40) to every request: an extra, labelled
   measurement of what parallelism buys when calls wait, as they do on AWS.

moto runs in one Python process: it serves concurrent requests on threads
that share one interpreter lock, so parallel calls overlap only their
network and parsing time, not moto's own work. Ratios here are therefore a
floor of what the same parallelism buys against AWS, whose latency per call
is tens of milliseconds. The output says so.

Prints two lines (s3 first, the account last):
    bench nuke: s3_empty_seconds=T ratio=R vs aws s3 rm --recursive
    bench nuke: account_nuke_seconds=T ratio=R vs parallelism 1 (aws-nuke)
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import boto3

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
ROLE = "OrganizationAccountAccessRole"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    """moto_server on a free loopback port, in its own process group,
    with an organization of `members` accounts."""

    def __init__(self, members, log):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.env = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                        AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1",
                        AWS_ENDPOINT_URL=self.url, AWS_CONFIG_FILE="/nonexistent",
                        AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
        self.env.pop("AWS_PROFILE", None)
        self.env.pop("AWS_SESSION_TOKEN", None)
        self._wait()
        org = boto3.client("organizations", endpoint_url=self.url, region_name="us-east-1",
                           aws_access_key_id="bench", aws_secret_access_key="bench")
        org.create_organization(FeatureSet="ALL")
        self.members = [org.create_account(Email="m%d@bench.test" % i, AccountName="m%d" % i)
                        ["CreateAccountStatus"]["AccountId"] for i in range(members)]

    def _wait(self):
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    sys.exit("bench/nuke: moto_server exited; install it with "
                             "pip install 'moto[server]'")
                time.sleep(0.1)
        sys.exit("bench/nuke: moto_server did not start")

    def assumed_env(self, account):
        sts = boto3.client("sts", endpoint_url=self.url, region_name="us-east-1",
                           aws_access_key_id="bench", aws_secret_access_key="bench")
        c = sts.assume_role(RoleArn="arn:aws:iam::%s:role/%s" % (account, ROLE),
                            RoleSessionName="bench")["Credentials"]
        return dict(self.env, AWS_ACCESS_KEY_ID=c["AccessKeyId"],
                    AWS_SECRET_ACCESS_KEY=c["SecretAccessKey"], AWS_SESSION_TOKEN=c["SessionToken"])

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)


def run(argv, env, what):
    t0 = time.monotonic()
    p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit("bench/nuke: %s exited %d:\n%s\n%s" % (what, p.returncode, p.stdout[-3000:],
                                                       p.stderr[-3000:]))
    return dt, p.stdout


def populate(moto, account, *extra):
    script = os.path.join(SOURCE, "tests", "cleaner", "populate.py")
    _, out = run([sys.executable, script, "--endpoint", moto.url, "--account", account] +
                 list(extra), moto.env, "populate.py " + " ".join(extra))
    return json.loads(out)


def project(dirname, account, regions, cleaner):
    with open(os.path.join(dirname, "tidepool.yaml"), "w") as f:
        f.write("regions: [%s]\npool:\n  store: sqlite:pool.db\n  role: %s\n"
                "  accounts: [\"%s\"]\ncleaner:\n%s" % (", ".join(regions), ROLE, account,
                                                        cleaner))


def nuke(tidepool, moto, dirname, account, *extra):
    dt, out = run([tidepool, "nuke", "-C", dirname, account, "--no-dry-run", "--yes"] +
                  list(extra), moto.env, "tidepool nuke " + " ".join(extra))
    if "Nuke complete: 0 failed" not in out:
        sys.exit("bench/nuke: the nuke left resources:\n" + out[-3000:])
    return dt


def bench_s3(tidepool, objects, workdir, log):
    moto = Moto(1, log)
    try:
        acct = moto.members[0]
        for name in ("bench-tidepool", "bench-awscli"):
            b = populate(moto, acct, "--big-bucket", name, "--objects", str(objects),
                         "--unversioned")
            print("bench nuke: made %s: %d objects in %.1fs" % (name, b["versions"], b["seconds"]),
                  file=sys.stderr)
        cli, _ = run(["aws", "s3", "rm", "--recursive", "--quiet", "--endpoint-url", moto.url,
                      "s3://bench-awscli"], moto.assumed_env(acct), "aws s3 rm --recursive")
        d = os.path.join(workdir, "s3")
        os.makedirs(d)
        project(d, acct, ["us-east-1"], "  mode: full\n  resource_types: {include: [S3Bucket]}\n"
                "  protect:\n    - {type: S3Bucket, name: bench-awscli}\n")
        tp = nuke(tidepool, moto, d, acct)
        print("bench nuke: aws s3 rm --recursive: %.2fs, tidepool nuke (list, empty, delete the "
              "bucket): %.2fs" % (cli, tp), file=sys.stderr)
        return tp, cli
    finally:
        moto.stop()


class LatencyProxy:
    """bench/nuke_latency_proxy.py in front of `upstream`, adding `ms` per request."""

    def __init__(self, upstream, ms):
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "nuke_latency_proxy.py"),
                                      upstream, str(ms)], stdout=subprocess.PIPE, text=True,
                                     start_new_session=True)
        self.url = "http://127.0.0.1:%s" % self.proc.stdout.readline().strip()

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(10)


def nuke_fresh_account(tidepool, workdir, log, parallel, latency_ms=0):
    """A fresh moto, one member populated, nuked (through the latency proxy
    when latency_ms); the nuke's seconds."""
    moto = Moto(1, log)
    proxy = None
    regions = ["us-east-1", "eu-west-1"]
    label = "%s%s" % ("parallelism " + parallel if parallel else "default parallelism",
                      ", %d ms added per request" % latency_ms if latency_ms else "")
    try:
        acct = moto.members[0]
        pop = populate(moto, acct, "--regions", ",".join(regions))
        d = os.path.join(workdir, "account-%s-%d" % (parallel or "default", latency_ms))
        os.makedirs(d)
        project(d, acct, regions, "  mode: full\n")
        if latency_ms:
            proxy = LatencyProxy(moto.url, latency_ms)
            moto.env = dict(moto.env, AWS_ENDPOINT_URL=proxy.url)
        dt = nuke(tidepool, moto, d, acct, *(["--parallel", parallel] if parallel else []))
        print("bench nuke: %d resources of %d types in 2 regions, %s: %.2fs"
              % (pop["total"], len(pop["counts"]), label, dt), file=sys.stderr)
        return dt
    finally:
        if proxy:
            proxy.stop()
        moto.stop()


def bench_account(tidepool, workdir, log, latency_ms):
    # Parallelism 1 first: if anything, a later run on a warmer machine is favoured,
    # and that is the baseline's.
    slow = nuke_fresh_account(tidepool, workdir, log, "1")
    fast = nuke_fresh_account(tidepool, workdir, log, None)
    print("bench nuke: moto is one Python process: its own work (several ms of CPU per "
          "request) does not run in parallel, so on plain moto the ratio is a floor of what "
          "parallelism buys against AWS", file=sys.stderr)
    if latency_ms:
        lslow = nuke_fresh_account(tidepool, workdir, log, "1", latency_ms)
        lfast = nuke_fresh_account(tidepool, workdir, log, None, latency_ms)
        print("bench nuke: with %d ms added per request (an AWS-like latency, "
              "bench/nuke_latency_proxy.py): %.2fs vs %.2fs, ratio %.1f"
              % (latency_ms, lfast, lslow, lslow / lfast), file=sys.stderr)
    return fast, slow


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tidepool")
    ap.add_argument("--objects", type=int, default=20000)
    ap.add_argument("--skip-s3", action="store_true")
    ap.add_argument("--skip-account", action="store_true")
    ap.add_argument("--latency-ms", type=int, default=40,
                    help="also measure the account nuke through a proxy adding this much "
                         "latency per request (0: do not)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-nuke-") as work, \
            open(os.path.join(work, "moto.log"), "w") as log:
        lines = []
        if not a.skip_s3:
            tp, cli = bench_s3(a.tidepool, a.objects, work, log)
            lines.append("bench nuke: s3_empty_seconds=%.2f ratio=%.1f vs aws s3 rm --recursive"
                         % (tp, cli / tp))
        if not a.skip_account:
            fast, slow = bench_account(a.tidepool, work, log, a.latency_ms)
            lines.append("bench nuke: account_nuke_seconds=%.2f ratio=%.1f vs parallelism 1 "
                         "(aws-nuke)" % (fast, slow / fast))
        for line in lines:
            print(line)


if __name__ == "__main__":
    main()
