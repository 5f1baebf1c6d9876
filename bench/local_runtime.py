"""Figures measured on the local runtime: edge hit ratio, projection lag, time to ready.

Talks to the runtime only as users do: HTTP on the catalog port, boto3 on the AWS port.
"""

from __future__ import annotations

import bisect
import itertools
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from shared.data.views import DynamoViewRepository

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-admin-token"
READY = "Catalog ready on http://127.0.0.1:"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Runtime:
    """A running local runtime and how to reach it."""

    base: str
    aws_endpoint: str
    ready_seconds: float

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request; returns status, headers and body (errors included)."""
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {"Authorization": f"Bearer {TOKEN}", **(headers or {})}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


@contextmanager
def running(*args: str) -> Iterator[Runtime]:
    """Start ``python -m local`` on free ports, wait for the ready line, stop it afterwards."""
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
    assert process.stdout is not None
    try:
        for line in process.stdout:
            if line.startswith(READY):
                break
        else:
            raise RuntimeError("the local runtime exited before it was ready")
        ready = time.perf_counter() - started
        # Keep draining output so the runtime never blocks on a full pipe.
        drain = subprocess.Popen(["cat"], stdin=process.stdout, stdout=subprocess.DEVNULL)
        yield Runtime(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{aws_port}", round(ready, 2))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        if "drain" in locals():
            drain.wait(timeout=5)


def _zipf_sampler(n: int, exponent: float, rng: random.Random) -> Iterator[int]:
    cumulative = list(itertools.accumulate(1 / (rank**exponent) for rank in range(1, n + 1)))
    while True:
        yield bisect.bisect_left(cumulative, rng.random() * cumulative[-1])


def _create_products(runtime: Runtime, count: int) -> list[str]:
    ids = []
    for n in range(count):
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
        assert status == 201, body
        ids.append(json.loads(body)["id"])
    return ids


def _wait_visible(runtime: Runtime, product_id: str, deadline_s: float = 30) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if runtime.request("GET", f"/products/{product_id}")[0] == 200:
            return
        time.sleep(0.05)
    raise TimeoutError(product_id)


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
        assert status == 200
        hits += headers.get("X-Cache", "") == "Hit"
    return {
        "reads": reads,
        "admin_writes": writes,
        "origin_calls": reads - hits,
        "hit_ratio": round(hits / reads, 4),
        "distinct_products_read": len(requested),
    }


def measure_edge(runtime: Runtime, ids: list[str], reads: int = 5_000) -> dict[str, Any]:
    """Zipf(1.1) public reads over the catalog with 1 % admin writes interleaved.

    A cold cache misses at least once per distinct product read (compulsory misses), which bounds
    its hit ratio whatever it does; the same workload is then read again on the now warm edge,
    which is what a CDN in service sees.
    """
    cold = _read_through_edge(runtime, ids, reads, seed=7)
    cold["hit_ratio_bound"] = round(1 - cold["distinct_products_read"] / reads, 4)
    warm = _read_through_edge(runtime, ids, reads, seed=8)
    return {
        "products": len(ids),
        "cold": cold,
        "warm": warm,
        "hit_ratio": warm["hit_ratio"],
        "origin_calls": warm["origin_calls"],
        "target_hit_ratio": 0.95,
    }


def measure_projection_lag(runtime: Runtime, ids: list[str], changes: int = 200) -> dict[str, Any]:
    """Milliseconds from an admin 2xx to the new version being in the read view."""
    resources = json.loads(runtime.request("GET", "/_local/resources")[2])
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=runtime.aws_endpoint,
        region_name=resources["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    views = DynamoViewRepository(resources["tables"]["views"], client=dynamodb)
    lags = []
    for n in range(changes):
        product_id = ids[n % len(ids)]
        status, headers, _ = runtime.request("PATCH", f"/admin/products/{product_id}", {"name": f"Lag {n}"})
        acknowledged = time.perf_counter()
        assert status == 200
        version = int(headers["ETag"].strip('"'))
        while True:
            view = views.current(product_id)
            if view is not None and view.version >= version:
                break
            if time.perf_counter() - acknowledged > 10:
                raise TimeoutError(f"version {version} of {product_id} never reached the view")
            time.sleep(0.005)
        lags.append((time.perf_counter() - acknowledged) * 1000)
    lags.sort()
    return {
        "changes": changes,
        "p50": round(statistics.median(lags), 1),
        "p99": round(lags[int(len(lags) * 0.99) - 1], 1),
        "target_p50": 300,
        "target_p99": 1000,
    }


def measure(products: int = 1_000) -> dict[str, Any]:
    """Start the runtime once (warm), then measure edge efficiency and projection lag."""
    with running("--no-seed"):
        pass  # first start compiles and warms the file cache; `run_ready_s` is the warm start
    with running("--no-seed") as runtime:
        ids = _create_products(runtime, products)
        _wait_visible(runtime, ids[-1])
        return {
            "run_ready_s": runtime.ready_seconds,
            "edge": measure_edge(runtime, ids),
            "projection_lag_ms": measure_projection_lag(runtime, ids),
        }
