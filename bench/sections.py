"""What `make bench` runs: a registry of independent sections, each reporting its own figures.

A section is a name and a function from the shared :class:`Context` to :class:`Measured`: the
details it wants kept in ``bench/results.json`` and its figures, each with its target. The
runner gives every section its own ``try``: a section that raises is recorded as failed with its
reason, and the others still run and are written. To add a section, write its measuring
function and append one :class:`Section` to ``SECTIONS`` in ``bench/__main__.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from bench.local_runtime import Runtime


@dataclass(frozen=True)
class Figure:
    """One measured figure beside its target; ``at_most`` says which side of it is good."""

    value: float
    target: float
    unit: str
    direction: Literal["at_most", "at_least"] = "at_most"

    @property
    def met(self) -> bool:
        """Whether the value is on the good side of the target."""
        return self.value <= self.target if self.direction == "at_most" else self.value >= self.target

    def as_json(self) -> dict[str, Any]:
        """The figure as written to ``results.json``."""
        comparison = "<=" if self.direction == "at_most" else ">="
        return {
            "value": self.value,
            "unit": self.unit,
            "target": f"{comparison} {self.target}",
            "met": self.met,
        }


@dataclass
class Measured:
    """What a section found: details to keep, and figures (named ``<section>.<figure>``)."""

    details: dict[str, Any]
    figures: dict[str, Figure] = field(default_factory=dict)


@dataclass
class Context:
    """What sections share: earlier sections' details, and one local runtime started on demand.

    ``results`` holds the details of the sections that succeeded in this run, and, with
    ``--only``, those of sections not run now as ``bench/results.json`` holds them.
    """

    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    catalog_ids: list[str] = field(default_factory=list)
    _runtime: Runtime | None = None
    _stack: ExitStack = field(default_factory=ExitStack)

    def runtime(self) -> Runtime:
        """The local runtime (``--no-seed``), started on first use, stopped by :meth:`close`."""
        if self._runtime is None:
            from bench.local_runtime import running

            with running("--no-seed"):
                pass  # the first start compiles and warms the file cache; `run_ready_s` is warm
            self._runtime = self._stack.enter_context(running("--no-seed"))
        return self._runtime

    def needs(self, *sections: str) -> Iterator[dict[str, Any]]:
        """Details of sections this one derives from; raises naming any that did not succeed."""
        missing = [name for name in sections if name not in self.results]
        if missing:
            raise RuntimeError(
                f"needs the figures of {', '.join(missing)}, which did not complete in this run "
                "and are not in bench/results.json"
            )
        return (self.results[name] for name in sections)

    def close(self) -> None:
        """Stop the local runtime if a section started it."""
        self._stack.close()
        self._runtime = None


@dataclass(frozen=True)
class Section:
    """A named measurement; the registry is ``bench.__main__.SECTIONS``."""

    name: str
    measure: Callable[[Context], Measured]
