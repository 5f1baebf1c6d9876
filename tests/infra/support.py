"""Synthesis for the infrastructure tests, and small readers of the CloudFormation template."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Before the jsii runtime starts: the CI image runs Node 20, which jsii warns about on every import.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import CfnElement, Stack
from aws_cdk.assertions import Template
from constructs import IConstruct

from cdk.app import CatalogApp, build_app
from cdk.stack import CatalogStack

ALERT_EMAIL = "catalog-alerts@catalog.example"
PROD_DOMAIN = "catalog.example"
PROD_CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Synthesized:
    """A synthesized catalog stack: constructs, template (both forms) and the cloud assembly."""

    catalog: CatalogApp
    template: Template
    raw: dict[str, Any]
    outdir: Path

    @property
    def stack(self) -> CatalogStack:
        """The catalog stack construct."""
        return self.catalog.stack

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        """Logical id -> resource of the template."""
        resources: dict[str, dict[str, Any]] = self.raw["Resources"]
        return resources

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Resources of one CloudFormation type, by logical id."""
        return {key: value for key, value in self.resources.items() if value["Type"] == resource_type}

    @property
    def helper_function_ids(self) -> set[str]:
        """Logical ids of the functions CDK itself adds (the console's BucketDeployment), exempt from ours."""
        return {self.logical_id(self.stack.console.deployment_handler)}

    @property
    def helper_role_ids(self) -> set[str]:
        """Logical ids of the roles of CDK's helper functions (CDK grants them, with wildcards)."""
        role = self.stack.console.deployment_handler.role
        assert role is not None
        return {self.logical_id(role)}

    def catalog_functions(self) -> dict[str, dict[str, Any]]:
        """Our own ``AWS::Lambda::Function`` resources: every one but CDK's helpers, by logical id."""
        helpers = self.helper_function_ids
        functions = self.of_type("AWS::Lambda::Function")
        return {key: value for key, value in functions.items() if key not in helpers}

    def logical_id(self, construct: IConstruct) -> str:
        """The logical id of an L1, or of the default L1 child of an L2."""
        element = construct if isinstance(construct, CfnElement) else construct.node.default_child
        assert isinstance(element, CfnElement), f"{construct.node.path} has no CloudFormation element"
        stack = Stack.of(element)
        return str(stack.resolve(stack.get_logical_id(element)))

    def properties(self, construct: IConstruct) -> dict[str, Any]:
        """The template properties of ``construct``'s resource."""
        properties: dict[str, Any] = self.resources[self.logical_id(construct)]["Properties"]
        return properties


def synthesize(outdir: Path, context: dict[str, Any]) -> Synthesized:
    """Build and synthesize the app (cdk-nag gate included) into ``outdir``."""
    catalog = build_app(outdir=str(outdir), context=context, fast=True)
    catalog.app.synth()  # raises when the cdk-nag gate finds an unacknowledged problem
    raw = json.loads((outdir / f"{catalog.stack.artifact_id}.template.json").read_text(encoding="utf-8"))
    return Synthesized(catalog=catalog, template=Template.from_json(raw), raw=raw, outdir=outdir)


def render(value: Any) -> str:
    """A readable, comparable form of a CloudFormation value.

    ``{"Ref": "X"}`` -> ``{X}``; ``{"Fn::GetAtt": ["X", "Arn"]}`` -> ``{X.Arn}``; ``Fn::Join`` is joined.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return "{" + str(value["Ref"]) + "}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "{" + ".".join(value["Fn::GetAtt"]) + "}"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(render(part) for part in parts)
    return json.dumps(value, sort_keys=True)


def as_list(value: Any) -> list[Any]:
    """IAM allows a single value or a list almost everywhere."""
    return value if isinstance(value, list) else [value]


def role_statements(synth: Synthesized, role_logical_id: str) -> list[dict[str, Any]]:
    """Every IAM statement that applies to the role: its inline policies and attached policy resources."""
    role = synth.resources[role_logical_id]["Properties"]
    statements = [
        statement
        for policy in role.get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    for policy in synth.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_logical_id} in policy["Properties"].get("Roles", []):
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def grants(statements: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(action, rendered resource) pairs allowed by ``statements``."""
    pairs = set()
    for statement in statements:
        assert statement["Effect"] == "Allow", statement
        for action in as_list(statement["Action"]):
            for resource in as_list(statement["Resource"]):
                pairs.add((action, render(resource)))
    return pairs


def resource_paths(synth: Synthesized, api_logical_id: str) -> dict[str, str]:
    """API Gateway resource logical id (or the API's root) -> path, for one REST API."""
    resources = {
        key: value["Properties"]
        for key, value in synth.of_type("AWS::ApiGateway::Resource").items()
        if value["Properties"]["RestApiId"] == {"Ref": api_logical_id}
    }

    def path_of(key: str) -> str:
        properties = resources[key]
        parent = properties["ParentId"]
        prefix = "" if "Fn::GetAtt" in parent else path_of(parent["Ref"])
        return f"{prefix}/{properties['PathPart']}"

    return {key: path_of(key) for key in resources}


def methods(synth: Synthesized, api_logical_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(HTTP method, path) -> method properties, for one REST API."""
    paths = resource_paths(synth, api_logical_id)
    result = {}
    for method in synth.of_type("AWS::ApiGateway::Method").values():
        properties = method["Properties"]
        if properties["RestApiId"] != {"Ref": api_logical_id}:
            continue
        resource = properties["ResourceId"]
        path = paths[resource["Ref"]] if "Ref" in resource else "/"
        result[(properties["HttpMethod"], path)] = properties
    return result
