"""`make bench`: measure every figure, print a table, write bench/results.json.

Each figure sits beside a baseline measured in the same run (this machine is shared and noisy,
so ratios are what count). No figure is asserted: the targets are printed next to them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"

os.environ.setdefault("AWS_DEFAULT_REGION", "us-west-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")  # in-process figures; cold start sets its own
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")


def synth() -> dict[str, Any]:
    """`make synth` wall time (warm: the second of two runs) and each function's zipped asset size."""
    command = ["make", "--no-print-directory", "synth"]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    synth_s = round(time.perf_counter() - started, 2)
    template = next((ROOT / "cdk.out").glob("*.template.json"))
    resources = json.loads(template.read_text())["Resources"]
    asset_kb: dict[str, float] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        # The asset's S3 key is <hash>.zip; cdk.out holds it as the folder asset.<hash>.
        key = str(resource["Properties"]["Code"].get("S3Key", ""))
        source = ROOT / "cdk.out" / f"asset.{key.removesuffix('.zip')}"
        if source.exists():
            asset_kb[logical_id] = round(_zipped_size(source) / 1024, 1)
    return {
        "synth_s": synth_s,
        "asset_kb": {"functions": asset_kb, "max": max(asset_kb.values(), default=0), "target_max": 256},
    }


def _zipped_size(source: Path) -> int:
    if source.is_file():
        return source.stat().st_size
    archive = ROOT / "cdk.out" / ".bench-asset.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                bundle.write(path, path.relative_to(source))
    size = archive.stat().st_size
    archive.unlink()
    return size


def _section(name: str, measure: Any) -> Any:
    print(f"… {name}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        return measure()
    finally:
        print(f"  {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


def _table(results: dict[str, Any]) -> str:
    cold = results["cold_start"]
    calls = results["aws_calls"]
    scan = results["list_scan"]
    publishing = results["event_publishing"]
    local = results["local"]
    edge = local["edge"]
    projector = results["projector"]
    rows = [
        (
            "cold_start worst / floor",
            f"{cold['handlers_ms'][cold['worst']]} / {cold['floor_ms']} ms",
            f"{cold['worst_ratio_to_floor']}x",
            "<= 1.5x",
        ),
        ("asset_kb max", f"{results['asset_kb']['max']} KB", "", "<= 256 KB"),
        *[
            (
                f"aws_calls {op}",
                str(v["total"]),
                ", ".join(f"{k}={n}" for k, n in v["by_operation"].items()),
                "",
            )
            for op, v in calls.items()
        ],
        (
            "list_scan per page 1k / 20k",
            f"{scan['sizes']['1000']['index_query_examined_per_page']} / "
            f"{scan['sizes']['20000']['index_query_examined_per_page']}",
            f"{scan['ratio_20k_to_1k']}x (Scan: {scan['scan_ratio_20k_to_1k']}x)",
            "<= 1.05x",
        ),
        (
            "edge hit ratio warm / cold",
            f"{edge['warm']['hit_ratio']:.2%} / {edge['cold']['hit_ratio']:.2%}",
            f"origin calls {edge['warm']['origin_calls']} / {edge['cold']['origin_calls']}; "
            f"cold-cache bound {edge['cold']['hit_ratio_bound']:.2%}",
            ">= 95%",
        ),
        (
            "projection_lag p50 / p99",
            f"{local['projection_lag_ms']['p50']} / {local['projection_lag_ms']['p99']} ms",
            "",
            "<= 300 / 1000 ms",
        ),
        (
            "projector",
            f"{projector['records_per_s']} records/s",
            f"{projector['sns_calls_per_100_events']} SNS calls / 100 events",
            "<= 10 calls",
        ),
        (
            "publisher lag p50 / p99",
            f"{publishing['lag_ms']['p50']} / {publishing['lag_ms']['p99']} ms",
            f"{publishing['sns_calls_per_event']} SNS calls / event",
            "write 2xx -> event on an SQS subscriber",
        ),
        ("synth_s / run_ready_s", f"{results['synth_s']} / {local['run_ready_s']} s", "", ""),
    ]
    width = [max(len(str(row[i])) for row in rows) for i in range(4)]
    lines = [" | ".join(str(cell).ljust(width[i]) for i, cell in enumerate(row)) for row in rows]
    return "\n".join(lines)


def main() -> None:
    """Run every benchmark and write the results."""
    from bench import aws_calls, cold_start, event_publishing, list_scan, local_runtime
    from bench.projector import measure_projector

    results: dict[str, Any] = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
    }
    results["cold_start"] = _section("cold_start", cold_start.measure)
    results.update(_section("synth", synth))
    results["aws_calls"] = _section("aws_calls", aws_calls.measure)
    results["list_scan"] = _section("list_scan", list_scan.measure)
    results["projector"] = _section("projector", lambda: measure_projector(batch_size=100))
    results["local"] = _section("local runtime", local_runtime.measure)
    results["event_publishing"] = _section("event publishing", event_publishing.measure)
    results["edge"] = results["local"]["edge"]
    results["projection_lag_ms"] = results["local"]["projection_lag_ms"]
    results["run_ready_s"] = results["local"]["run_ready_s"]
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(_table(results))
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
