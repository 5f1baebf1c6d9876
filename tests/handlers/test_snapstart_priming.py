"""SnapStart priming: what the primers build before the snapshot, and the runtime hook they use."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from local.resources import Resources
from shared import snapstart
from shared.routes import FUNCTIONS


def _cached_builders(module: Any) -> dict[str, Any]:
    """The handler's process-wide cached factories, its own or imported from its package."""
    return {
        name: value
        for name, value in vars(module).items()
        if callable(getattr(value, "cache_info", None))
        and str(getattr(value, "__module__", "")).startswith(("commands.", "queries.", "projectors."))
    }


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.key)
def test_each_function_primes_its_own_cached_clients_without_a_request(
    aws: Resources, spec: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = importlib.import_module(spec.handler.rpartition(".")[0])
    monkeypatch.setattr(snapstart, "_PRIMERS", [])
    module = importlib.reload(module)  # a fresh init of this function alone, as in its own Lambda
    builders = _cached_builders(module)
    assert builders, f"{spec.key} has no cached clients to prime"
    for builder in builders.values():
        builder.cache_clear()

    assert snapstart.run_primers() == 1

    built = {name for name, builder in builders.items() if builder.cache_info().currsize == 1}
    assert built == set(builders)


def test_primers_are_handed_to_lambdas_before_snapshot_hook_when_the_runtime_has_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registered: list[Callable[[], Any]] = []
    runtime_module = SimpleNamespace(register_before_snapshot=registered.append)
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime_module)
    monkeypatch.setattr(snapstart, "_PRIMERS", [])
    built: list[str] = []

    snapstart.prime(lambda: built.append("client"))

    assert len(registered) == 1
    registered[0]()
    assert built == ["client"]


def test_without_the_runtime_module_priming_waits_for_run_primers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails, as outside Lambda
    monkeypatch.setattr(snapstart, "_PRIMERS", [])
    built: list[str] = []

    snapstart.prime(lambda: built.append("client"))

    assert built == []
    assert snapstart.run_primers() == 1
    assert built == ["client"]
