"""bench/run's arithmetic over tidepool's results.json (see bench/run).

  makespan <results.json>   the schedule's makespan and its lower bound
  cost <results.json>       the runner's own CPU per suite and peak RSS
"""
import json
import sys


def makespan(path):
    r = json.load(open(path))
    accounts = r["max_accounts"]
    tl = r["timeline"]
    start = min(s["start_s"] for s in tl if s["phase"] == "lease")
    end = max(s["end_s"] for s in tl if s["phase"] == "test")
    work, longest = 0.0, 0.0
    for s in r["suites"]:
        for a in s["attempts"]:
            t = (a["test_s"] or 0) + (a["deploy_s"] or 0)
            work += t
            longest = max(longest, t)
    bound = max(longest, work / accounts)
    span = end - start
    print("suites=%d accounts=%d work=%.1fs longest(with deploy)=%.1fs lower_bound=%.1fs "
          "makespan=%.1fs (first lease to last suite end) bound/makespan=%.3f"
          % (len(r["suites"]), accounts, work, longest, bound, span, bound / span))
    return bound / span


def cost(path):
    r = json.load(open(path))
    st = r["stats"]
    n = sum(len(s["attempts"]) for s in r["suites"])
    print("suites=%d max_running=%d loop_cpu=%dms (%.2f ms/suite) process_cpu=%dms (%.2f ms/suite) "
          "peak_rss=%.1fMB" % (n, st["max_running"], st["loop_cpu_ms"], st["loop_cpu_ms"] / n,
                               st["process_cpu_ms"], st["process_cpu_ms"] / n,
                               st["peak_rss_kb"] / 1024.0))
    return st["loop_cpu_ms"] / n, st["peak_rss_kb"] / 1024.0, st["max_running"]


if __name__ == "__main__":
    if sys.argv[1] == "makespan":
        print("ratio=%.3f" % makespan(sys.argv[2]))
    else:
        ms, mb, running = cost(sys.argv[2])
        print("cpu_ms_per_suite=%.3f peak_rss_mb=%.1f max_running=%d" % (ms, mb, running))
