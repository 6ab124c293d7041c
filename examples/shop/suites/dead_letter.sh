#!/bin/sh
# Dead letters: the orders queue hands a message to its dead-letter queue
# after three failed receives.
set -u
. "$(dirname "$0")/lib/junit.sh"

# aws-cli v1 ignores AWS_ENDPOINT_URL for SQS (it pins the legacy regional
# endpoint), so pass it explicitly when one is in force (a local AWS).
sqs() {
	aws sqs ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} "$@"
}
need TIDEPOOL_OUTPUT_MESSAGING_ORDERSQUEUEURL TIDEPOOL_OUTPUT_MESSAGING_DEADLETTERQUEUEURL
queue=$TIDEPOOL_OUTPUT_MESSAGING_ORDERSQUEUEURL
dlq=$TIDEPOOL_OUTPUT_MESSAGING_DEADLETTERQUEUEURL

redrive() {
	policy=$(sqs get-queue-attributes --queue-url "$queue" --attribute-names RedrivePolicy \
		--query Attributes.RedrivePolicy --output text) || return 1
	dlq_arn=$(sqs get-queue-attributes --queue-url "$dlq" --attribute-names QueueArn \
		--query Attributes.QueueArn --output text) || return 1
	case $policy in
	*"$dlq_arn"*) ;;
	*) echo "redrive policy $policy does not name $dlq_arn" >&2; return 1 ;;
	esac
	case $policy in
	*'"maxReceiveCount": 3'* | *'"maxReceiveCount":3'* | *'"maxReceiveCount": "3"'* | *'"maxReceiveCount":"3"'*) ;;
	*) echo "redrive policy $policy: maxReceiveCount is not 3" >&2; return 1 ;;
	esac
}

retention() {
	secs=$(sqs get-queue-attributes --queue-url "$dlq" --attribute-names MessageRetentionPeriod \
		--query Attributes.MessageRetentionPeriod --output text) || return 1
	expect_eq "dead-letter retention" "$secs" 1209600
}

case_run "redrives to the dead-letter queue after 3 receives" redrive
case_run "keeps dead letters for 14 days" retention
junit_finish
