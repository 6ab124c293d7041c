#!/bin/sh
# Order queue: a message sent to the orders queue is received once and
# deleted.
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

send() {
	sqs send-message --queue-url "$queue" --message-body "$body" >/dev/null
}

receive_and_delete() {
	out=$(sqs receive-message --queue-url "$queue" --wait-time-seconds 5 \
		--max-number-of-messages 1 --query 'Messages[0].[Body,ReceiptHandle]' --output text) || return 1
	got=$(printf '%s' "$out" | cut -f1)
	handle=$(printf '%s' "$out" | cut -f2)
	expect_eq "body" "$got" "$body" || return 1
	sqs delete-message --queue-url "$queue" --receipt-handle "$handle"
}

case_run "sends an order" send
case_run "receives and deletes it" receive_and_delete
junit_finish
