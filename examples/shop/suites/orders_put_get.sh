#!/bin/sh
# Orders: an order written to the orders table reads back, and is found
# through the by-customer index.
set -u
. "$(dirname "$0")/lib/junit.sh"
need TIDEPOOL_OUTPUT_DATA_ORDERSTABLENAME
table=$TIDEPOOL_OUTPUT_DATA_ORDERSTABLENAME
order="o-${TIDEPOOL_RUN_ID:-local}-$$"

put_order() {
	aws dynamodb put-item --table-name "$table" \
		--item "{\"order_id\":{\"S\":\"$order\"},\"customer_id\":{\"S\":\"c-42\"},\"sku\":{\"S\":\"mug\"}}"
}

get_order() {
	sku=$(aws dynamodb get-item --table-name "$table" \
		--key "{\"order_id\":{\"S\":\"$order\"}}" --query Item.sku.S --output text) || return 1
	expect_eq "sku of $order" "$sku" mug
}

by_customer() {
	n=$(aws dynamodb query --table-name "$table" --index-name by-customer \
		--key-condition-expression "customer_id = :c" \
		--expression-attribute-values '{":c":{"S":"c-42"}}' --query Count --output text) || return 1
	[ "$n" -ge 1 ] || { echo "by-customer found $n orders for c-42" >&2; return 1; }
}

case_run "puts an order" put_order
case_run "reads the order back" get_order
case_run "finds it by customer" by_customer
junit_finish
