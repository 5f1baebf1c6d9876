"""The web ACLs in front of both APIs: managed rules, per-client rate limits, alarms."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cdk.constructs.firewall import FORWARDED_FOR_HEADER, MANAGED_RULE_GROUPS, RATE_RULE
from tests.infra.support import Synthesized

pytestmark = pytest.mark.infra


def _acl(synth: Synthesized, name: str) -> dict[str, Any]:
    return synth.properties(synth.stack.firewalls[name].web_acl)


def _rules(synth: Synthesized, name: str) -> dict[str, dict[str, Any]]:
    return {rule["Name"]: rule for rule in _acl(synth, name)["Rules"]}


@pytest.mark.parametrize("name", ["admin", "public"])
def test_each_api_stage_has_a_regional_web_acl(synthesized: Synthesized, name: str) -> None:
    firewall = synthesized.stack.firewalls[name]
    api = synthesized.stack.admin.api if name == "admin" else synthesized.stack.public.api
    acl = synthesized.logical_id(firewall.web_acl)
    stage = synthesized.logical_id(api.deployment_stage)
    association = synthesized.properties(firewall.association)
    assert _acl(synthesized, name)["Scope"] == "REGIONAL"
    assert association["WebACLArn"] == {"Fn::GetAtt": [acl, "Arn"]}
    assert stage in json.dumps(association["ResourceArn"])
    assert len(synthesized.of_type("AWS::WAFv2::WebACLAssociation")) == 2


@pytest.mark.parametrize("name", ["admin", "public"])
def test_managed_common_and_known_bad_input_rules_run_before_the_rate_limit(
    synthesized: Synthesized, name: str
) -> None:
    rules = _acl(synthesized, name)["Rules"]
    assert [rule["Name"] for rule in sorted(rules, key=lambda rule: rule["Priority"])] == [
        *MANAGED_RULE_GROUPS,
        RATE_RULE,
    ]
    for group in MANAGED_RULE_GROUPS:
        statement = _rules(synthesized, name)[group]["Statement"]["ManagedRuleGroupStatement"]
        assert (statement["VendorName"], statement["Name"]) == ("AWS", group)
        assert _rules(synthesized, name)[group]["OverrideAction"] == {"None": {}}


def test_the_common_rule_sets_8_kib_body_limit_only_counts_so_the_api_keeps_its_64_kib(
    synthesized: Synthesized,
) -> None:
    statement = _rules(synthesized, "admin")["AWSManagedRulesCommonRuleSet"]["Statement"]
    overrides = statement["ManagedRuleGroupStatement"]["RuleActionOverrides"]
    assert overrides == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]


def test_admin_clients_are_limited_by_their_source_address(synthesized: Synthesized) -> None:
    rule = _rules(synthesized, "admin")[RATE_RULE]
    statement = rule["Statement"]["RateBasedStatement"]
    assert rule["Action"] == {"Block": {}}
    assert statement["AggregateKeyType"] == "IP"
    assert statement["Limit"] == synthesized.stack.config.firewall.admin_rate_limit
    assert statement["EvaluationWindowSec"] == 300


def test_public_clients_are_limited_by_the_viewer_address_cloudfront_forwards(
    synthesized: Synthesized,
) -> None:
    statement = _rules(synthesized, "public")[RATE_RULE]["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "FORWARDED_IP"
    assert statement["ForwardedIPConfig"] == {"HeaderName": FORWARDED_FOR_HEADER, "FallbackBehavior": "MATCH"}
    assert statement["Limit"] == 3000


def test_the_rate_limit_is_configured_per_stage(production: Synthesized) -> None:
    statement = _rules(production, "public")[RATE_RULE]["Statement"]["RateBasedStatement"]
    assert statement["Limit"] == 6000


@pytest.mark.parametrize("name", ["admin", "public"])
def test_a_spike_of_blocked_requests_raises_an_alarm_and_shows_on_the_dashboard(
    synthesized: Synthesized, name: str
) -> None:
    acl_name = _acl(synthesized, name)["Name"]
    alarms = [
        alarm["Properties"]
        for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "BlockedRequests"
        and {"Name": "WebACL", "Value": acl_name} in alarm["Properties"]["Dimensions"]
    ]
    assert len(alarms) == 1
    assert alarms[0]["Namespace"] == "AWS/WAFV2"
    assert alarms[0]["Threshold"] == synthesized.stack.config.firewall.blocked_alarm_threshold
    assert alarms[0]["AlarmActions"]
    dashboard = json.dumps(synthesized.properties(synthesized.stack.monitoring.dashboard)["DashboardBody"])
    assert "BlockedRequests" in dashboard
    assert acl_name in dashboard
