#!/bin/sh
# Inventory: reserving stock adds up atomically, and a reservation beyond
# what is on hand is refused by the condition.
set -u
. "$(dirname "$0")/lib/junit.sh"
need TIDEPOOL_OUTPUT_DATA_INVENTORYTABLENAME
table=$TIDEPOOL_OUTPUT_DATA_INVENTORYTABLENAME
sku="sku-$$"

stock() {
	aws dynamodb put-item --table-name "$table" \
		--item "{\"sku\":{\"S\":\"$sku\"},\"on_hand\":{\"N\":\"2\"},\"reserved\":{\"N\":\"0\"}}"
}

reserve() {
	aws dynamodb update-item --table-name "$table" --key "{\"sku\":{\"S\":\"$sku\"}}" \
		--update-expression "ADD reserved :one" \
		--condition-expression "reserved < on_hand" \
		--expression-attribute-values '{":one":{"N":"1"}}'
}

reserve_twice() {
	reserve && reserve || return 1
	got=$(aws dynamodb get-item --table-name "$table" --key "{\"sku\":{\"S\":\"$sku\"}}" \
		--query Item.reserved.N --output text) || return 1
	expect_eq "reserved" "$got" 2
}

third_refused() {
	err=${TIDEPOOL_ARTIFACTS:-${TMPDIR:-/tmp}}/reserve.$$.err
	if reserve 2>"$err"; then
		echo "a third reservation of 2 on hand succeeded" >&2
		return 1
	fi
	grep -q ConditionalCheckFailed "$err" || { cat "$err" >&2; return 1; }
}

case_run "stocks an item" stock
case_run "reserves two" reserve_twice
case_run "refuses a third" third_refused
junit_finish
