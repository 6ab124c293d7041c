#!/bin/sh
# Assets: a product image uploaded to the assets bucket downloads unchanged
# and is listed under its prefix.
set -u
. "$(dirname "$0")/lib/junit.sh"
need TIDEPOOL_OUTPUT_STORAGE_ASSETSBUCKETNAME
bucket=$TIDEPOOL_OUTPUT_STORAGE_ASSETSBUCKETNAME
work=${TIDEPOOL_ARTIFACTS:-$(mktemp -d)}
key="images/mug-$$.bin"

upload() {
	head -c 65536 /dev/urandom >"$work/mug.bin"
	aws s3 cp --only-show-errors "$work/mug.bin" "s3://$bucket/$key"
}

download() {
	aws s3 cp --only-show-errors "s3://$bucket/$key" "$work/back.bin" || return 1
	cmp "$work/mug.bin" "$work/back.bin"
}

listed() {
	got=$(aws s3 ls "s3://$bucket/images/") || return 1
	case $got in
	*"mug-$$.bin"*) ;;
	*) echo "images/ lists: $got" >&2; return 1 ;;
	esac
}

case_run "uploads an image" upload
case_run "downloads it unchanged" download
case_run "lists it under images/" listed
junit_finish
