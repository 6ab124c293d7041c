#!/bin/sh
# The command stack of tests/integration/test_secrets.c: records the
# credentials tidepool handed it in $SECRETS_SIDE_DIR (outside anything
# tidepool writes), then deploys its stack with the aws CLI, tagged with
# tidepool's hash. It prints nothing secret: whatever tidepool writes must
# hold the credentials only if tidepool put them there.
set -eu
here=$(dirname "$0")
side="$SECRETS_SIDE_DIR/command-$TIDEPOOL_ACCOUNT_ID-$$"
printf '%s\n%s\n%s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" >"$side"

tags="Key=tidepool:hash,Value=$TIDEPOOL_STACK_HASH Key=tidepool:project,Value=$TIDEPOOL_PROJECT Key=tidepool:managed,Value=true"
if aws cloudformation describe-stacks --stack-name "$TIDEPOOL_STACK_NAME" >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	aws cloudformation update-stack --stack-name "$TIDEPOOL_STACK_NAME" \
		--template-body "file://$here/topic.yaml" --tags $tags >/dev/null
	aws cloudformation wait stack-update-complete --stack-name "$TIDEPOOL_STACK_NAME"
else
	# shellcheck disable=SC2086
	aws cloudformation create-stack --stack-name "$TIDEPOOL_STACK_NAME" \
		--template-body "file://$here/topic.yaml" --tags $tags >/dev/null
	aws cloudformation wait stack-create-complete --stack-name "$TIDEPOOL_STACK_NAME"
fi
echo "deployed $TIDEPOOL_STACK_NAME in $TIDEPOOL_ACCOUNT_ID"
