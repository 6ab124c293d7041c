#!/bin/sh
# Notifications: the orders queue is subscribed to the notifications topic,
# and what is published there reaches a listener subscribed the same way.
set -u
. "$(dirname "$0")/lib/junit.sh"

# aws-cli v1 ignores AWS_ENDPOINT_URL for SQS (it pins the legacy regional
# endpoint), so pass it explicitly when one is in force (a local AWS).
sqs() {
	aws sqs ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} "$@"
}
need TIDEPOOL_OUTPUT_MESSAGING_NOTIFICATIONSTOPICARN TIDEPOOL_OUTPUT_MESSAGING_ORDERSQUEUEARN
topic=$TIDEPOOL_OUTPUT_MESSAGING_NOTIFICATIONSTOPICARN
marker="restock-$$"
listener=""

orders_subscribed() {
	eps=$(aws sns list-subscriptions-by-topic --topic-arn "$topic" \
		--query "Subscriptions[?Protocol=='sqs'].Endpoint" --output text) || return 1
	case $eps in
	*"$TIDEPOOL_OUTPUT_MESSAGING_ORDERSQUEUEARN"*) ;;
	*) echo "sqs endpoints of $topic: $eps" >&2; return 1 ;;
	esac
}

subscribe_listener() {
	listener=$(sqs create-queue --queue-name "notifications-listener-$$" \
		--query QueueUrl --output text) || return 1
	arn=$(sqs get-queue-attributes --queue-url "$listener" --attribute-names QueueArn \
		--query Attributes.QueueArn --output text) || return 1
	aws sns subscribe --topic-arn "$topic" --protocol sqs --notification-endpoint "$arn" \
		--attributes RawMessageDelivery=true >/dev/null
}

delivered() {
	aws sns publish --topic-arn "$topic" --message "$marker" >/dev/null || return 1
	for _ in 1 2 3 4 5; do
		got=$(sqs receive-message --queue-url "$listener" --wait-time-seconds 2 \
			--max-number-of-messages 10 --query 'Messages[].Body' --output text) || return 1
		case $got in
		*"$marker"*) return 0 ;;
		esac
	done
	echo "$marker never reached the listener" >&2
	return 1
}

case_run "orders queue is subscribed to the topic" orders_subscribed
case_run "subscribes a listener queue" subscribe_listener
case_run "a notification reaches the listener" delivered
[ -n "$listener" ] && sqs delete-queue --queue-url "$listener"
junit_finish
