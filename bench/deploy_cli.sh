#!/bin/sh
# bench/deploy's baseline: the pattern CI scripts use to deploy stacks, for
# one account. Assume the pool role, then `aws cloudformation deploy
# --no-fail-on-empty-changeset` for each stack in dependency order (the
# order bench/deploy_tool.py plan gives); a command stack runs its command
# with the outputs it needs fetched by describe-stacks, as a script would.
#
# usage: deploy_cli.sh ACCOUNT PROJECT_DIR PLAN_FILE
#
# moto answers a change set without changes with a ValidationError ("No
# updates are to be performed.") where CloudFormation creates an empty
# change set, waits for it and deletes it; the error is taken as the empty
# change set it stands for (so on moto this baseline does less work than it
# would on AWS).
set -eu
account=$1
project=$2
plan=$3
tab=$(printf '\t')

creds=$(aws sts assume-role --role-arn "arn:aws:iam::$account:role/OrganizationAccountAccessRole" \
	--role-session-name "ci-$account" \
	--query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
set -- $creds
export AWS_ACCESS_KEY_ID="$1" AWS_SECRET_ACCESS_KEY="$2" AWS_SESSION_TOKEN="$3"
cd "$project"
err=$(mktemp)
trap 'rm -f "$err"' EXIT

while IFS="$tab" read -r name template command params caps watch; do
	if [ "$template" = "-" ]; then
		role=$(aws cloudformation describe-stacks --stack-name base \
			--query "Stacks[0].Outputs[?OutputKey=='LambdaRoleArn'].OutputValue | [0]" \
			--output text)
		TIDEPOOL_STACK_NAME=$name TIDEPOOL_STACK_HASH=ci TIDEPOOL_PROJECT=shop \
			TIDEPOOL_OUTPUT_BASE_LAMBDAROLEARN=$role sh -c "$command" >/dev/null
		continue
	fi
	set --
	[ "$params" = "-" ] || set -- --parameter-overrides $(echo "$params" | tr ',' ' ')
	[ "$caps" = "-" ] || set -- "$@" --capabilities $caps
	if ! aws cloudformation deploy --stack-name "$name" --template-file "$template" "$@" \
		--no-fail-on-empty-changeset \
		--tags tidepool:project=shop tidepool:managed=true >/dev/null 2>"$err"; then
		grep -q "No updates are to be performed" "$err" || { cat "$err" >&2; exit 1; }
	fi
done < "$plan"
