"""`make bench` runs every section on its own and always reports every figure it measured."""

from __future__ import annotations

from typing import Any

from bench.__main__ import run, table
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
        "RuntimeError: needs the figures of measures, which did not complete"
    )


def test_figures_compare_with_their_target_in_the_stated_direction() -> None:
    assert Figure(1.9, 2.0, "s").met
    assert not Figure(2.1, 2.0, "s").met
    assert Figure(120, 100, "writes/s", "at_least").met
    assert not Figure(99.9, 100, "writes/s", "at_least").met
