"""A probe suite: records what a suite process sees, for tidepool's own
tests (and as the smallest example of a suite).

It calls STS GetCallerIdentity with the credentials it was given, and
writes to $PROBE_DIR/<suite>-<attempt>.json: the suite, the account
tidepool says it runs in, the identity STS returned, its start and end
(wall clock), its process group, and its whole environment. It then
sleeps $PROBE_SLEEP seconds (default 0.2), writes one JUnit test case to
$TIDEPOOL_JUNIT, and exits 1 when $PROBE_FAIL names it (a comma-separated
list of suites), else 0.
"""
import json
import os
import sys
import time
import xml.etree.ElementTree as ET

import boto3


def main():
    start = time.time()
    suite = os.environ.get("TIDEPOOL_SUITE", "probe")
    identity = boto3.client("sts").get_caller_identity()
    time.sleep(float(os.environ.get("PROBE_SLEEP", "0.2")))
    failing = suite in os.environ.get("PROBE_FAIL", "").split(",")
    end = time.time()
    record = {
        "suite": suite,
        "attempt": os.environ.get("TIDEPOOL_ATTEMPT"),
        "account": os.environ.get("TIDEPOOL_ACCOUNT_ID"),
        "identity": {"Account": identity["Account"], "Arn": identity["Arn"]},
        "start": start,
        "end": end,
        "pgid": os.getpgid(0),
        "env": dict(os.environ),
    }
    out = os.environ.get("PROBE_DIR")
    if out:
        path = os.path.join(out, "%s-%s.json" % (suite, record["attempt"]))
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
    junit = os.environ.get("TIDEPOOL_JUNIT")
    if junit:
        root = ET.Element("testsuites")
        ts = ET.SubElement(root, "testsuite", name=suite, tests="1",
                           failures="1" if failing else "0")
        tc = ET.SubElement(ts, "testcase", classname="probe", name="caller identity",
                           time="%.3f" % (end - start))
        if failing:
            ET.SubElement(tc, "failure", message="asked to fail (PROBE_FAIL)").text = suite
        ET.ElementTree(root).write(junit, encoding="utf-8", xml_declaration=True)
    print("%s ran in %s as %s" % (suite, identity["Account"], identity["Arn"]))
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
