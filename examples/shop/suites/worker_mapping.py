"""The fulfilment worker consumes the orders queue: its event source
mapping points at that queue, and it runs with the inventory table and
events topic of this account."""
import boto3

from lib.tpjunit import main, need

WORKER, QUEUE_ARN, INVENTORY, EVENTS = need(
    "TIDEPOOL_OUTPUT_WORKER_WORKERFUNCTIONNAME", "TIDEPOOL_OUTPUT_MESSAGING_ORDERSQUEUEARN",
    "TIDEPOOL_OUTPUT_DATA_INVENTORYTABLENAME", "TIDEPOOL_OUTPUT_BASE_EVENTSTOPICARN")
lam = boto3.client("lambda")


def test_consumes_orders_queue():
    maps = lam.list_event_source_mappings(FunctionName=WORKER)["EventSourceMappings"]
    assert [m["EventSourceArn"] for m in maps] == [QUEUE_ARN], maps
    assert maps[0]["BatchSize"] == 10, maps[0]


def test_wired_to_inventory_and_events():
    env = lam.get_function_configuration(FunctionName=WORKER)["Environment"]["Variables"]
    assert env["INVENTORY_TABLE"] == INVENTORY, env
    assert env["EVENTS_TOPIC_ARN"] == EVENTS, env


if __name__ == "__main__":
    main(globals())
