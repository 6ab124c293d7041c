#!/bin/sh
# The order API function is wired to this account's table, queue and
# bucket, and runs as the shop's Lambda role.
set -u
. "$(dirname "$0")/lib/junit.sh"
need TIDEPOOL_OUTPUT_API_APIFUNCTIONNAME TIDEPOOL_OUTPUT_DATA_ORDERSTABLENAME \
	TIDEPOOL_OUTPUT_STORAGE_ASSETSBUCKETNAME TIDEPOOL_OUTPUT_BASE_LAMBDAROLEARN
fn=$TIDEPOOL_OUTPUT_API_APIFUNCTIONNAME
conf=${TIDEPOOL_ARTIFACTS:-${TMPDIR:-/tmp}}/api-config.$$.json

fetch() {
	aws lambda get-function-configuration --function-name "$fn" --output json >"$conf"
}

env_wired() {
	t=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Environment"]["Variables"]["ORDERS_TABLE"])' "$conf") || return 1
	expect_eq "ORDERS_TABLE" "$t" "$TIDEPOOL_OUTPUT_DATA_ORDERSTABLENAME" || return 1
	b=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Environment"]["Variables"]["ASSETS_BUCKET"])' "$conf") || return 1
	expect_eq "ASSETS_BUCKET" "$b" "$TIDEPOOL_OUTPUT_STORAGE_ASSETSBUCKETNAME"
}

role() {
	r=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Role"])' "$conf") || return 1
	expect_eq "role" "$r" "$TIDEPOOL_OUTPUT_BASE_LAMBDAROLEARN"
}

case_run "reads the function's configuration" fetch
case_run "environment names this account's table and bucket" env_wired
case_run "runs as the shop's Lambda role" role
junit_finish
