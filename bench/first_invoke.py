"""One function's first invocation after init, in this fresh interpreter, on in-process moto.

Run by :mod:`bench.cold_start` as ``python -m bench.first_invoke <function> <primed|lazy>``; prints
one JSON line. ``primed`` runs the SnapStart primers first (what Lambda runs before the
snapshot), so the first invocation is what a restored environment pays; ``lazy`` is a plain
cold start, where the first request builds clients and validation models itself.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from itertools import count
from typing import Any

import boto3
from moto import mock_aws

from bench.projector import write_history
from local.apigw import LocalLambdaContext
from local.moto_fidelity import make_moto_faithful
from local.resources import create_resources, function_environment
from local.streams import StreamReader, lambda_event
from shared.data.products import DynamoProductStore
from tests.builders import call, handler_for, product_body

REGION = "us-west-1"
WARM_INVOCATIONS = 15
_SKUS = count()


def _requests(function_key: str, resources: Any) -> Callable[[], Callable[[], Any]]:
    """Prepares one representative request of ``function_key`` (untimed); returns its invocation."""
    if function_key == "admin-products":
        return lambda: lambda: call("POST", "/admin/products", product_body(sku=f"FIRST-{next(_SKUS)}"))
    if function_key == "public-products":
        return lambda: lambda: call("GET", "/products", query="limit=20")
    if function_key == "public-categories":
        return lambda: lambda: call("GET", "/categories")
    if function_key == "projector":
        store = DynamoProductStore(resources.names.products_table)
        reader = StreamReader(resources.stream_arn, region=REGION)

        def prepare() -> Callable[[], Any]:
            write_history(store, 2, prefix=f"FIRST{next(_SKUS)}")  # one product: its two records
            event = lambda_event(reader.read_new())
            return lambda: handler_for("projector")(event, LocalLambdaContext())

        return prepare
    raise SystemExit(f"no representative request for {function_key}")


def _warm_moto() -> None:
    """Exercise moto's DynamoDB paths from a separate session on a scratch table.

    moto imports parts of itself and compiles its expression parsers on first use (about 100 ms
    measured with cProfile); no Lambda request pays that, so it must not count as the function's.
    The function's own session, clients and models stay cold.
    """
    dynamodb = boto3.session.Session().client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName="moto-warm-up",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    item = {"pk": {"S": "a"}, "n": {"N": "1"}}
    dynamodb.put_item(TableName="moto-warm-up", Item=item, ConditionExpression="attribute_not_exists(pk)")
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": "moto-warm-up",
                    "Key": {"pk": {"S": "a"}},
                    "UpdateExpression": "SET n = n + :one",
                    "ConditionExpression": "n >= :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
            {"Put": {"TableName": "moto-warm-up", "Item": {"pk": {"S": "b"}}}},
        ]
    )
    dynamodb.get_item(TableName="moto-warm-up", Key={"pk": {"S": "a"}}, ConsistentRead=True)
    dynamodb.query(
        TableName="moto-warm-up",
        KeyConditionExpression="pk = :a",
        ExpressionAttributeValues={":a": {"S": "a"}},
    )


def main(function_key: str, mode: str) -> dict[str, float]:
    """Priming (``primed`` only), the first invocation after init and the median warm one, in ms."""
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }.items():
        os.environ.setdefault(name, value)
    make_moto_faithful()
    with mock_aws():
        resources = create_resources(REGION)
        os.environ.update(function_environment(resources, images_base_url="https://cdn.bench"))
        _warm_moto()
        # Creating the resources loaded service models into the default session; the function
        # must start without them, as in a fresh Lambda environment.
        boto3.DEFAULT_SESSION = None
        prepare = _requests(function_key, resources)
        handler_for(function_key)  # init; its time is the import figure of bench.cold_start
        started = time.perf_counter()
        if mode == "primed":
            from shared.snapstart import run_primers

            run_primers()
        primed = time.perf_counter()
        invoke = prepare()
        began = time.perf_counter()
        invoke()
        first = time.perf_counter() - began
        warm = []
        for _ in range(WARM_INVOCATIONS):
            invoke = prepare()
            began = time.perf_counter()
            invoke()
            warm.append(time.perf_counter() - began)
    return {
        "prime_ms": round((primed - started) * 1000, 1),
        "first_invoke_ms": round(first * 1000, 1),
        "warm_ms": round(statistics.median(warm) * 1000, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
