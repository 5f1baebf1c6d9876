"""`make bench`: run every section, print a table of figures, write bench/results.json.

Each section runs on its own (``bench.sections``): one that fails is recorded as failed with its
reason and the others still run; ``results.json`` is written whatever happens, every figure with
its target and whether it was met, every section with its status, seconds and ``measured_at``.
``--only NAME[,NAME]`` (``make bench SECTIONS=NAME[,NAME]``) runs those sections and merges them
into the existing ``results.json``, keeping the other sections' figures. No figure is asserted:
this machine is shared and noisy, so the figures are reported, and the ratios that stand beside
a baseline are what count.
"""

from __future__ import annotations

import argparse
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
from local.moto_fidelity import make_moto_faithful
from shared.observability import logger

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


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def run(sections: tuple[Section, ...], results: dict[str, Any]) -> None:
    """Run each section in its own ``try``, recording its status, details and figures.

    ``results`` may hold an earlier run's sections (``--only``): a section run now replaces its
    own record, details and figures there and leaves the others' alone; a section that derives
    from one not run now reads that one's details from them (``Context.needs``).
    """
    context = Context(
        results={
            name: results[name]
            for name, record in results["sections"].items()
            if record.get("status") == "ok" and name in results
        }
    )
    try:
        for section in sections:
            print(f"… {section.name}", file=sys.stderr, flush=True)
            _forget(results, section.name)
            context.results.pop(section.name, None)
            started = time.perf_counter()
            record: dict[str, Any] = {"measured_at": _now(), "load_avg_1m": os.getloadavg()[0]}
            try:
                measured = section.measure(context)
            except Exception as error:  # any failure is this section's result, not the run's end
                record |= {"status": "failed", "reason": f"{type(error).__name__}: {error}"}
                traceback.print_exc(file=sys.stderr)
            else:
                record |= {"status": "ok", "figures": sorted(measured.figures)}
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


def _forget(results: dict[str, Any], name: str) -> None:
    """Drop what an earlier run recorded for section ``name``: its record, details and figures."""
    earlier = results["sections"].pop(name, {})
    results.pop(name, None)
    for figure in earlier.get("figures", ()):
        results["figures"].pop(figure, None)


def select(names: str | None) -> tuple[Section, ...]:
    """The sections named in ``names`` (comma-separated), in registry order; all when ``None``.

    Raises
    ------
    ValueError
        Naming every unknown section and the known ones.
    """
    if names is None:
        return SECTIONS
    wanted = {name.strip() for name in names.split(",") if name.strip()}
    unknown = sorted(wanted - {section.name for section in SECTIONS})
    if unknown or not wanted:
        known = ", ".join(section.name for section in SECTIONS)
        raise ValueError(f"unknown sections {unknown}; the sections are: {known}")
    return tuple(section for section in SECTIONS if section.name in wanted)


def earlier_results(path: Path) -> dict[str, Any]:
    """The results of earlier runs in ``path``, or empty results when there are none."""
    if not path.exists():
        return {"sections": {}, "figures": {}}
    results: dict[str, Any] = json.loads(path.read_text())
    results.setdefault("sections", {})
    results.setdefault("figures", {})
    return results


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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """``--only NAME[,NAME]``: run those sections and merge them into the existing results."""
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Run the benchmarks and write bench/results.json."
    )
    parser.add_argument(
        "--only",
        metavar="NAME[,NAME]",
        help="run only these sections and merge their results into bench/results.json, keeping "
        "the other sections' (sections: " + ", ".join(section.name for section in SECTIONS) + ")",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, path: Path = RESULTS) -> None:
    """Run the selected sections and write the results, whatever fails."""
    arguments = parse_args(argv)
    try:
        sections = select(arguments.only)
    except ValueError as error:
        raise SystemExit(f"python -m bench: {error}") from None
    for name, value in BENCH_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    # The functions' logger was made when the sections were imported, before the level was set.
    logger.setLevel(os.environ["POWERTOOLS_LOG_LEVEL"])
    # In-process moto behaves as in the tests and the local runtime, whichever sections run: a
    # section run alone used to get moto's whole-table transaction copies (minutes, not seconds).
    make_moto_faithful()
    # A whole run starts afresh; a partial one keeps the sections it does not run.
    results = earlier_results(path) if arguments.only else {"sections": {}, "figures": {}}
    results["measured_at"] = _now()
    results["machine"] = {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_avg_1m": os.getloadavg()[0],
    }
    try:
        run(sections, results)
    finally:
        path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(table(results))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
