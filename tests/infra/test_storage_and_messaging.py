"""Images bucket, access-log bucket, inventory topic, failure queues and the stream -> projector mapping."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.models.events import InventoryEventType
from shared.models.jobs import WORK_QUEUE_MAX_RECEIVES
from shared.tables import IMAGE_PREFIX, IMPORT_PREFIX, PRODUCT_KEY_PREFIX, PRODUCTS, UPLOAD_PREFIX
from tests.infra.support import ALERT_EMAIL, Synthesized, as_list, render

pytestmark = pytest.mark.infra

BLOCK_ALL = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}


def _bucket(synth: Synthesized) -> dict[str, Any]:
    return synth.properties(synth.stack.images.bucket)


def _bucket_policy(synth: Synthesized, bucket: Any) -> list[dict[str, Any]]:
    bucket_id = synth.logical_id(bucket)
    (policy,) = [
        resource["Properties"]["PolicyDocument"]["Statement"]
        for resource in synth.of_type("AWS::S3::BucketPolicy").values()
        if resource["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    statements: list[dict[str, Any]] = policy
    return statements


def test_images_bucket_is_private_encrypted_versioned_and_owner_enforced(synthesized: Synthesized) -> None:
    bucket = _bucket(synthesized)
    assert bucket["PublicAccessBlockConfiguration"] == BLOCK_ALL
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


@pytest.mark.parametrize("bucket_name", ["images", "access-logs"])
def test_buckets_refuse_requests_without_tls_12(synthesized: Synthesized, bucket_name: str) -> None:
    bucket = (
        synthesized.stack.images.bucket if bucket_name == "images" else synthesized.stack.access_logs.bucket
    )
    denials = [s for s in _bucket_policy(synthesized, bucket) if s["Effect"] == "Deny"]
    conditions = [statement["Condition"] for statement in denials]
    assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
    assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions


def test_images_lifecycle_expires_uploads_old_versions_and_abandoned_multipart(
    synthesized: Synthesized,
) -> None:
    rules = {rule["Id"]: rule for rule in _bucket(synthesized)["LifecycleConfiguration"]["Rules"]}
    uploads = rules["expire-unregistered-uploads"]
    assert (uploads["Prefix"], uploads["ExpirationInDays"]) == (UPLOAD_PREFIX, 1)
    assert rules["expire-noncurrent-versions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    multipart = rules["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"]
    assert multipart == {"DaysAfterInitiation": 1}
    assert {rule["Status"] for rule in rules.values()} == {"Enabled"}


def test_uploads_trigger_image_registration_and_import_files_start_imports_and_nothing_else(
    synthesized: Synthesized,
) -> None:
    stack = synthesized.stack
    bucket_id = synthesized.logical_id(stack.images.bucket)
    # The aliases: S3 must invoke SnapStart's versions, never the bare functions.
    targets = {
        UPLOAD_PREFIX: synthesized.logical_id(stack.images.registration.alias),
        IMPORT_PREFIX: synthesized.logical_id(stack.bulk.start.alias),
    }
    configurations = _bucket(synthesized)["NotificationConfiguration"]["LambdaConfigurations"]
    assert {c["Event"] for c in configurations} == {"s3:ObjectCreated:*"}
    assert {
        c["Filter"]["S3Key"]["Rules"][0]["Value"]: c["Function"]["Ref"] for c in configurations
    } == targets
    assert all(len(c["Filter"]["S3Key"]["Rules"]) == 1 for c in configurations)
    permissions = {
        key: resource["Properties"]["FunctionName"]["Ref"]
        for key, resource in synthesized.of_type("AWS::Lambda::Permission").items()
        if resource["Properties"]["Principal"] == "s3.amazonaws.com"
    }
    assert sorted(permissions.values()) == sorted(targets.values())
    assert set(permissions) <= set(as_list(synthesized.resources[bucket_id]["DependsOn"]))


def test_cloudfront_may_read_registered_images_only(synthesized: Synthesized) -> None:
    statements = _bucket_policy(synthesized, synthesized.stack.images.bucket)
    (grant,) = [s for s in statements if s["Effect"] == "Allow"]
    assert grant["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert grant["Action"] == "s3:GetObject"
    assert render(grant["Resource"]).endswith(f"/{IMAGE_PREFIX}*")
    assert "distribution/" in render(grant["Condition"]["StringEquals"]["AWS:SourceArn"])


def test_images_bucket_logs_server_access_to_the_log_bucket(synthesized: Synthesized) -> None:
    logging = _bucket(synthesized)["LoggingConfiguration"]
    assert logging["DestinationBucketName"] == {
        "Ref": synthesized.logical_id(synthesized.stack.access_logs.bucket)
    }


def test_production_keeps_the_buckets(production: Synthesized) -> None:
    for bucket in (production.stack.images.bucket, production.stack.access_logs.bucket):
        assert production.resources[production.logical_id(bucket)]["DeletionPolicy"] == "Retain"


def test_inventory_topic_is_encrypted_with_a_rotating_customer_managed_key(synthesized: Synthesized) -> None:
    projection = synthesized.stack.projection
    topic = synthesized.properties(projection.inventory_topic)
    key_id = synthesized.logical_id(projection.topic_key)
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert synthesized.resources[key_id]["Properties"]["EnableKeyRotation"] is True


def test_every_topic_refuses_publishing_without_tls(synthesized: Synthesized) -> None:
    policies = synthesized.of_type("AWS::SNS::TopicPolicy").values()
    assert len(policies) == len(synthesized.of_type("AWS::SNS::Topic"))
    for policy in policies:
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert (statement["Effect"], statement["Condition"]) == (
            "Deny",
            {"Bool": {"aws:SecureTransport": "false"}},
        )


def test_the_alert_email_receives_only_low_and_depleted_stock_events(synthesized: Synthesized) -> None:
    topic_ref = {"Ref": synthesized.logical_id(synthesized.stack.projection.inventory_topic)}
    (subscription,) = [
        resource["Properties"]
        for resource in synthesized.of_type("AWS::SNS::Subscription").values()
        if resource["Properties"]["TopicArn"] == topic_ref
    ]
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("email", ALERT_EMAIL)
    assert subscription["FilterPolicy"] == {
        "type": [InventoryEventType.LOW.value, InventoryEventType.DEPLETED.value]
    }


@pytest.mark.parametrize("queue_name", ["projection", "image-registration"])
def test_failure_queues_are_encrypted_and_tls_only(synthesized: Synthesized, queue_name: str) -> None:
    stack = synthesized.stack
    queue = stack.projection.failures if queue_name == "projection" else stack.images.registration_failures
    key = synthesized.logical_id(stack.data.key)
    assert synthesized.properties(queue)["KmsMasterKeyId"] == {"Fn::GetAtt": [key, "Arn"]}
    queue_ref = {"Ref": synthesized.logical_id(queue)}
    (policy,) = [
        resource["Properties"]["PolicyDocument"]["Statement"]
        for resource in synthesized.of_type("AWS::SQS::QueuePolicy").values()
        if resource["Properties"]["Queues"] == [queue_ref]
    ]
    assert policy[0]["Effect"] == "Deny"
    assert policy[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def _mapping(synth: Synthesized, function: Any = None) -> dict[str, Any]:
    """The event source mapping of ``function`` (default: the projector's), which invokes its alias."""
    target = (function or synth.stack.projection.projector).alias
    (properties,) = [
        mapping["Properties"]
        for mapping in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if mapping["Properties"]["FunctionName"] == {"Ref": synth.logical_id(target)}
    ]
    return dict(properties)


def test_the_event_log_stream_feeds_the_publisher_new_items_with_partial_failures(
    synthesized: Synthesized,
) -> None:
    stack = synthesized.stack
    mapping = _mapping(synthesized, stack.publishing.publisher)
    assert mapping["EventSourceArn"] == {
        "Fn::GetAtt": [synthesized.logical_id(stack.data.event_log), "StreamArn"]
    }
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]] == [
        {"eventName": ["INSERT"]}
    ]
    failures_id = synthesized.logical_id(stack.publishing.failures)
    assert mapping["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": [failures_id, "Arn"]}}
    }


def test_a_schedule_sweeps_the_log_every_minute(synthesized: Synthesized) -> None:
    (rule,) = synthesized.of_type("AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    (target,) = rule["Properties"]["Targets"]
    # The schedule invokes the published alias, as every other trigger does (SnapStart).
    assert target["Arn"] == {"Ref": synthesized.logical_id(synthesized.stack.publishing.publisher.alias)}


def test_the_products_stream_feeds_the_projector_with_partial_batch_failures(
    synthesized: Synthesized,
) -> None:
    mapping, stack = _mapping(synthesized), synthesized.stack
    stream = synthesized.catalog.config.stream
    assert mapping["EventSourceArn"] == {
        "Fn::GetAtt": [synthesized.logical_id(stack.data.products), "StreamArn"]
    }
    assert mapping["FunctionName"] == {"Ref": synthesized.logical_id(stack.projection.projector.alias)}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == stream.batch_size
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["StartingPosition"] == "TRIM_HORIZON"


def test_stream_retries_are_bounded_then_parked_in_the_failure_queue(synthesized: Synthesized) -> None:
    mapping, stream = _mapping(synthesized), synthesized.catalog.config.stream
    assert 0 < mapping["MaximumRetryAttempts"] == stream.retry_attempts
    assert 0 < mapping["MaximumRecordAgeInSeconds"] == stream.max_record_age_seconds
    failures_id = synthesized.logical_id(synthesized.stack.projection.failures)
    assert mapping["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": [failures_id, "Arn"]}}
    }


def test_only_product_items_reach_the_projector(synthesized: Synthesized) -> None:
    (pattern,) = _mapping(synthesized)["FilterCriteria"]["Filters"]
    assert json.loads(pattern["Pattern"]) == {
        "dynamodb": {"Keys": {PRODUCTS.partition_key: {"S": [{"prefix": PRODUCT_KEY_PREFIX}]}}}
    }


@pytest.mark.parametrize("consumer", ["import-batch", "export-job"])
def test_bulk_work_is_consumed_one_message_at_a_time_with_partial_failures_and_a_dead_letter_queue(
    synthesized: Synthesized, consumer: str
) -> None:
    stack = synthesized.stack
    function, queue, failures = {
        "import-batch": (stack.bulk.batch, stack.bulk.batch_queue, stack.bulk.batch_failures),
        "export-job": (stack.bulk.export, stack.bulk.export_queue, stack.bulk.export_failures),
    }[consumer]
    (mapping,) = [
        resource["Properties"]
        for resource in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if resource["Properties"]["FunctionName"] == {"Ref": synthesized.logical_id(function.alias)}
    ]
    queue_properties = synthesized.properties(queue)

    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [synthesized.logical_id(queue), "Arn"]}
    assert mapping["BatchSize"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert queue_properties["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [synthesized.logical_id(failures), "Arn"]},
        "maxReceiveCount": WORK_QUEUE_MAX_RECEIVES,
    }
    assert queue_properties["VisibilityTimeout"] >= 6 * synthesized.properties(function.function)["Timeout"]


def test_import_fan_out_concurrency_is_bounded_by_configuration(synthesized: Synthesized) -> None:
    (mapping,) = [
        resource["Properties"]
        for resource in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if resource["Properties"]["FunctionName"]
        == {"Ref": synthesized.logical_id(synthesized.stack.bulk.batch.alias)}
    ]

    assert mapping["ScalingConfig"] == {
        "MaximumConcurrency": synthesized.catalog.config.bulk.import_concurrency
    }


@pytest.mark.parametrize("consumer", ["image-registration", "import-start"])
def test_failed_upload_events_are_retried_twice_then_parked(synthesized: Synthesized, consumer: str) -> None:
    stack = synthesized.stack
    function, failures = {
        "image-registration": (stack.images.registration, stack.images.registration_failures),
        "import-start": (stack.bulk.start, stack.bulk.start_failures),
    }[consumer]
    (properties,) = [
        config["Properties"]
        for config in synthesized.of_type("AWS::Lambda::EventInvokeConfig").values()
        if config["Properties"]["FunctionName"] == {"Ref": synthesized.logical_id(function.function)}
    ]
    failures_id = synthesized.logical_id(failures)
    assert properties["MaximumRetryAttempts"] == 2
    assert properties["DestinationConfig"] == {
        "OnFailure": {"Destination": {"Fn::GetAtt": [failures_id, "Arn"]}}
    }
