"""The CDK app: ``python -m cdk.app`` (what ``cdk deploy`` runs) and :func:`build_app` (synth, tests).

Context comes from ``cdk.json`` (read here, because a plain ``App()`` only sees it when the CDK CLI
runs the app), then ``STAGE`` from the environment, then the CLI's ``-c`` values, which CDK itself
applies last. The cdk-nag gate is part of the app, so a deploy cannot skip it either.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import App, Environment
from aws_cdk import aws_lambda as lambda_

from cdk.config import StackConfig, context_overrides, read_cdk_json, stack_config
from cdk.lambda_asset import stage_lambda_source
from cdk.nag import add_nag_gate
from cdk.stack import CatalogStack


@dataclass(frozen=True)
class CatalogApp:
    """The app and its one stack, as built by :func:`build_app`."""

    app: App
    stack: CatalogStack
    config: StackConfig


def build_app(
    *,
    outdir: str | None = None,
    context: Mapping[str, Any] | None = None,
    fast: bool = False,
) -> CatalogApp:
    """Build the app with the catalog stack of the configured stage.

    Parameters
    ----------
    outdir
        Where ``app.synth()`` writes the cloud assembly (default: CDK's, i.e. ``cdk.out`` or the
        directory the CDK CLI asks for).
    context
        Extra context on top of ``cdk.json`` and the environment (tests pass ``{"stage": "prod"}``).
    fast
        Skip construct stack traces and the tree file; synthesis is several seconds faster and the
        template is the same.
    """
    merged = {**read_cdk_json(), **context_overrides(), **(context or {})}
    app = App(
        outdir=outdir,
        context=merged,
        analytics_reporting=False,
        stack_traces=not fast,
        tree_metadata=not fast,
    )
    # The CLI's -c values are only visible through the app's own context, so read it back from there.
    resolved = {key: app.node.try_get_context(key) for key in _context_keys(merged)}
    config = stack_config({key: value for key, value in resolved.items() if value is not None})
    stack = CatalogStack(
        app,
        config.stack_name,
        config=config,
        code=lambda_.Code.from_asset(str(stage_lambda_source())),
        env=Environment(
            account=config.account or os.environ.get("CDK_DEFAULT_ACCOUNT"), region=config.region
        ),
        description=f"Product catalog ({config.stage}): CQRS write/read APIs, projection, CDN and images",
        termination_protection=config.is_production,
    )
    add_nag_gate(app)
    return CatalogApp(app=app, stack=stack, config=config)


def _context_keys(merged: Mapping[str, Any]) -> set[str]:
    return {*merged, "stage", *StackConfig.model_fields}


def main() -> None:
    """Synthesize for the CDK CLI (``cdk synth|deploy --app "python -m cdk.app"``)."""
    build_app().app.synth()


if __name__ == "__main__":
    main()
