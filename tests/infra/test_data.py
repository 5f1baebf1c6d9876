"""DynamoDB tables: keys from shared.tables, encryption, recovery, stream, TTL and retention by stage."""

from __future__ import annotations

from typing import Any

import pytest

from shared.tables import EVENT_LOG, IDEMPOTENCY, PRODUCTS, VIEWS, TableSchema
from tests.infra.support import Synthesized

pytestmark = pytest.mark.infra


def _tables(synth: Synthesized) -> dict[str, tuple[TableSchema, str]]:
    data = synth.stack.data
    return {
        "products": (PRODUCTS, synth.logical_id(data.products)),
        "views": (VIEWS, synth.logical_id(data.views)),
        "idempotency": (IDEMPOTENCY, synth.logical_id(data.idempotency)),
        "events": (EVENT_LOG, synth.logical_id(data.event_log)),
    }


def _key_schema(partition_key: str, sort_key: str | None) -> list[dict[str, str]]:
    keys = [{"AttributeName": partition_key, "KeyType": "HASH"}]
    if sort_key:
        keys.append({"AttributeName": sort_key, "KeyType": "RANGE"})
    return keys


def test_there_are_exactly_the_tables_of_shared_tables(synthesized: Synthesized) -> None:
    assert set(synthesized.of_type("AWS::DynamoDB::Table")) == {
        logical_id for _, logical_id in _tables(synthesized).values()
    }


@pytest.mark.parametrize("role", ["products", "views", "idempotency", "events"])
def test_table_keys_and_indexes_are_the_shared_schemas(synthesized: Synthesized, role: str) -> None:
    schema, logical_id = _tables(synthesized)[role]
    table = synthesized.resources[logical_id]["Properties"]

    assert table["KeySchema"] == _key_schema(schema.partition_key, schema.sort_key)
    indexes = {index["IndexName"]: index for index in table.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {index.name for index in schema.indexes}
    for index in schema.indexes:
        assert indexes[index.name]["KeySchema"] == _key_schema(index.partition_key, index.sort_key)
        assert indexes[index.name]["Projection"] == {"ProjectionType": "ALL"}
    assert {a["AttributeType"] for a in table["AttributeDefinitions"]} == {"S"}


@pytest.mark.parametrize("role", ["products", "views", "idempotency", "events"])
def test_every_table_is_encrypted_with_the_rotating_customer_managed_key_and_recoverable(
    synthesized: Synthesized, role: str
) -> None:
    _, logical_id = _tables(synthesized)[role]
    table = synthesized.resources[logical_id]["Properties"]
    key_id = synthesized.logical_id(synthesized.stack.data.key)

    assert table["SSESpecification"] == {
        "KMSMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
        "SSEEnabled": True,
        "SSEType": "KMS",
    }
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert synthesized.resources[key_id]["Properties"]["EnableKeyRotation"] is True


def test_the_products_table_streams_both_images_and_the_event_log_new_items(synthesized: Synthesized) -> None:
    streams = {
        role: synthesized.resources[logical_id]["Properties"].get("StreamSpecification")
        for role, (_, logical_id) in _tables(synthesized).items()
    }
    assert streams == {
        "products": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
        "views": None,
        "idempotency": None,
        "events": {"StreamViewType": "NEW_IMAGE"},
    }


def test_idempotency_records_expire_through_the_ttl_attribute(synthesized: Synthesized) -> None:
    table = synthesized.properties(synthesized.stack.data.idempotency)
    assert table["TimeToLiveSpecification"] == {"AttributeName": IDEMPOTENCY.ttl_attribute, "Enabled": True}


def _policies(synth: Synthesized, logical_id: str) -> tuple[Any, Any]:
    resource = synth.resources[logical_id]
    return resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")


def test_dev_tables_and_key_may_be_destroyed(synthesized: Synthesized) -> None:
    for _, logical_id in _tables(synthesized).values():
        assert _policies(synthesized, logical_id) == ("Delete", "Delete")
        assert not synthesized.resources[logical_id]["Properties"].get("DeletionProtectionEnabled")


def test_production_retains_and_protects_tables_and_key(production: Synthesized) -> None:
    for _, logical_id in _tables(production).values():
        assert _policies(production, logical_id) == ("Retain", "Retain")
        assert production.resources[logical_id]["Properties"]["DeletionProtectionEnabled"] is True
    assert _policies(production, production.logical_id(production.stack.data.key)) == ("Retain", "Retain")
