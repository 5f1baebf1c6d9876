"""cdk-nag as a synthesis gate, and the one way this code base acknowledges a finding.

cdk-nag 3 is a CDK policy-validation plugin: ``app.synth()`` raises when a rule reports an
unacknowledged finding. Acknowledgements are construct metadata, so they stay next to the resource
they excuse, scoped to that construct and its children, and every one carries a reason.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

MIN_REASON_LENGTH = 40


def add_nag_gate(app: App) -> None:
    """Run the AWS Solutions rule pack on every stack of ``app`` when it is synthesized."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, rule: str, reason: str, *, finding: str | None = None) -> None:
    """Acknowledge one cdk-nag finding on ``scope`` and everything below it.

    Parameters
    ----------
    scope
        The narrowest construct the finding is reported on (or a parent of several that share the
        same reason).
    rule
        The rule id, e.g. ``AwsSolutions-IAM5``.
    reason
        Why the finding is acceptable here, written for a security reviewer.
    finding
        For rules that report several findings per resource (``AwsSolutions-IAM5``), the one being
        acknowledged, e.g. ``Resource::*``; every other finding of the rule still fails the gate.
    """
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"acknowledging {rule} needs a reason a reviewer can check, not {reason!r}")
    # "<pack>::<rule>[<finding>]" is the id the validation report asks for; without the pack prefix
    # CDK would record it as an annotation acknowledgement instead.
    pack = rule.split("-", 1)[0]
    rule_id = f"{pack}::{rule}[{finding}]" if finding else f"{pack}::{rule}"
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))
