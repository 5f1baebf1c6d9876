"""Lambda SnapStart priming: build before the snapshot what the first request would build.

With SnapStart, a function's init runs once, when a version is published; Lambda snapshots the
initialised memory and resumes every new execution environment from it. What init builds is
free on each cold start; what the first request builds lazily (boto3 clients, stores, the
resolver's validation models) is not. :func:`prime` hands builders to the runtime hook
``snapshot_restore_py.register_before_snapshot``, so they run once before the snapshot.

``snapshot_restore_py`` ships with Lambda's Python runtime (3.12+) only, not on PyPI, so it is
imported guardedly. Without SnapStart the hook never runs and everything stays lazy, so a plain
cold start does no extra work. Priming makes no AWS calls: secrets are still read after
restore, so a rotated secret reaches restored environments (decision 49).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

_PRIMERS: list[Callable[[], None]] = []


def _runtime_hook() -> Callable[[Callable[[], Any]], Any] | None:
    try:
        module = importlib.import_module("snapshot_restore_py")
    except ImportError:  # not in Lambda's Python runtime: nothing snapshots this process
        return None
    hook: Callable[[Callable[[], Any]], Any] = module.register_before_snapshot
    return hook


def prime(*builders: Callable[[], object]) -> None:
    """Run ``builders`` before Lambda takes the snapshot (and in :func:`run_primers`).

    Parameters
    ----------
    builders
        Functions that build and cache something (a ``functools.cache`` client factory, a
        warm-up request); their results are discarded.
    """

    def primer() -> None:
        for build in builders:
            build()

    _PRIMERS.append(primer)
    register = _runtime_hook()
    if register is not None:
        register(primer)


def run_primers() -> int:
    """Run every registered primer now, as Lambda does before a snapshot; returns how many ran."""
    for primer in _PRIMERS:
        primer()
    return len(_PRIMERS)


def validation_request(
    app: Any, method: str, path: str, body: str | None = None, query: dict[str, str] | None = None
) -> Callable[[], None]:
    """A builder that sends ``app`` one API Gateway request its validation rejects.

    Resolving it builds the route table and the request validation models (pydantic compiles
    them on first use) and renders a problem response, all without an AWS call.

    Parameters
    ----------
    app
        The function's Powertools resolver.
    method, path, body, query
        A request the resolver answers with a 4xx before any handler code runs.
    """
    event = {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {name: [value] for name, value in query.items()}
        if query
        else None,
        "pathParameters": None,
        "requestContext": {"requestId": "snapstart-priming", "stage": "priming", "httpMethod": method},
        "body": body,
        "isBase64Encoded": False,
    }

    def send() -> None:
        app.resolve(event, None)

    return send
