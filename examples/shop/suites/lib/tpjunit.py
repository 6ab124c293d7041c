"""A small test runner for the shop's Python suites (used where pytest is
not installed): run the test_* functions of a module, print a line per
test, and write JUnit XML to $TIDEPOOL_JUNIT when tidepool asks for it.

    from tpjunit import main
    def test_something(): assert ...
    if __name__ == "__main__":
        main(globals())
"""
import os
import sys
import time
import traceback
import xml.etree.ElementTree as ET


def need(*names):
    """The values of environment variables a suite needs (stack outputs)."""
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        sys.exit("missing %s: is the stack that provides it in this suite's stacks?"
                 % ", ".join(missing))
    return [os.environ[n] for n in names]


def main(namespace):
    suite = os.environ.get("TIDEPOOL_SUITE") or os.path.basename(sys.argv[0])
    tests = [(n, f) for n, f in namespace.items() if n.startswith("test_") and callable(f)]
    tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
    root = ET.Element("testsuites")
    ts = ET.SubElement(root, "testsuite", name=suite)
    failures = 0
    for name, fn in tests:
        start = time.time()
        tc = ET.SubElement(ts, "testcase", classname=suite, name=name)
        try:
            fn()
        except Exception as e:  # a failed assertion or an AWS error
            failures += 1
            f = ET.SubElement(tc, "failure", message="%s: %s" % (type(e).__name__, e))
            f.text = traceback.format_exc()
            print("FAIL %s: %s" % (name, e))
            traceback.print_exc()
        else:
            print("PASS %s" % name)
        tc.set("time", "%.3f" % (time.time() - start))
    ts.set("tests", str(len(tests)))
    ts.set("failures", str(failures))
    path = os.environ.get("TIDEPOOL_JUNIT")
    if path:
        ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    sys.stdout.flush()
    sys.exit(1 if failures else 0)
