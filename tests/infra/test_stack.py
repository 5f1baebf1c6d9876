"""The stack as a whole: region, tags, outputs, the cdk-nag gate and cfn-lint, and its configuration."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, CfnResource, Stack, TagManager
from aws_cdk import aws_sqs as sqs

from cdk.config import ConfigError, context_overrides, read_cdk_json, stack_config
from cdk.nag import MIN_REASON_LENGTH, acknowledge, add_nag_gate
from tests.infra.support import Synthesized

pytestmark = pytest.mark.infra

STABLE_OUTPUTS = {
    "AdminApiUrl",
    "ConsoleUrl",
    "SignInDomainUrl",
    "PublicApiUrl",
    "DistributionDomainName",
    "InventoryTopicArn",
    "ImagesBucketName",
    "UserPoolId",
    "UserPoolClientId",
    "ProductsTableName",
    "ViewsTableName",
    "IdempotencyTableName",
}


def test_the_stack_deploys_to_us_west_1_by_default(synthesized: Synthesized) -> None:
    assert synthesized.stack.region == "us-west-1"
    assert read_cdk_json()["catalog"]["region"] == "us-west-1"


def _tags(resource: dict[str, Any]) -> dict[str, str]:
    properties = resource.get("Properties", {})
    tags = properties.get("Tags", properties.get("UserPoolTags"))
    if isinstance(tags, dict):
        return tags
    return {tag["Key"]: tag["Value"] for tag in tags or []}


def test_every_taggable_resource_carries_name_environment_and_owner(synthesized: Synthesized) -> None:
    config = synthesized.catalog.config
    taggable = [
        node
        for node in synthesized.stack.node.find_all()
        if isinstance(node, CfnResource) and TagManager.of(node) is not None
    ]
    assert len(taggable) > 50
    for node in taggable:
        tags = _tags(synthesized.resources[synthesized.logical_id(node)])
        assert tags.get("Environment") == config.stage, node.node.path
        assert tags.get("Owner") == config.owner, node.node.path
        assert tags.get("Name", "").startswith(f"{config.prefix}-"), node.node.path


def test_names_say_what_a_resource_is(synthesized: Synthesized) -> None:
    tags = _tags(synthesized.resources[synthesized.logical_id(synthesized.stack.data.products)])
    assert tags["Name"] == "catalog-dev-data-products-table"


def test_outputs_have_stable_ids(synthesized: Synthesized) -> None:
    assert set(synthesized.raw["Outputs"]) >= STABLE_OUTPUTS


def test_production_stacks_are_termination_protected(
    production: Synthesized, synthesized: Synthesized
) -> None:
    assert production.stack.termination_protection is True
    assert synthesized.stack.termination_protection is False


def _nag_report(synth: Synthesized) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((synth.outdir / "validation-report.json").read_text(encoding="utf-8"))
    (plugin,) = report["pluginReports"]
    assert plugin["pluginName"] == "AwsSolutions"
    return dict(plugin)


def test_the_cdk_nag_gate_passed_with_every_finding_acknowledged_for_a_reason(
    synthesized: Synthesized,
) -> None:
    plugin = _nag_report(synthesized)
    assert (plugin["conclusion"], plugin["violations"]) == ("success", [])
    for suppressed in plugin["suppressedViolations"]:
        assert len(suppressed["reason"]) >= MIN_REASON_LENGTH, suppressed["acknowledgedId"]


def test_no_acknowledgement_is_stale(synthesized: Synthesized) -> None:
    used = {
        (suppressed["acknowledgedAt"], suppressed["acknowledgedId"])
        for suppressed in _nag_report(synthesized)["suppressedViolations"]
    }
    metadata = json.loads((synthesized.outdir / f"{synthesized.stack.artifact_id}.metadata.json").read_text())
    declared = {
        (path.lstrip("/"), rule)
        for path, entries in metadata.items()
        for entry in entries
        if entry["type"] == "aws:cdk:acknowledged-rules"
        for rule in entry["data"]
    }
    assert declared - used == set(), "acknowledged, but cdk-nag reports nothing there"


def test_the_cdk_nag_gate_stops_synthesis_on_an_unacknowledged_finding(tmp_path: Any) -> None:
    app = App(outdir=str(tmp_path), analytics_reporting=False, stack_traces=False, tree_metadata=False)
    sqs.Queue(Stack(app, "Probe"), "PlainQueue")  # no TLS enforcement, no dead-letter queue
    add_nag_gate(app)
    with pytest.raises(RuntimeError, match="AwsSolutions-SQS4"):
        app.synth()


def test_an_acknowledgement_without_a_real_reason_is_refused() -> None:
    app = App()
    with pytest.raises(ValueError, match="reason"):
        acknowledge(Stack(app, "Probe"), "AwsSolutions-S1", "not needed")


def test_cfn_lint_finds_nothing(synthesized: Synthesized) -> None:
    from cfnlint.api import ManualArgs, lint_file  # type: ignore[import-untyped]

    template = synthesized.outdir / f"{synthesized.stack.artifact_id}.template.json"
    matches = lint_file(template, config=ManualArgs(ignore_checks=["W3005"], regions=["us-west-1"]))
    assert [str(match) for match in matches] == []


def _config(**context: Any) -> Any:
    return stack_config({**read_cdk_json(), **context})


def test_cdk_json_gives_the_stage_settings_and_per_stage_overrides() -> None:
    dev, prod = _config(stage="dev"), _config(stage="prod")
    catalog = read_cdk_json()["catalog"]
    assert dev.log_retention_days == catalog["stages"]["dev"]["log_retention_days"]
    assert prod.log_retention_days == catalog["stages"]["prod"]["log_retention_days"]
    assert prod.is_production
    assert not dev.is_production
    assert dev.owner == catalog["owner"]


def test_command_line_context_wins_over_cdk_json() -> None:
    config = _config(stage="dev", admin_allowed_origins="https://a.example,https://b.example", owner="ops")
    assert config.admin_allowed_origins == ("https://a.example", "https://b.example")
    assert config.owner == "ops"


def test_the_stage_can_come_from_the_environment() -> None:
    assert context_overrides({"STAGE": "prod"}) == {"stage": "prod"}
    assert context_overrides({}) == {}


@pytest.mark.parametrize(
    ("context", "problem"),
    [
        ({"admin_allowed_origins": ["http://admin.example"]}, "not an https origin"),
        ({"admin_allowed_origins": ["https://admin.example/path"]}, "not an https origin"),
        ({"domain_name": "catalog.example"}, "certificate_arn"),
        ({"log_retention_days": 10}, "cannot keep logs for 10 days"),
        ({"stage": "Prod!"}, "stage"),
        ({"catalog": {**read_cdk_json()["catalog"], "surprise": 1}}, "surprise"),
    ],
)
def test_invalid_configuration_fails_before_anything_is_built(context: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        _config(**{"stage": "dev", **context})
