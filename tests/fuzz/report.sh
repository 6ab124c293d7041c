#!/usr/bin/env bash
# report.sh LOG BINARY: what a failed libFuzzer run's LOG says, to stderr:
# libFuzzer's seed, the report from its first line on (capped; without one,
# the log's last lines), and the input it wrote, in base64, so a finding can
# be replayed from CI's output alone. Prints the input's path on stdout
# (nothing when libFuzzer wrote none). Used by smoke.sh and ci/fuzz.
set -euo pipefail

log=${1:?usage: report.sh LOG BINARY}
binary=${2:?usage: report.sh LOG BINARY}

grep -E '^INFO: Seed' "$log" >&2 || true
report='==[0-9]+==|^ALARM|ERROR: libFuzzer|deadly signal|^MS: [0-9]'
if grep -qE "$report" "$log"; then
	echo "the last progress line and the report:" >&2
	awk -v re="$report" '/^#[0-9]+/ { last = $0 }
		!found && $0 ~ re { found = 1; if (last != "") print last }
		found && n++ < 120' "$log" >&2
else
	echo "no report in the log; its last 40 lines:" >&2
	tail -n 40 "$log" >&2
fi
input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
if [ -n "$input" ] && [ -f "$input" ]; then
	# Capped at 100 lines of 76 (5,700 bytes) by cutting the input, not the
	# output: head closing a pipe base64 still writes to is SIGPIPE, which
	# pipefail would make this script's (and its caller's) exit status.
	size=$(stat -c %s "$input")
	echo "the input, base64$([ "$size" -gt 5700 ] && echo ", its first 5700 of $size bytes")" \
	     "(replay: base64 -d > FILE; $binary FILE):" >&2
	head -c 5700 "$input" | base64 -w 76 >&2
	echo "$input"
fi
