#!/bin/sh
# Deploys shop/tracing the way a team with its own tooling deploys its
# stack: `aws cloudformation deploy`, tagged with the hash tidepool computed
# (TIDEPOOL_STACK_HASH), so that tidepool skips it next time. tidepool runs
# this with the account's credentials, AWS_REGION and AWS_DEFAULT_REGION
# set, from the project directory, and the outputs of the stacks it depends
# on as TIDEPOOL_OUTPUT_<STACK>_<KEY>.
set -eu
here=$(dirname "$0")
stack=${TIDEPOOL_STACK_NAME:-tracing}
err=$(mktemp)
trap 'rm -f "$err"' EXIT

if ! aws cloudformation deploy --stack-name "$stack" \
	--template-file "$here/template.yaml" \
	--parameter-overrides Stage=test "LambdaRoleArn=$TIDEPOOL_OUTPUT_BASE_LAMBDAROLEARN" \
	--no-fail-on-empty-changeset \
	--tags "tidepool:hash=$TIDEPOOL_STACK_HASH" "tidepool:project=${TIDEPOOL_PROJECT:-shop}" \
	       tidepool:managed=true 2>"$err"; then
	# moto answers an unchanged template with an error instead of an empty
	# change set; real CloudFormation does not get here
	grep -q "No updates are to be performed" "$err" || { cat "$err" >&2; exit 1; }
fi

# moto's change sets do not apply stack tags (CloudFormation's do, so on AWS
# the tag already matches and this does nothing): set them directly.
tag=$(aws cloudformation describe-stacks --stack-name "$stack" \
	--query "Stacks[0].Tags[?Key=='tidepool:hash'].Value | [0]" --output text)
if [ "$tag" != "$TIDEPOOL_STACK_HASH" ]; then
	aws cloudformation update-stack --stack-name "$stack" --use-previous-template \
		--tags "Key=tidepool:hash,Value=$TIDEPOOL_STACK_HASH" \
		       "Key=tidepool:project,Value=${TIDEPOOL_PROJECT:-shop}" \
		       Key=tidepool:managed,Value=true >/dev/null
	aws cloudformation wait stack-update-complete --stack-name "$stack"
fi
echo "tracing deployed at $TIDEPOOL_STACK_HASH"
