"""SnapStart: per stage in cdk.json, and every trigger invokes the published version's alias."""

from __future__ import annotations

import pytest

from cdk.constructs.function import LIVE_ALIAS
from tests.infra.support import Synthesized, render

pytestmark = pytest.mark.infra


def test_snapstart_is_on_for_prod_published_versions_and_off_for_dev(
    production: Synthesized, synthesized: Synthesized
) -> None:
    assert production.catalog.config.snap_start is True
    assert synthesized.catalog.config.snap_start is False
    prod_functions = production.catalog_functions().values()
    dev_functions = synthesized.catalog_functions().values()
    assert {str(f["Properties"].get("SnapStart")) for f in prod_functions} == {
        str({"ApplyOn": "PublishedVersions"})
    }
    assert all("SnapStart" not in f["Properties"] for f in dev_functions)


def test_every_function_has_one_live_alias_on_its_published_version(production: Synthesized) -> None:
    for key, function in production.stack.functions.items():
        alias = production.properties(function.alias)
        assert alias["Name"] == LIVE_ALIAS, key
        assert alias["FunctionName"] == {"Ref": production.logical_id(function.function)}, key
        version_id = alias["FunctionVersion"]["Fn::GetAtt"][0]
        version = production.resources[version_id]
        assert version["Type"] == "AWS::Lambda::Version", key
        assert version["Properties"]["FunctionName"] == {"Ref": production.logical_id(function.function)}


def test_api_gateway_integrations_invoke_aliases_never_latest(production: Synthesized) -> None:
    aliases = {production.logical_id(fn.alias) for fn in production.stack.functions.values()}
    functions = {production.logical_id(fn.function) for fn in production.stack.functions.values()}
    integrations = [
        render(method["Properties"]["Integration"]["Uri"])
        for method in production.of_type("AWS::ApiGateway::Method").values()
        if method["Properties"].get("Integration", {}).get("Type") == "AWS_PROXY"
    ]
    assert integrations
    for uri in integrations:
        assert any(f"{{{alias}}}" in uri for alias in aliases), uri
        assert not any(f"{{{function}.Arn}}" in uri for function in functions), uri


def test_api_gateway_may_invoke_the_aliases(production: Synthesized) -> None:
    api_functions = {**production.stack.admin.functions, **production.stack.public.functions}
    permitted = {
        render(permission["Properties"]["FunctionName"])
        for permission in production.of_type("AWS::Lambda::Permission").values()
        if permission["Properties"]["Principal"] == "apigateway.amazonaws.com"
    }
    assert {f"{{{production.logical_id(fn.alias)}}}" for fn in api_functions.values()} <= permitted


def test_streams_queues_and_uploads_invoke_the_aliases(production: Synthesized) -> None:
    stack = production.stack
    mapped = [
        mapping["Properties"]["FunctionName"]
        for mapping in production.of_type("AWS::Lambda::EventSourceMapping").values()
    ]
    assert sorted(mapped, key=str) == sorted(
        [
            {"Ref": production.logical_id(stack.projection.projector.alias)},
            {"Ref": production.logical_id(stack.publishing.publisher.alias)},
            {"Ref": production.logical_id(stack.bulk.batch.alias)},
            {"Ref": production.logical_id(stack.bulk.export.alias)},
        ],
        key=str,
    )
    (rule,) = production.of_type("AWS::Events::Rule").values()
    assert [target["Arn"] for target in rule["Properties"]["Targets"]] == [
        {"Ref": production.logical_id(stack.publishing.publisher.alias)}
    ]
    upload_aliases = [
        {"Ref": production.logical_id(stack.images.registration.alias)},
        {"Ref": production.logical_id(stack.bulk.start.alias)},
    ]
    s3_permissions = [
        permission["Properties"]
        for permission in production.of_type("AWS::Lambda::Permission").values()
        if permission["Properties"]["Principal"] == "s3.amazonaws.com"
    ]
    assert sorted((p["FunctionName"] for p in s3_permissions), key=str) == sorted(upload_aliases, key=str)
    invoke_configs = production.of_type("AWS::Lambda::EventInvokeConfig").values()
    assert [config["Properties"]["Qualifier"] for config in invoke_configs] == [LIVE_ALIAS, LIVE_ALIAS]
