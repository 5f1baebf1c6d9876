"""`make bench`: run every section, print a table of figures, write bench/results.json.

Each section runs on its own (``bench.sections``): one that fails is recorded as failed with its
reason and the others still run; ``results.json`` is written whatever happens, every figure with
its target and whether it was met. No figure is asserted: this machine is shared and noisy, so
the figures are reported, and the ratios that stand beside a baseline are what count.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench import (
    aws_calls,
    bulk,
    cold_start,
    cost,
    discovery,
    event_publishing,
    list_scan,
    local_runtime,
    projector,
    synth,
)
from bench.sections import Context, Section

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"

# The registry: sections run in this order; `cost` derives from the sections before it.
SECTIONS: tuple[Section, ...] = (
    Section("cold_start", cold_start.measure),
    Section("synth", synth.measure),
    Section("aws_calls", aws_calls.measure),
    Section("list_scan", list_scan.measure),
    Section("discovery", discovery.measure),
    Section("projector", projector.measure),
    Section("local.throughput", local_runtime.measure_throughput),
    Section("local.edge", local_runtime.measure_edge),
    Section("local.projection_lag", local_runtime.measure_projection_lag),
    Section("event_publishing", event_publishing.measure),
    Section("bulk.admin_listing", bulk.measure_listing),
    Section("bulk.import_calls", bulk.measure_calls_per_row),
    Section("bulk.import_throughput", bulk.measure_throughput),
    Section("cost", cost.measure),
)


def run(sections: tuple[Section, ...], results: dict[str, Any]) -> None:
    """Run each section in its own ``try``, recording its status, details and figures."""
    context = Context()
    try:
        for section in sections:
            print(f"… {section.name}", file=sys.stderr, flush=True)
            started = time.perf_counter()
            record: dict[str, Any] = {}
            try:
                measured = section.measure(context)
            except Exception as error:  # any failure is this section's result, not the run's end
                record = {"status": "failed", "reason": f"{type(error).__name__}: {error}"}
                traceback.print_exc(file=sys.stderr)
            else:
                record = {"status": "ok"}
                context.results[section.name] = measured.details
                results[section.name] = measured.details
                results["figures"].update({name: fig.as_json() for name, fig in measured.figures.items()})
            record["seconds"] = round(time.perf_counter() - started, 1)
            results["sections"][section.name] = record
            print(
                f"  {section.name}: {record['status']} in {record['seconds']} s", file=sys.stderr, flush=True
            )
    finally:
        context.close()


def table(results: dict[str, Any]) -> str:
    """Every figure with its target and whether it was met, then every failed section's reason."""
    rows = [("figure", "value", "target", "met")]
    for name, figure in results["figures"].items():
        value = f"{figure['value']} {figure['unit']}".strip()
        rows.append((name, value, figure["target"], "yes" if figure["met"] else "NO"))
    width = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [" | ".join(cell.ljust(width[i]) for i, cell in enumerate(row)) for row in rows]
    for name, record in results["sections"].items():
        if record["status"] != "ok":
            lines.append(f"FAILED {name}: {record['reason']}")
    return "\n".join(lines)


BENCH_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-west-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_TRACE_DISABLED": "true",  # in-process figures; cold start sets its own
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def main() -> None:
    """Run every section and write the results, whatever fails."""
    for name, value in BENCH_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    results: dict[str, Any] = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "load_avg_1m": os.getloadavg()[0],
        },
        "sections": {},
        "figures": {},
    }
    try:
        run(SECTIONS, results)
    finally:
        RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(table(results))
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
