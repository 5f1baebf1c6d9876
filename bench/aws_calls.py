"""AWS requests per operation, counted with botocore event hooks on in-process moto."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3
from moto import mock_aws

from bench.sections import Context, Measured
from local.apigw import LocalLambdaContext
from local.resources import create_resources, function_environment
from local.streams import StreamReader, lambda_event
from tests.builders import call, handler_for, product_body, reset_process_caches


def items_of(operation: str, params: dict[str, Any]) -> int:
    """The items one request reads or writes, which DynamoDB bills by: a transaction's actions,
    a batch read's keys; one for any other request."""
    if operation == "TransactWriteItems":
        return len(params.get("TransactItems", []))
    if operation == "BatchGetItem":
        return sum(len(table.get("Keys", [])) for table in params.get("RequestItems", {}).values())
    return 1


class CallCounter:
    """Counts every AWS API request any botocore client makes while installed, and its items."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items: Counter[str] = Counter()

    def __call__(self, event_name: str, params: dict[str, Any] | None = None, **_: Any) -> None:
        # before-parameter-build.<service>.<Operation>: the request's parameters as the caller gave them
        service, operation = event_name.split(".", 2)[1:]
        self.calls[f"{service}:{operation}"] += 1
        self.items[f"{service}:{operation}"] += items_of(operation, params or {})


_COUNTER = CallCounter()


def _install_counter() -> None:
    # Clients copy the session's event hooks when they are created, so install before any exists.
    boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("before-parameter-build", _COUNTER)


def _count(operation: Callable[[], Any]) -> dict[str, Any]:
    calls_before, items_before = Counter(_COUNTER.calls), Counter(_COUNTER.items)
    operation()
    calls, items = _COUNTER.calls - calls_before, _COUNTER.items - items_before
    return {
        "total": sum(calls.values()),
        "by_operation": dict(sorted(calls.items())),
        "items_by_operation": dict(sorted(items.items())),
    }


def measure(_: Context) -> Measured:
    """AWS calls per operation on warm functions (clients and configuration already built)."""
    with mock_aws():
        resources = create_resources("us-west-1")
        os.environ.update(function_environment(resources))
        reset_process_caches()
        _install_counter()
        reader = StreamReader.for_table(resources.names.products_table, region=resources.region)
        project = handler_for("projector")

        def project_new() -> int:
            records = reader.read_new()
            project(lambda_event(records), LocalLambdaContext())
            return len(records)

        # Warm every function once, as a warm Lambda instance would be.
        warm = call("POST", "/admin/products", product_body(sku="WARM")).json()
        call("PATCH", f"/admin/products/{warm['id']}", {"name": "warm"})
        call("POST", f"/admin/products/{warm['id']}/inventory", {"delta": 1})
        project_new()
        call("GET", f"/products/{warm['id']}", claims=None)
        call("GET", "/products", claims=None)

        created: dict[str, Any] = {}

        def create() -> None:
            created.update(call("POST", "/admin/products", product_body(sku="COUNTED")).json())

        figures = {"create": _count(create)}
        figures["create_with_idempotency_key"] = _count(
            lambda: call(
                "POST", "/admin/products", product_body(sku="KEYED"), headers={"Idempotency-Key": "k1"}
            )
        )
        figures["patch"] = _count(
            lambda: call("PATCH", f"/admin/products/{created['id']}", {"name": "counted"})
        )
        figures["inventory_adjust"] = _count(
            lambda: call("POST", f"/admin/products/{created['id']}/inventory", {"delta": -1})
        )
        projected: dict[str, int] = {}
        # The projector's reads of the stream are the event source mapping's, not the function's.
        records = reader.read_new()
        figures["projector_batch"] = _count(
            lambda: projected.update(
                n=len(records), r=len(project(lambda_event(records), LocalLambdaContext()))
            )
        )
        figures["projector_batch"]["records"] = projected["n"]
        figures["projector_per_record"] = {
            "total": round(figures["projector_batch"]["total"] / max(projected["n"], 1), 2),
            "by_operation": {},
        }
        figures["public_get_edge_miss"] = _count(
            lambda: call("GET", f"/products/{created['id']}", claims=None)
        )
        figures["public_list_page"] = _count(lambda: call("GET", "/products", claims=None, query="limit=20"))
        return Measured(figures)
