"""bench/load's arithmetic over tidepool's results.json (see bench/load).

  serial <results.json>                        seconds per suite run one at a time
  load <results.json> <serial_s> <total_cpu_s> <machine_cpu_s> <wall_s>
                                               the numbers and the last line
"""
import json
import os
import sys


def attempts(r):
    return [a for s in r["suites"] for a in s["attempts"]]


def serial(path):
    r = json.load(open(path))
    tests = [a["test_s"] for a in attempts(r) if a["test_s"] is not None]
    print("%.4f" % (sum(tests) / len(tests)))


def load(path, per_suite, total_cpu, machine_cpu, wall):
    r = json.load(open(path))
    c, st, aws = r["counts"], r["stats"], r["aws"]
    tl = r["timeline"]
    start = min(s["start_s"] for s in tl if s["phase"] == "lease")
    end = max(s["end_s"] for s in tl if s["phase"] == "test")
    span = end - start
    n = c["suites"]
    cores = os.cpu_count() or 1
    serial_s = n * per_suite
    ok = r["exit_code"] == 0 and c["failed"] == 0 and c["errors"] == 0 and c["passed"] == n
    print("load: %d suites on %d accounts: %d passed, %d failed, %d errors, %d flaky, exit %d"
          % (n, r["max_accounts"], c["passed"], c["failed"], c["errors"], c["flaky"],
             r["exit_code"]))
    print("makespan %.1f s (first lease to last suite end; whole run %.1f s with deploys and "
          "cleaning), %.2f suites/s, %d suites at once at most"
          % (span, r["duration_s"], n / span, st["max_running"]))
    print("runner: peak RSS %.1f MB, CPU %.1f s (%.1f ms/suite; the loop thread %.1f s), "
          "%d AWS calls, %d retries"
          % (st["peak_rss_kb"] / 1024.0, st["process_cpu_ms"] / 1000.0,
             st["process_cpu_ms"] / n, st["loop_cpu_ms"] / 1000.0, aws["calls"], aws["retries"]))
    print("machine: %.0f s of CPU in all (runner, moto, suites) on %d cores: no schedule beats "
          "%.0f s here; the cores were %.0f %% busy during the run, %.0f s of it other processes"
          % (total_cpu, cores, total_cpu / cores, 100.0 * machine_cpu / (cores * wall),
             max(0.0, machine_cpu - total_cpu)))
    print("baseline: one suite at a time on one account takes %.3f s; x %d = %.0f s"
          % (per_suite, n, serial_s))
    print("bench load: makespan_s=%.1f suites_per_s=%.2f peak_rss_mb=%.1f runner_cpu_s=%.1f "
          "errors=%d ratio=%.2f vs serial"
          % (span, n / span, st["peak_rss_kb"] / 1024.0, st["process_cpu_ms"] / 1000.0,
             c["failed"] + c["errors"], serial_s / span))
    return ok


if __name__ == "__main__":
    if sys.argv[1] == "serial":
        serial(sys.argv[2])
    else:
        sys.exit(0 if load(sys.argv[2], *[float(a) for a in sys.argv[3:7]]) else 1)
