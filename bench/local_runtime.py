"""Figures measured on the local runtime: write throughput, catch-up, edge hit ratio, projection lag.

Talks to the runtime only as users do: HTTP on the catalog port (one keep-alive connection, as
a bulk import would), boto3 on the AWS port. "Projected" always means read from the views
table, never a public answer, which the edge may hold as a cached 404.
"""

from __future__ import annotations

import bisect
import http.client
import itertools
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from bench.sections import Context, Figure, Measured
from shared.data.event_log import EventLogTable
from shared.data.views import DynamoViewRepository

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-admin-token"
PRODUCTS = 1_000
THROUGHPUT_TARGET = 100  # admin writes/s from one keep-alive client
CATCH_UP_TARGET_S = 2.0
HIT_RATIO_TARGET = 0.95
LAG_P50_TARGET_MS = 300
LAG_P99_TARGET_MS = 1000
READY = "Catalog ready on http://127.0.0.1:"
# Bounds on waiting for the runtime, far above what it takes (0.8 s to ready, a second to stop).
READY_DEADLINE_S = 120
STOP_DEADLINE_S = 10


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Runtime:
    """A running local runtime and how to reach it (one keep-alive connection)."""

    base: str
    aws_endpoint: str
    ready_seconds: float
    _connection: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request on the kept-alive connection; returns status, headers and body."""
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {"Authorization": f"Bearer {TOKEN}", **(headers or {})}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self._connection is None:
                host, port = self.base.removeprefix("http://").split(":")
                self._connection = http.client.HTTPConnection(host, int(port), timeout=30)
            try:
                self._connection.request(method, path, body=data, headers=all_headers)
                response = self._connection.getresponse()
                payload = response.read()
            except (ConnectionError, http.client.HTTPException):
                self._connection.close()
                self._connection = None
                if attempt == 2:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                self._connection.close()
                self._connection = None
            return response.status, dict(response.getheaders()), payload
        raise AssertionError("unreachable")

    def _tables(self) -> tuple[dict[str, str], Any]:
        resources = json.loads(self.request("GET", "/_local/resources")[2])
        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=self.aws_endpoint,
            region_name=resources["region"],
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        return resources["tables"], dynamodb

    def views(self) -> DynamoViewRepository:
        """The read views, read through the AWS endpoint."""
        tables, dynamodb = self._tables()
        return DynamoViewRepository(tables["views"], client=dynamodb)

    def event_log(self) -> EventLogTable:
        """The event log (its ``unpublished`` index says what SNS has not taken yet)."""
        tables, dynamodb = self._tables()
        return EventLogTable(tables["events"], dynamodb)


@contextmanager
def running(*args: str) -> Iterator[Runtime]:
    """Start ``python -m local`` on free ports, wait for the ready line, stop it afterwards.

    Raises
    ------
    TimeoutError
        When the ready line has not come within :data:`READY_DEADLINE_S`.
    """
    port, aws_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "CATALOG_PORT": str(port),
        "CATALOG_AWS_PORT": str(aws_port),
        "CATALOG_ADMIN_TOKEN": TOKEN,
        "PYTHONUNBUFFERED": "1",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "local", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    stdout = process.stdout
    assert stdout is not None
    ready = threading.Event()

    def drain() -> None:
        # Reads every line to the end, so the runtime never blocks on a full pipe.
        for line in stdout:
            if line.startswith(READY):
                ready.set()

    reader = threading.Thread(target=drain, name="local-runtime-stdout", daemon=True)
    reader.start()
    try:
        while not ready.wait(0.05):
            if not reader.is_alive():
                raise RuntimeError("the local runtime exited before it was ready")
            if time.perf_counter() - started > READY_DEADLINE_S:
                raise TimeoutError(f"the local runtime was not ready after {READY_DEADLINE_S} s")
        ready_s = time.perf_counter() - started
        yield Runtime(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{aws_port}", round(ready_s, 2))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_DEADLINE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_DEADLINE_S)
        reader.join(timeout=STOP_DEADLINE_S)


def _zipf_sampler(n: int, exponent: float, rng: random.Random) -> Iterator[int]:
    cumulative = list(itertools.accumulate(1 / (rank**exponent) for rank in range(1, n + 1)))
    while True:
        yield bisect.bisect_left(cumulative, rng.random() * cumulative[-1])


def _create(runtime: Runtime, n: int) -> str:
    status, _, body = runtime.request(
        "POST",
        "/admin/products",
        {
            "sku": f"BENCH-{n}",
            "name": f"Bench product {n}",
            "category": f"cat-{n % 20}",
            "price": 10,
            "inventory": 50,
        },
    )
    if status != 201:
        raise RuntimeError(f"create answered {status}: {body[:200]!r}")
    return str(json.loads(body)["id"])


def wait_projected(
    views: DynamoViewRepository, product_id: str, version: int = 1, deadline_s: float = 60
) -> float:
    """Seconds until the view of ``product_id`` holds ``version`` or later (stream order: all before too).

    Raises
    ------
    TimeoutError
        When the projector has not caught up within ``deadline_s``.
    """
    started = time.perf_counter()
    while True:
        view = views.current(product_id)
        if view is not None and view.version >= version:
            return time.perf_counter() - started
        if time.perf_counter() - started > deadline_s:
            raise TimeoutError(f"version {version} of {product_id} not in the views after {deadline_s} s")
        time.sleep(0.005)


def wait_published(event_log: EventLogTable, deadline_s: float = 300) -> float:
    """Seconds until the event log holds no unpublished event.

    Raises
    ------
    TimeoutError
        When events are still unpublished after ``deadline_s``.
    """
    started = time.perf_counter()
    while event_log.unpublished(1):
        if time.perf_counter() - started > deadline_s:
            raise TimeoutError(f"events still unpublished after {deadline_s} s")
        time.sleep(0.5)  # each look is a query of the runtime's moto: keep them rare
    return time.perf_counter() - started


def catalog(context: Context, products: int = PRODUCTS) -> tuple[Runtime, list[str]]:
    """The runtime with ``products`` products, all projected (created here if no section did)."""
    runtime = context.runtime()
    if len(context.catalog_ids) < products:
        context.catalog_ids.extend(_create(runtime, n) for n in range(len(context.catalog_ids), products))
        wait_projected(runtime.views(), context.catalog_ids[-1])
    return runtime, context.catalog_ids[:products]


def measure_throughput(context: Context, burst: int = PRODUCTS) -> Measured:
    """A burst of ``burst`` creates from one keep-alive client, then the projector's catch-up.

    Catch-up is the time from the last create's 201 until its product is in the views table;
    the stream is one ordered shard locally, so every earlier product is projected by then.
    The events' catch-up (every logged event published) is reported beside it: locally the
    publisher holds back while the projector has work (decision 65), so events trail the views.
    """
    runtime = context.runtime()
    views = runtime.views()
    first = len(context.catalog_ids)
    latencies = []
    started = time.perf_counter()
    for n in range(first, first + burst):
        sent = time.perf_counter()
        context.catalog_ids.append(_create(runtime, n))
        latencies.append((time.perf_counter() - sent) * 1000)
    seconds = time.perf_counter() - started
    catch_up = wait_projected(views, context.catalog_ids[-1])
    events_catch_up = catch_up + wait_published(runtime.event_log())
    latencies.sort()
    throughput = round(burst / seconds, 1)
    details = {
        "run_ready_s": runtime.ready_seconds,
        "writes": burst,
        "write_throughput_per_s": throughput,
        "write_latency_ms": {
            "p50": round(latencies[len(latencies) // 2], 1),
            "p99": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        },
        "catch_up_after_burst_s": round(catch_up, 2),
        "events_caught_up_after_burst_s": round(events_catch_up, 2),
    }
    return Measured(
        details,
        {
            "local.write_throughput_per_s": Figure(throughput, THROUGHPUT_TARGET, "writes/s", "at_least"),
            "local.catch_up_after_burst_s": Figure(round(catch_up, 2), CATCH_UP_TARGET_S, "s"),
        },
    )


def _read_through_edge(runtime: Runtime, ids: list[str], reads: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    popularity = _zipf_sampler(len(ids), 1.1, rng)
    hits = writes = 0
    requested: set[str] = set()
    for n in range(reads):
        if n % 100 == 99:
            target = ids[next(popularity)]
            runtime.request("PATCH", f"/admin/products/{target}", {"description": f"edit {n}"})
            writes += 1
        product_id = ids[next(popularity)]
        requested.add(product_id)
        status, headers, _ = runtime.request("GET", f"/products/{product_id}", headers={"Authorization": ""})
        if status != 200:
            raise RuntimeError(f"public read of a projected product answered {status}")
        hits += headers.get("X-Cache", "") == "Hit"
    return {
        "reads": reads,
        "admin_writes": writes,
        "origin_calls": reads - hits,
        "hit_ratio": round(hits / reads, 4),
        "distinct_products_read": len(requested),
    }


def measure_edge(context: Context, reads: int = 5_000) -> Measured:
    """Zipf(1.1) public reads over the catalog with 1 % admin writes interleaved.

    A cold cache misses at least once per distinct product read (compulsory misses), which bounds
    its hit ratio whatever it does; the same workload is then read again on the now warm edge,
    which is what a CDN in service sees.
    """
    runtime, ids = catalog(context)
    cold = _read_through_edge(runtime, ids, reads, seed=7)
    cold["hit_ratio_bound"] = round(1 - cold["distinct_products_read"] / reads, 4)
    warm = _read_through_edge(runtime, ids, reads, seed=8)
    details = {"products": len(ids), "cold": cold, "warm": warm, "hit_ratio": warm["hit_ratio"]}
    return Measured(
        details, {"local.edge_hit_ratio": Figure(warm["hit_ratio"], HIT_RATIO_TARGET, "", "at_least")}
    )


def measure_projection_lag(context: Context, changes: int = 200) -> Measured:
    """Milliseconds from an admin 2xx to the new version being in the read view."""
    runtime, ids = catalog(context)
    views = runtime.views()
    lags = []
    for n in range(changes):
        product_id = ids[n % len(ids)]
        status, headers, _ = runtime.request("PATCH", f"/admin/products/{product_id}", {"name": f"Lag {n}"})
        if status != 200:
            raise RuntimeError(f"PATCH answered {status}")
        lags.append(wait_projected(views, product_id, int(headers["ETag"].strip('"')), deadline_s=10) * 1000)
    lags.sort()
    p50, p99 = round(statistics.median(lags), 1), round(lags[int(len(lags) * 0.99) - 1], 1)
    return Measured(
        {"changes": changes, "p50": p50, "p99": p99},
        {
            "local.projection_lag_p50_ms": Figure(p50, LAG_P50_TARGET_MS, "ms"),
            "local.projection_lag_p99_ms": Figure(p99, LAG_P99_TARGET_MS, "ms"),
        },
    )
