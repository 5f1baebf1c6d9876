"""Lambda functions: one per shared.routes.FUNCTIONS entry, built the same way, configured by env vars."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from cdk.constructs.function import function_environment
from shared.routes import FUNCTIONS, function
from tests.infra.support import Synthesized, render

pytestmark = pytest.mark.infra

POWERTOOLS_VARIABLES = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}
RUNTIME_PACKAGES = {"shared", "commands", "queries", "projectors"}
MAX_ASSET_ZIP_BYTES = 5 * 1024 * 1024


def _functions(synth: Synthesized) -> dict[str, dict[str, Any]]:
    by_handler = {
        resource["Properties"]["Handler"]: resource["Properties"]
        for resource in synth.catalog_functions().values()
    }
    return {spec.key: by_handler[spec.handler] for spec in FUNCTIONS}


def test_there_is_one_function_per_declared_function_and_no_other(
    synthesized: Synthesized, template: Template
) -> None:
    # Besides ours, only CDK's console deployment helper (a singleton, exempt from our rules).
    template.resource_count_is("AWS::Lambda::Function", len(FUNCTIONS) + 1)
    assert len(synthesized.helper_function_ids) == 1
    handlers = sorted(r["Properties"]["Handler"] for r in synthesized.catalog_functions().values())
    assert handlers == sorted(spec.handler for spec in FUNCTIONS)


@pytest.mark.parametrize("key", [spec.key for spec in FUNCTIONS])
def test_function_runs_python_313_on_arm64_with_active_tracing_and_json_logs(
    synthesized: Synthesized, key: str
) -> None:
    function = _functions(synthesized)[key]
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["LoggingConfig"]["LogFormat"] == "JSON"
    assert function["LoggingConfig"]["ApplicationLogLevel"] == synthesized.catalog.config.log_level


@pytest.mark.parametrize("key", [spec.key for spec in FUNCTIONS])
def test_function_logs_into_its_own_log_group_with_the_stage_retention(
    synthesized: Synthesized, key: str
) -> None:
    function = _functions(synthesized)[key]
    log_group_id = function["LoggingConfig"]["LogGroup"]["Ref"]
    log_group = synthesized.resources[log_group_id]
    assert log_group["Properties"]["RetentionInDays"] == synthesized.catalog.config.log_retention_days
    assert log_group["Properties"]["LogGroupName"].endswith(f"/lambda/{key}")
    assert log_group["DeletionPolicy"] == "Delete"
    other_groups = [
        f["LoggingConfig"]["LogGroup"]["Ref"] for k, f in _functions(synthesized).items() if k != key
    ]
    assert log_group_id not in other_groups


@pytest.mark.parametrize("key", [spec.key for spec in FUNCTIONS])
def test_environment_is_exactly_the_settings_class_fields_plus_powertools(
    synthesized: Synthesized, key: str
) -> None:
    variables = _functions(synthesized)[key]["Environment"]["Variables"]
    expected = {name.upper() for name in function(key).config.model_fields} | POWERTOOLS_VARIABLES
    assert set(variables) == expected
    assert not [name for name in variables if name.startswith(("AWS_", "LAMBDA_", "_"))]


def test_environment_values_point_at_the_stack_resources_and_configuration(synthesized: Synthesized) -> None:
    functions = _functions(synthesized)
    stack, config = synthesized.stack, synthesized.catalog.config
    admin = functions["admin-products"]["Environment"]["Variables"]
    assert admin["PRODUCTS_TABLE_NAME"] == {"Ref": synthesized.logical_id(stack.data.products)}
    assert admin["IDEMPOTENCY_TABLE_NAME"] == {"Ref": synthesized.logical_id(stack.data.idempotency)}
    console = f"https://{{{synthesized.logical_id(stack.edge.distribution)}.DomainName}}"
    assert render(admin["ADMIN_ALLOWED_ORIGINS"]) == ",".join([console, *config.admin_allowed_origins])
    public = functions["public-products"]["Environment"]["Variables"]
    assert public["VIEWS_TABLE_NAME"] == {"Ref": synthesized.logical_id(stack.data.views)}
    assert public["CURSOR_SECRET_ARN"] == {"Ref": synthesized.logical_id(stack.public.cursor_secret)}
    assert public["CACHE_S_MAXAGE"] == str(config.cache.s_maxage)
    projector = functions["projector"]["Environment"]["Variables"]
    assert projector["EVENT_LOG_TABLE_NAME"] == {"Ref": synthesized.logical_id(stack.data.event_log)}
    assert projector["EVENT_LOG_RETENTION_DAYS"] == str(config.event_log.retention_days)
    assert projector["POWERTOOLS_LOG_LEVEL"] == config.log_level
    publisher = functions["event-publisher"]["Environment"]["Variables"]
    assert publisher["INVENTORY_TOPIC_ARN"] == {
        "Ref": synthesized.logical_id(stack.projection.inventory_topic)
    }
    assert publisher["PUBLISH_RETRY_MAX_SECONDS"] == str(config.event_log.retry_max_seconds)


def test_a_function_whose_required_setting_is_missing_fails_synthesis() -> None:
    with pytest.raises(ValueError, match="products_table_name"):
        function_environment("admin-inventory", {"idempotency_table_name": "idempotency"})


def test_a_setting_no_function_knows_fails_synthesis() -> None:
    with pytest.raises(ValueError, match="no function settings class"):
        function_environment(
            "projector", {"views_table_name": "views", "inventory_topic_arn": "arn", "typo": "x"}
        )


def test_every_function_uses_the_one_shared_code_asset_and_the_stacks_own_dependency_layer(
    synthesized: Synthesized,
) -> None:
    functions = _functions(synthesized).values()
    assert len({function["Code"]["S3Key"] for function in functions}) == 1
    layer_id = synthesized.logical_id(synthesized.stack.dependency_layer.layer)
    # No public layer ARN: every layer is built in this stack from uv.lock.
    assert all(function["Layers"] == [{"Ref": layer_id}] for function in functions)


def _asset_directory(synth: Synthesized) -> Path:
    key = next(iter(_functions(synth).values()))["Code"]["S3Key"]
    return synth.outdir / f"asset.{key.removesuffix('.zip')}"


def test_code_asset_holds_only_the_runtime_packages(synthesized: Synthesized) -> None:
    asset = _asset_directory(synthesized)
    files = [path.relative_to(asset) for path in asset.rglob("*") if path.is_file()]
    assert {path.parts[0] for path in files} <= RUNTIME_PACKAGES
    assert not [path for path in files if "__pycache__" in path.parts or "tests" in path.parts]
    assert not [path for path in files if path.suffix == ".pyc"]


def test_code_asset_zips_far_below_the_lambda_limit(synthesized: Synthesized) -> None:
    asset = _asset_directory(synthesized)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(asset.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(asset))
    assert buffer.tell() < MAX_ASSET_ZIP_BYTES
