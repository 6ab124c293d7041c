#!/bin/sh
# Order queue: shaped for the worker that consumes it, and an order sent to
# it is taken (queued, or already in flight to the worker when the worker
# stack is deployed in this account too).
set -u
. "$(dirname "$0")/lib/junit.sh"

# aws-cli v1 ignores AWS_ENDPOINT_URL for SQS (it pins the legacy regional
# endpoint), so pass it explicitly when one is in force (a local AWS).
sqs() {
	aws sqs ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} "$@"
}
need TIDEPOOL_OUTPUT_MESSAGING_ORDERSQUEUEURL
queue=$TIDEPOOL_OUTPUT_MESSAGING_ORDERSQUEUEURL
body="{\"order_id\":\"q-$$\"}"

fits_worker() {
	v=$(sqs get-queue-attributes --queue-url "$queue" --attribute-names VisibilityTimeout \
		--query Attributes.VisibilityTimeout --output text) || return 1
	# longer than the worker function's 30 s timeout, as Lambda requires
	expect_eq "visibility timeout" "$v" 60
}

send() {
	md5=$(sqs send-message --queue-url "$queue" --message-body "$body" \
		--query MD5OfMessageBody --output text) || return 1
	want=$(printf '%s' "$body" | md5sum | cut -d' ' -f1)
	expect_eq "MD5 of the body" "$md5" "$want"
}

taken() {
	n=$(sqs get-queue-attributes --queue-url "$queue" \
		--attribute-names ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible \
		--query 'sum([to_number(Attributes.ApproximateNumberOfMessages), to_number(Attributes.ApproximateNumberOfMessagesNotVisible)])' \
		--output text) || return 1
	n=${n%.*}
	[ "$n" -ge 1 ] || { echo "the orders queue holds $n messages" >&2; return 1; }
}

case_run "fits the worker's timeout" fits_worker
case_run "sends an order" send
case_run "the order is queued or in flight" taken
junit_finish
