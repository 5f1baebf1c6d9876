"""Alarms on every failure signal SPEC names, an encrypted alarm topic, and a dashboard."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.routes import FUNCTIONS
from tests.infra.support import ALERT_EMAIL, Synthesized

pytestmark = pytest.mark.infra


def _alarms(synth: Synthesized) -> list[dict[str, Any]]:
    return [resource["Properties"] for resource in synth.of_type("AWS::CloudWatch::Alarm").values()]


def _alarms_on(synth: Synthesized, metric: str, dimension: str, value: Any) -> list[dict[str, Any]]:
    return [
        alarm
        for alarm in _alarms(synth)
        if alarm["MetricName"] == metric
        and {"Name": dimension, "Value": value} in alarm.get("Dimensions", [])
    ]


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
@pytest.mark.parametrize("key", [spec.key for spec in FUNCTIONS])
def test_every_function_alarms_on_errors_and_throttles(
    synthesized: Synthesized, key: str, metric: str
) -> None:
    function_ref = {"Ref": synthesized.logical_id(synthesized.stack.functions[key].function)}
    (alarm,) = _alarms_on(synthesized, metric, "FunctionName", function_ref)
    assert (alarm["Statistic"], alarm["Threshold"]) == ("Sum", 1)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


@pytest.mark.parametrize("api", ["admin", "public"])
def test_both_apis_alarm_on_server_errors(synthesized: Synthesized, api: str) -> None:
    rest_api = synthesized.stack.admin.api if api == "admin" else synthesized.stack.public.api
    name = synthesized.properties(rest_api)["Name"]
    (alarm,) = _alarms_on(synthesized, "5XXError", "ApiName", name)
    assert alarm["Namespace"] == "AWS/ApiGateway"


def test_projection_lag_alarms_on_the_projector_iterator_age(synthesized: Synthesized) -> None:
    projector_ref = {"Ref": synthesized.logical_id(synthesized.stack.projection.projector.function)}
    (alarm,) = _alarms_on(synthesized, "IteratorAge", "FunctionName", projector_ref)
    assert alarm["Statistic"] == "Maximum"
    assert alarm["Threshold"] == synthesized.catalog.config.iterator_age_alarm_seconds * 1000


@pytest.mark.parametrize(
    "queue_name", ["projection", "image-registration", "import-start", "import-batch", "export-job"]
)
def test_any_parked_record_raises_an_alarm(synthesized: Synthesized, queue_name: str) -> None:
    stack = synthesized.stack
    queue = {
        "projection": stack.projection.failures,
        "image-registration": stack.images.registration_failures,
        # A bulk job's work that failed every retry: the job has failed.
        "import-start": stack.bulk.start_failures,
        "import-batch": stack.bulk.batch_failures,
        "export-job": stack.bulk.export_failures,
    }[queue_name]
    queue_name_ref = {"Fn::GetAtt": [synthesized.logical_id(queue), "QueueName"]}
    (alarm,) = _alarms_on(synthesized, "ApproximateNumberOfMessagesVisible", "QueueName", queue_name_ref)
    # >= 1 message visible is "depth > 0".
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1)


@pytest.mark.parametrize("work", ["import-batches", "export-jobs"])
def test_a_stuck_bulk_job_raises_an_alarm(synthesized: Synthesized, work: str) -> None:
    bulk = synthesized.stack.bulk
    queue = bulk.batch_queue if work == "import-batches" else bulk.export_queue
    queue_name_ref = {"Fn::GetAtt": [synthesized.logical_id(queue), "QueueName"]}
    (alarm,) = _alarms_on(synthesized, "ApproximateAgeOfOldestMessage", "QueueName", queue_name_ref)
    assert alarm["Threshold"] == synthesized.catalog.config.bulk.stuck_job_alarm_minutes * 60


def test_the_dashboard_shows_the_bulk_jobs(synthesized: Synthesized) -> None:
    (dashboard,) = synthesized.of_type("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for expected in ("Bulk jobs", "ImportRowsApplied", "ImportRowsFailed", "ApproximateAgeOfOldestMessage"):
        assert expected in body


def test_every_alarm_notifies_the_encrypted_alarm_topic(synthesized: Synthesized) -> None:
    monitoring = synthesized.stack.monitoring
    topic_ref = {"Ref": synthesized.logical_id(monitoring.alarm_topic)}
    for alarm in _alarms(synthesized):
        assert alarm["AlarmActions"] == [topic_ref], alarm["AlarmName"]
        assert alarm["OKActions"] == [topic_ref], alarm["AlarmName"]
    topic = synthesized.properties(monitoring.alarm_topic)
    key_id = topic["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key = synthesized.resources[key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    cloudwatch = [
        statement
        for statement in key["KeyPolicy"]["Statement"]
        if statement.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert len(cloudwatch) == 1
    assert sorted(cloudwatch[0]["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]


def test_the_alert_email_also_receives_alarms(synthesized: Synthesized) -> None:
    topic_ref = {"Ref": synthesized.logical_id(synthesized.stack.monitoring.alarm_topic)}
    subscriptions = [
        resource["Properties"]
        for resource in synthesized.of_type("AWS::SNS::Subscription").values()
        if resource["Properties"]["TopicArn"] == topic_ref
    ]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", ALERT_EMAIL)]


def test_there_is_an_operations_dashboard(synthesized: Synthesized) -> None:
    (dashboard,) = synthesized.of_type("AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == f"{synthesized.catalog.config.prefix}-operations"
