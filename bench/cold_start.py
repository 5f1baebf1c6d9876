"""Cold start: every handler's init against the floor, and the first invocation after init.

* **Import ratio.** Each handler module's import (its init: configuration, resolver, logger,
  tracer, metrics) in fresh interpreters, against the floor ``import boto3`` plus one client.
  This is a plain cold start; SnapStart takes it off the user's path but does not shrink it.
* **First invocation.** In a fresh interpreter on in-process moto (``bench.first_invoke``), the
  first request after init, beside the median warm one: ``lazy`` as a plain cold start builds
  its clients and validation models during that request; ``primed`` runs the SnapStart primers
  first, as Lambda does before it takes the snapshot, so it is what a restored environment pays.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.sections import Context, Figure, Measured
from shared.routes import FUNCTIONS
from tools.environment import placeholder_environment

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
FIRST_INVOKE_RUNS = 2
# One function per kind of trigger: admin API, public API (both), stream.
API_FUNCTIONS = ("admin-products", "public-products", "public-categories")
FIRST_INVOKE_FUNCTIONS = (*API_FUNCTIONS, "projector")
IMPORT_RATIO_TARGET = 1.5
FIRST_INVOKE_TARGET_MS = 50.0
# Bounds on each child interpreter, far above what one takes (an import ~1 s, a probe ~10 s).
IMPORT_TIMEOUT_S = 120
FIRST_INVOKE_TIMEOUT_S = 300

_ENVIRONMENT = {
    **placeholder_environment(),
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_SERVICE_NAME": "catalog",
    "POWERTOOLS_METRICS_NAMESPACE": "Catalog",
}

FLOOR = "import boto3\nboto3.client('dynamodb')"


def _environment() -> dict[str, str]:
    env = {**os.environ, **_ENVIRONMENT}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # Lambda's runtime has compiled bytecode
    return env


def _timed(code: str) -> float:
    program = f"import time\n_t = time.perf_counter()\n{code}\nprint(time.perf_counter() - _t)"
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=_environment(),
        capture_output=True,
        text=True,
        check=True,
        timeout=IMPORT_TIMEOUT_S,
    )
    return float(result.stdout.strip().splitlines()[-1]) * 1000


def median_ms(code: str, runs: int = RUNS) -> float:
    """Median wall time in ms of running ``code`` in ``runs`` fresh interpreters."""
    _timed(code)  # warm the OS file cache; not counted
    return round(statistics.median(_timed(code) for _ in range(runs)), 1)


def _first_invoke(function_key: str, mode: str) -> dict[str, float]:
    runs = []
    for _ in range(FIRST_INVOKE_RUNS):
        result = subprocess.run(
            [sys.executable, "-m", "bench.first_invoke", function_key, mode],
            cwd=ROOT,
            env=_environment(),
            capture_output=True,
            text=True,
            check=True,
            timeout=FIRST_INVOKE_TIMEOUT_S,
        )
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return {key: round(statistics.median(run[key] for run in runs), 1) for key in runs[0]}


def measure_first_invoke() -> dict[str, Any]:
    """Per function: the first invocation after init, lazy and primed, beside the warm median."""
    return {
        key: {mode: _first_invoke(key, mode) for mode in ("lazy", "primed")} for key in FIRST_INVOKE_FUNCTIONS
    }


def measure(_: Context) -> Measured:
    """Import ratio to the floor for every handler; first invocation after init for a sample."""
    floor = median_ms(FLOOR)
    handlers = {}
    for spec in FUNCTIONS:
        module = spec.handler.rpartition(".")[0]
        handlers[spec.key] = median_ms(f"import {module}")
    worst = max(handlers, key=handlers.__getitem__)
    ratio = round(handlers[worst] / floor, 2)
    first = measure_first_invoke()
    # The figure is the API functions' (a user waits on them); the projector's is kept beside.
    worst_first = max(API_FUNCTIONS, key=lambda key: first[key]["primed"]["first_invoke_ms"])
    details = {
        "runs": RUNS,
        "floor_ms": floor,
        "handlers_ms": handlers,
        "worst": worst,
        "worst_ratio_to_floor": ratio,
        "first_invoke": first,
        "first_invoke_worst": worst_first,
    }
    return Measured(
        details,
        {
            "cold_start.import_ratio_to_floor": Figure(ratio, IMPORT_RATIO_TARGET, "x"),
            "cold_start.first_invoke_ms": Figure(
                first[worst_first]["primed"]["first_invoke_ms"], FIRST_INVOKE_TARGET_MS, "ms"
            ),
        },
    )
