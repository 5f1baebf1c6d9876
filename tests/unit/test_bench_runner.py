"""`make bench` runs every section on its own and always reports every figure it measured."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from bench.__main__ import BENCH_ENVIRONMENT, RESULTS, SECTIONS, earlier_results, main, run, select, table
from bench.sections import Context, Figure, Measured, Section


def _fails(_: Context) -> Measured:
    raise TimeoutError("the projector did not catch up within 60 s")


def _measures(_: Context) -> Measured:
    return Measured(
        {"writes": 1000}, {"local.write_throughput_per_s": Figure(80.0, 100, "writes/s", "at_least")}
    )


def _derives(context: Context) -> Measured:
    (details,) = context.needs("measures")
    return Measured({"double": details["writes"] * 2})


def _results() -> dict[str, Any]:
    return {"sections": {}, "figures": {}}


def test_a_failing_section_is_reported_with_its_reason_and_later_sections_still_run() -> None:
    results = _results()

    run((Section("fails", _fails), Section("measures", _measures), Section("derives", _derives)), results)

    assert results["sections"]["fails"]["status"] == "failed"
    assert (
        results["sections"]["fails"]["reason"] == "TimeoutError: the projector did not catch up within 60 s"
    )
    assert results["sections"]["measures"]["status"] == "ok"
    assert results["figures"]["local.write_throughput_per_s"] == {
        "value": 80.0,
        "unit": "writes/s",
        "target": ">= 100",
        "met": False,
    }
    assert results["derives"] == {"double": 2000}
    assert "FAILED fails: TimeoutError" in table(results)


def test_a_section_that_needs_a_failed_one_fails_naming_it() -> None:
    results = _results()

    run((Section("measures", _fails), Section("derives", _derives)), results)

    assert results["sections"]["derives"]["reason"] == (
        "RuntimeError: needs the figures of measures, which did not complete in this run "
        "and are not in bench/results.json"
    )


def test_figures_compare_with_their_target_in_the_stated_direction() -> None:
    assert Figure(1.9, 2.0, "s").met
    assert not Figure(2.1, 2.0, "s").met
    assert Figure(120, 100, "writes/s", "at_least").met
    assert not Figure(99.9, 100, "writes/s", "at_least").met


def test_only_selects_the_named_sections_in_registry_order() -> None:
    assert [section.name for section in select("cost, list_scan")] == ["list_scan", "cost"]
    assert select(None) == SECTIONS


def test_only_refuses_an_unknown_section_naming_it_and_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown sections \['list-scan'\]; the sections are: cold_start, "):
        select("list-scan,cost")
    with pytest.raises(ValueError, match="unknown sections"):
        select(" , ")


def test_a_rerun_section_replaces_its_own_figures_and_keeps_the_others() -> None:
    results = _results()
    run((Section("fails", _measures), Section("other", _derives_nothing)), results)
    other_record = results["sections"]["other"]

    run((Section("fails", _fails),), results)

    # A failed re-run leaves no stale figure or details of its own behind.
    assert results["sections"]["fails"]["status"] == "failed"
    assert "local.write_throughput_per_s" not in results["figures"]
    assert "fails" not in results
    assert results["sections"]["other"] == other_record
    assert results["figures"]["other.kept"]["value"] == 1.0
    assert results["other"] == {"kept": True}


def test_a_section_derives_from_one_not_run_now_through_the_earlier_results() -> None:
    results = _results()
    run((Section("measures", _measures),), results)

    run((Section("derives", _derives),), results)

    assert results["sections"]["derives"]["status"] == "ok"
    assert results["derives"] == {"double": 2000}


def _derives_nothing(_: Context) -> Measured:
    return Measured({"kept": True}, {"other.kept": Figure(1.0, 2.0, "x")})


@pytest.fixture
def bench_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``main`` sets the bench's environment defaults; keep them out of the other tests."""
    for name, value in BENCH_ENVIRONMENT.items():
        monkeypatch.setenv(name, os.environ.get(name, value))


@pytest.mark.usefixtures("bench_environment")
def test_only_cost_merges_into_the_committed_results_from_the_sections_it_derives_from(
    tmp_path: Path,
) -> None:
    # Given the committed results of a whole run
    path = tmp_path / "results.json"
    shutil.copy(RESULTS, path)
    before = json.loads(path.read_text())
    before["figures"].pop("cost.usd_per_million_public_reads")
    path.write_text(json.dumps(before))

    # When only `cost` runs
    main(["--only", "cost"], path=path)

    # Then it derives from the sections it did not run, and the others are kept as they were
    after = json.loads(path.read_text())
    assert after["sections"]["cost"]["status"] == "ok"
    assert after["sections"]["cost"]["measured_at"] == after["measured_at"]
    assert "cost.usd_per_million_public_reads" in after["figures"]
    for name in ("aws_calls", "list_scan", "local.edge"):
        assert after[name] == before[name]
        assert after["sections"][name] == before["sections"][name]
    assert {k: v for k, v in after["figures"].items() if not k.startswith("cost.")} == {
        k: v for k, v in before["figures"].items() if not k.startswith("cost.")
    }


@pytest.mark.usefixtures("bench_environment")
def test_only_cost_without_the_figures_it_derives_from_fails_naming_them(tmp_path: Path) -> None:
    path = tmp_path / "results.json"

    main(["--only", "cost"], path=path)

    results = earlier_results(path)
    assert results["sections"]["cost"]["status"] == "failed"
    assert "needs the figures of aws_calls, local.edge, list_scan" in results["sections"]["cost"]["reason"]


def test_an_unknown_section_stops_before_anything_runs_or_is_written(tmp_path: Path) -> None:
    path = tmp_path / "results.json"

    with pytest.raises(SystemExit, match="unknown sections"):
        main(["--only", "nope"], path=path)

    assert not path.exists()
