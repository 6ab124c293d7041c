#!/bin/sh
# A suite of tests/integration/test_secrets.c: records the credentials
# tidepool handed it in $SECRETS_FILE (a path outside anything tidepool
# writes, given through the suite's `env`), uses them, writes JUnit, and
# prints only harmless lines. With FAIL_FIRST=1 its first attempt fails (so
# failure paths, log tails in JUnit and results.json, are covered too).
set -eu
printf '%s\n%s\n%s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" \
	>"$SECRETS_FILE.$TIDEPOOL_RUN_ID.$TIDEPOOL_SUITE.$TIDEPOOL_ATTEMPT"

account=$(aws sts get-caller-identity --query Account --output text)
echo "suite $TIDEPOOL_SUITE attempt $TIDEPOOL_ATTEMPT in $account"
[ "$account" = "$TIDEPOOL_ACCOUNT_ID" ] || { echo "wrong account: $account" >&2; exit 1; }
aws sqs get-queue-attributes ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} \
	--queue-url "$TIDEPOOL_OUTPUT_QUEUE_QUEUEURL" --attribute-names QueueArn \
	--query Attributes.QueueArn --output text
if [ -n "${TIDEPOOL_OUTPUT_TOPIC_TOPICARN:-}" ]; then
	aws sns get-topic-attributes --topic-arn "$TIDEPOOL_OUTPUT_TOPIC_TOPICARN" \
		--query Attributes.TopicArn --output text
fi
cat >"$TIDEPOOL_JUNIT" <<XML
<testsuite name="$TIDEPOOL_SUITE" tests="1"><testcase classname="secrets" name="uses its account"/></testsuite>
XML
if [ "${FAIL_FIRST:-0}" = 1 ] && [ "$TIDEPOOL_ATTEMPT" = 1 ]; then
	echo "failing the first attempt on purpose" >&2
	# an error from AWS in the log, as failing suites print them
	aws s3api head-bucket --bucket "no-such-bucket-$TIDEPOOL_ACCOUNT_ID" || true
	exit 1
fi
echo PASS
