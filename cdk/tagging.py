"""Tags every taggable resource carries: ``Name``, ``Environment`` and ``Owner``."""

from __future__ import annotations

import re

import jsii
from aws_cdk import Aspects, CfnResource, IAspect, Stack, TagManager, Tags
from constructs import IConstruct

# Path segments CDK adds for the L1 inside an L2; they say nothing about the resource.
_NOISE = frozenset({"Resource", "Default"})
# Below the priority of `Tags.of(...).add` (100), so an explicit Name tag always wins.
_NAME_TAG_PRIORITY = 50


@jsii.implements(IAspect)
class NameTagger:
    """Give each taggable resource a ``Name`` derived from its construct path.

    An aspect (rather than a loop after construction) also reaches resources that L2 constructs
    add during synthesis. ``catalog-dev-admin-api-functions-admin-products`` reads better in the
    console and in Cost Explorer than a logical id.
    """

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix

    def visit(self, node: IConstruct) -> None:
        """Tag ``node`` when it is a taggable CloudFormation resource."""
        # TagManager.of covers both generations of taggable L1s (`tags` and `cdkTagManager`).
        manager = TagManager.of(node) if isinstance(node, CfnResource) else None
        if manager is None:
            return
        depth = len(Stack.of(node).node.scopes)
        parts = [scope.node.id for scope in node.node.scopes[depth:] if scope.node.id not in _NOISE]
        name = "-".join([self._prefix, *(_kebab(part) for part in parts)])
        manager.set_tag("Name", name[:255], _NAME_TAG_PRIORITY, True)


def _kebab(text: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", text).replace("_", "-").lower()


def tag_stack(stack: Stack, *, prefix: str, environment: str, owner: str) -> None:
    """Apply the three tags to every taggable resource of ``stack``."""
    Tags.of(stack).add("Environment", environment)
    Tags.of(stack).add("Owner", owner)
    Aspects.of(stack).add(NameTagger(prefix))
