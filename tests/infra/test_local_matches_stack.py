"""The local runtime reproduces the stack: tables, stream mapping and edge cache key agree with the template.

The tables are compared as moto actually created them (``DescribeTable``), not as the local code
asks for them, so a difference in how moto applies a definition would show here too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import boto3
import pytest

from local.resources import Resources
from local.runtime import stack_defaults
from shared.routes import PUBLIC_QUERY_PARAMETERS
from shared.tables import IDEMPOTENCY, PRODUCT_RECORDS_FILTER, PRODUCTS, VIEWS, TableSchema
from tests.infra.support import Synthesized

pytestmark = pytest.mark.infra

ROLES = {"products": PRODUCTS, "views": VIEWS, "idempotency": IDEMPOTENCY}


def _template_table(synth: Synthesized, role: str) -> dict[str, Any]:
    table = {
        "products": synth.stack.data.products,
        "views": synth.stack.data.views,
        "idempotency": synth.stack.data.idempotency,
    }[role]
    return synth.properties(table)


def _indexes(indexes: Sequence[Mapping[str, Any]]) -> dict[str, tuple[Any, Any]]:
    return {index["IndexName"]: (index["KeySchema"], index["Projection"]) for index in indexes}


def _attributes(definitions: Sequence[Mapping[str, Any]]) -> set[tuple[str, str]]:
    return {(d["AttributeName"], d["AttributeType"]) for d in definitions}


@pytest.mark.parametrize("role", sorted(ROLES))
def test_local_tables_have_the_templates_keys_indexes_stream_and_ttl(
    synthesized: Synthesized, aws: Resources, role: str
) -> None:
    schema: TableSchema = ROLES[role]
    expected = _template_table(synthesized, role)
    dynamodb = boto3.client("dynamodb", region_name=aws.region)

    local = dynamodb.describe_table(TableName=aws.names.table(role))["Table"]
    ttl = dynamodb.describe_time_to_live(TableName=aws.names.table(role))["TimeToLiveDescription"]

    assert local["KeySchema"] == expected["KeySchema"]
    assert _attributes(local["AttributeDefinitions"]) == _attributes(expected["AttributeDefinitions"])
    assert _indexes(local.get("GlobalSecondaryIndexes", [])) == _indexes(
        expected.get("GlobalSecondaryIndexes", [])
    )
    assert local["BillingModeSummary"]["BillingMode"] == expected["BillingMode"]
    stream = expected.get("StreamSpecification")
    if stream:
        assert local["StreamSpecification"] == {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
        assert schema.stream == stream["StreamViewType"]
    else:
        assert not local.get("StreamSpecification", {}).get("StreamEnabled", False)
    template_ttl = expected.get("TimeToLiveSpecification")
    if template_ttl:
        assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", template_ttl["AttributeName"])
    else:
        assert ttl["TimeToLiveStatus"] == "DISABLED"


def test_the_local_stream_poller_uses_the_event_source_mappings_settings(synthesized: Synthesized) -> None:
    projector = {"Ref": synthesized.logical_id(synthesized.stack.projection.projector.alias)}
    [mapping] = [
        resource["Properties"]
        for resource in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if resource["Properties"]["FunctionName"] == projector
    ]
    local = stack_defaults()

    assert mapping["BatchSize"] == local.batch_size
    assert mapping["MaximumRetryAttempts"] == local.retry_attempts
    assert mapping["StartingPosition"] == "TRIM_HORIZON"  # the local reader starts there too
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    [pattern] = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern == PRODUCT_RECORDS_FILTER
    assert "OnFailure" in mapping["DestinationConfig"]


def test_the_local_edge_keys_its_cache_like_the_distribution(synthesized: Synthesized) -> None:
    [policy] = [
        r["Properties"]["CachePolicyConfig"]
        for r in synthesized.of_type("AWS::CloudFront::CachePolicy").values()
    ]
    key = policy["ParametersInCacheKeyAndForwardedToOrigin"]

    assert key["QueryStringsConfig"]["QueryStringBehavior"] == "whitelist"
    assert sorted(key["QueryStringsConfig"]["QueryStrings"]) == sorted(PUBLIC_QUERY_PARAMETERS)
    assert key["HeadersConfig"]["HeaderBehavior"] == "none"
    assert key["CookiesConfig"]["CookieBehavior"] == "none"
    assert policy["DefaultTTL"] == 0
    assert policy["MaxTTL"] == stack_defaults().edge_max_ttl
