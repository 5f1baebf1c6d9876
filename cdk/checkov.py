"""checkov decisions that stay in the template, next to the resource they excuse.

checkov reads ``Metadata.checkov.skip`` of a CloudFormation resource: ``[{"id": ..., "comment": ...}]``.
Every skip made here carries a reason a reviewer can check, like :func:`cdk.nag.acknowledge`, and
``python -m cdk.synth --acknowledgements`` lists them with the cdk-nag acknowledgements.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from aws_cdk import CfnResource
from constructs import IConstruct

from cdk.nag import MIN_REASON_LENGTH

METADATA_KEY = "checkov"


def skip_check(scope: IConstruct, check_id: str, reason: str) -> None:
    """Skip checkov check ``check_id`` on the CloudFormation resource of ``scope``, for ``reason``."""
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"skipping {check_id} needs a reason a reviewer can check, not {reason!r}")
    resource = scope if isinstance(scope, CfnResource) else scope.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{scope.node.path} has no CloudFormation resource to carry a checkov skip")
    decisions = resource.get_metadata(METADATA_KEY) or {}
    skips = [skip for skip in decisions.get("skip", []) if skip["id"] != check_id]
    skips.append({"id": check_id, "comment": reason})
    resource.add_metadata(METADATA_KEY, {**decisions, "skip": skips})


def template_skips(template: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """``(logical id, check id, reason)`` of every checkov skip in a synthesized template."""
    for logical_id, resource in template.get("Resources", {}).items():
        for skip in resource.get("Metadata", {}).get(METADATA_KEY, {}).get("skip", []):
            yield logical_id, skip["id"], skip["comment"]
