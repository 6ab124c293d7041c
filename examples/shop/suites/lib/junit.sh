# Tiny test helpers for the shop's shell suites: run named cases, print what
# failed, and write JUnit XML to $TIDEPOOL_JUNIT when tidepool asks for it.
#
#   . "$(dirname "$0")/lib/junit.sh"
#   case_run "puts an order" put_order      # a shell function; non-zero fails
#   junit_finish                            # writes the XML, exits 1 on failure
#
# Needs only POSIX sh and date.

_junit_cases=""
_junit_failed=0
_junit_suite=${TIDEPOOL_SUITE:-$(basename "$0" .sh)}
_junit_out=$(mktemp)

_xml_escape() {
	sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'
}

_now() {
	date +%s.%N 2>/dev/null || date +%s
}

# case_run NAME COMMAND [ARGS...]: run one case, record pass/fail and time.
case_run() {
	name=$1
	shift
	start=$(_now)
	if "$@" >"$_junit_out" 2>&1; then
		status=0
	else
		status=$?
	fi
	end=$(_now)
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
	cat "$_junit_out"
	ename=$(printf '%s' "$name" | _xml_escape)
	if [ "$status" -eq 0 ]; then
		echo "PASS $name (${secs}s)"
		_junit_cases="$_junit_cases<testcase classname=\"$_junit_suite\" name=\"$ename\" time=\"$secs\"/>"
	else
		echo "FAIL $name (exit $status)"
		_junit_failed=$((_junit_failed + 1))
		detail=$(tail -n 40 "$_junit_out" | _xml_escape)
		_junit_cases="$_junit_cases<testcase classname=\"$_junit_suite\" name=\"$ename\" time=\"$secs\"><failure message=\"exit $status\">$detail</failure></testcase>"
	fi
}

# expect_eq WHAT GOT WANT: fail the current case with a readable message.
expect_eq() {
	if [ "$2" != "$3" ]; then
		echo "$1: got '$2', want '$3'" >&2
		return 1
	fi
}

junit_finish() {
	rm -f "$_junit_out"
	if [ -n "${TIDEPOOL_JUNIT:-}" ]; then
		{
			printf '<?xml version="1.0" encoding="UTF-8"?>\n'
			printf '<testsuites><testsuite name="%s" failures="%d">' "$_junit_suite" "$_junit_failed"
			printf '%s' "$_junit_cases"
			printf '</testsuite></testsuites>\n'
		} >"$TIDEPOOL_JUNIT"
	fi
	[ "$_junit_failed" -eq 0 ]
	exit $?
}

# need VAR...: fail at once when a stack output the suite needs is missing.
need() {
	for v in "$@"; do
		eval "val=\${$v:-}"
		if [ -z "$val" ]; then
			echo "missing $v: is the stack that provides it in this suite's stacks?" >&2
			exit 2
		fi
	done
}
