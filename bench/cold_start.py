"""Cold start of every Lambda handler module against the floor (`import boto3` plus one client)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from shared.routes import FUNCTIONS
from tools.environment import placeholder_environment

ROOT = Path(__file__).resolve().parent.parent
RUNS = 9

_ENVIRONMENT = {
    **placeholder_environment(),
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_SERVICE_NAME": "catalog",
    "POWERTOOLS_METRICS_NAMESPACE": "Catalog",
}

FLOOR = "import boto3\nboto3.client('dynamodb')"


def _timed(code: str) -> float:
    program = f"import time\n_t = time.perf_counter()\n{code}\nprint(time.perf_counter() - _t)"
    env = {**os.environ, **_ENVIRONMENT}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # Lambda's runtime has compiled bytecode
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return float(result.stdout.strip().splitlines()[-1]) * 1000


def median_ms(code: str, runs: int = RUNS) -> float:
    """Median wall time in ms of running ``code`` in ``runs`` fresh interpreters."""
    _timed(code)  # warm the OS file cache; not counted
    return round(statistics.median(_timed(code) for _ in range(runs)), 1)


def measure() -> dict[str, Any]:
    """Per handler module: median import + initialisation ms, and the ratio to the floor."""
    floor = median_ms(FLOOR)
    handlers = {}
    for spec in FUNCTIONS:
        module = spec.handler.rpartition(".")[0]
        handlers[spec.key] = median_ms(f"import {module}")
    worst = max(handlers, key=handlers.__getitem__)
    return {
        "runs": RUNS,
        "floor_ms": floor,
        "handlers_ms": handlers,
        "worst": worst,
        "worst_ratio_to_floor": round(handlers[worst] / floor, 2),
        "target_ratio": 1.5,
    }
