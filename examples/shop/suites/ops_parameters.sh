#!/bin/sh
# Ops: the functions parameter lists both functions, and the alerts topic
# triggers the worker.
set -u
. "$(dirname "$0")/lib/junit.sh"
need TIDEPOOL_OUTPUT_OPS_FUNCTIONSPARAMETERNAME TIDEPOOL_OUTPUT_OPS_ALERTSTOPICARN \
	TIDEPOOL_OUTPUT_API_APIFUNCTIONNAME TIDEPOOL_OUTPUT_WORKER_WORKERFUNCTIONNAME
param=$TIDEPOOL_OUTPUT_OPS_FUNCTIONSPARAMETERNAME

functions_listed() {
	v=$(aws ssm get-parameter --name "$param" --query Parameter.Value --output text) || return 1
	expect_eq "$param" "$v" "$TIDEPOOL_OUTPUT_API_APIFUNCTIONNAME,$TIDEPOOL_OUTPUT_WORKER_WORKERFUNCTIONNAME"
}

alerts_to_worker() {
	eps=$(aws sns list-subscriptions-by-topic --topic-arn "$TIDEPOOL_OUTPUT_OPS_ALERTSTOPICARN" \
		--query 'Subscriptions[].Endpoint' --output text) || return 1
	case $eps in
	*":function:$TIDEPOOL_OUTPUT_WORKER_WORKERFUNCTIONNAME"*) ;;
	*) echo "alerts topic endpoints: $eps" >&2; return 1 ;;
	esac
}

case_run "functions parameter lists api and worker" functions_listed
case_run "alerts topic triggers the worker" alerts_to_worker
junit_finish
