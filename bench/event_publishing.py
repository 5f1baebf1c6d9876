"""Publisher lag and SNS calls per event.

``measure()`` uses the bench's local runtime (the same publisher code and retry rules as on AWS),
subscribes an SQS queue of its own to the topic, and times each admin write from its 2xx to the
moment the write's ``catalog.product.updated.v1`` event is received from the queue: projection,
the log's stream, the publisher, SNS and SQS, as a subscriber sees it. SNS calls per event come
from the in-process projector benchmark (one 100-record batch through projector and publisher).
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import boto3

from bench.local_runtime import LAG_P50_TARGET_MS, LAG_P99_TARGET_MS, Runtime
from bench.sections import Context, Figure, Measured
from local.resources import subscribe_queue

UPDATED = "catalog.product.updated.v1"
# PublishBatch takes 10 entries, so a full batch is 0.1 calls per event.
SNS_CALLS_PER_EVENT_TARGET = 0.1


def _clients(runtime: Runtime) -> tuple[Any, Any]:
    sns = boto3.client(
        "sns",
        endpoint_url=runtime.aws_endpoint,
        region_name="us-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    sqs = boto3.client(
        "sqs",
        endpoint_url=runtime.aws_endpoint,
        region_name="us-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return sns, sqs


def measure_lag(runtime: Runtime, changes: int = 100) -> dict[str, Any]:
    """Milliseconds from an admin 2xx to its product event arriving on a subscribed SQS queue."""
    sns, sqs = _clients(runtime)
    topic_arn = json.loads(runtime.request("GET", "/_local/resources")[2])["topic_arn"]
    queue_url = sqs.create_queue(QueueName="bench-publisher-lag")["QueueUrl"]
    subscribe_queue(sns, sqs, topic_arn, queue_url, filter_policy={"type": [UPDATED]})
    body = {"sku": "BENCH-LAG", "name": "Lag", "category": "bench", "price": 1, "inventory": 1}
    status, _, created = runtime.request("POST", "/admin/products", body)
    assert status == 201, created
    product_id = json.loads(created)["id"]
    lags = []
    for n in range(changes):
        status, headers, _ = runtime.request("PATCH", f"/admin/products/{product_id}", {"name": f"Lag {n}"})
        acknowledged = time.perf_counter()
        assert status == 200
        version = int(headers["ETag"].strip('"'))
        while True:
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
            for message in messages:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            if any(json.loads(m["Body"])["data"]["version"] == version for m in messages):
                break
            if time.perf_counter() - acknowledged > 30:
                raise TimeoutError(f"the event of version {version} never arrived")
            time.sleep(0.005)
        lags.append((time.perf_counter() - acknowledged) * 1000)
    lags.sort()
    return {
        "changes": changes,
        "p50": round(statistics.median(lags), 1),
        "p99": round(lags[max(int(len(lags) * 0.99) - 1, 0)], 1),
    }


def measure(context: Context) -> Measured:
    """Publisher lag on the local runtime; SNS calls per event from the projector section's batch.

    The lag has the projection lag's targets: the publisher adds the log's stream and one SNS call.
    """
    (batch,) = context.needs("projector")
    lag = measure_lag(context.runtime())
    calls_per_event = round(batch["sns_calls"] / batch["events"], 3) if batch["events"] else 0.0
    return Measured(
        {"lag_ms": lag, "sns_calls_per_event": calls_per_event, "events_in_batch": batch["events"]},
        {
            "event_publishing.lag_p50_ms": Figure(lag["p50"], LAG_P50_TARGET_MS, "ms"),
            "event_publishing.lag_p99_ms": Figure(lag["p99"], LAG_P99_TARGET_MS, "ms"),
            "event_publishing.sns_calls_per_event": Figure(
                calls_per_event, SNS_CALLS_PER_EVENT_TARGET, "calls"
            ),
        },
    )
