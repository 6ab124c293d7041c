#!/bin/sh
# Notifications: what is published to the notifications topic arrives on
# the orders queue (its SQS subscription).
set -u
. "$(dirname "$0")/lib/junit.sh"

# aws-cli v1 ignores AWS_ENDPOINT_URL for SQS (it pins the legacy regional
# endpoint), so pass it explicitly when one is in force (a local AWS).
sqs() {
	aws sqs ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} "$@"
}
need TIDEPOOL_OUTPUT_MESSAGING_NOTIFICATIONSTOPICARN TIDEPOOL_OUTPUT_MESSAGING_ORDERSQUEUEURL
topic=$TIDEPOOL_OUTPUT_MESSAGING_NOTIFICATIONSTOPICARN
queue=$TIDEPOOL_OUTPUT_MESSAGING_ORDERSQUEUEURL
marker="restock-$$"

subscribed() {
	n=$(aws sns list-subscriptions-by-topic --topic-arn "$topic" \
		--query "length(Subscriptions[?Protocol=='sqs'])" --output text) || return 1
	[ "$n" -ge 1 ] || { echo "no sqs subscription on $topic" >&2; return 1; }
}

delivered() {
	aws sns publish --topic-arn "$topic" --message "$marker" >/dev/null || return 1
	for _ in 1 2 3 4 5; do
		got=$(sqs receive-message --queue-url "$queue" --wait-time-seconds 2 \
			--max-number-of-messages 10 --query 'Messages[].Body' --output text) || return 1
		case $got in
		*"$marker"*) return 0 ;;
		esac
	done
	echo "$marker never reached $queue" >&2
	return 1
}

case_run "queue is subscribed to the topic" subscribed
case_run "a notification reaches the queue" delivered
junit_finish
