#!/bin/sh
# Receipts: a receipt stored in the assets bucket keeps its content type and
# metadata, and receipts are listed by prefix.
set -u
. "$(dirname "$0")/lib/junit.sh"
need TIDEPOOL_OUTPUT_STORAGE_ASSETSBUCKETNAME
bucket=$TIDEPOOL_OUTPUT_STORAGE_ASSETSBUCKETNAME
work=${TIDEPOOL_ARTIFACTS:-${TMPDIR:-/tmp}}
prefix="receipts/run-$$/"

store() {
	printf '{"order_id": "r1", "total": 10}' >"$work/r1.json"
	printf '{"order_id": "r2", "total": 12}' >"$work/r2.json"
	for r in r1 r2; do
		aws s3api put-object --bucket "$bucket" --key "$prefix$r.json" --body "$work/$r.json" \
			--content-type application/json --metadata "order=$r,channel=web" >/dev/null || return 1
	done
}

metadata() {
	out=$(aws s3api head-object --bucket "$bucket" --key "${prefix}r2.json" \
		--query '[ContentType, Metadata.order, Metadata.channel]' --output text) || return 1
	expect_eq "content type and metadata" "$(printf '%s' "$out" | tr '\t' ' ')" "application/json r2 web"
}

listed() {
	n=$(aws s3api list-objects-v2 --bucket "$bucket" --prefix "$prefix" \
		--query 'length(Contents)' --output text) || return 1
	expect_eq "receipts under $prefix" "$n" 2
}

case_run "stores two receipts" store
case_run "keeps content type and metadata" metadata
case_run "lists receipts by prefix" listed
junit_finish
