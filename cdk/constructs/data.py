"""The catalog's DynamoDB tables, built from the key schemas in :mod:`shared.tables`.

All four tables share one customer-managed key with rotation: the write model (with its stream),
the read views, the idempotency records and the event log (with its stream). Point-in-time
recovery is on everywhere; production retains tables and key when the stack goes away, other
stages may be torn down.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk.config import StackConfig
from shared.tables import EVENT_LOG, IDEMPOTENCY, PRODUCTS, VIEWS, IndexSchema, TableSchema

_STREAM_VIEW_TYPES = {
    "NEW_AND_OLD_IMAGES": dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    "NEW_IMAGE": dynamodb.StreamViewType.NEW_IMAGE,
    "OLD_IMAGE": dynamodb.StreamViewType.OLD_IMAGE,
    "KEYS_ONLY": dynamodb.StreamViewType.KEYS_ONLY,
}


class CatalogData(Construct):
    """Products (write model), views (read model), idempotency and event-log tables under one CMK."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        removal = config.removal_policy
        self.key = kms.Key(
            self,
            "TableKey",
            description=f"{config.prefix}: encrypts the catalog tables, their stream and backups",
            enable_key_rotation=True,
            pending_window=Duration.days(30 if config.is_production else 7),
            removal_policy=removal,
        )
        self.products = self._build_table("ProductsTable", PRODUCTS, removal)
        self.views = self._build_table("ViewsTable", VIEWS, removal)
        self.idempotency = self._build_table("IdempotencyTable", IDEMPOTENCY, removal)
        self.event_log = self._build_table("EventLogTable", EVENT_LOG, removal)

    def _build_table(self, construct_id: str, schema: TableSchema, removal: RemovalPolicy) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            construct_id,
            partition_key=dynamodb.Attribute(name=schema.partition_key, type=dynamodb.AttributeType.STRING),
            sort_key=(
                dynamodb.Attribute(name=schema.sort_key, type=dynamodb.AttributeType.STRING)
                if schema.sort_key
                else None
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            stream=_STREAM_VIEW_TYPES[schema.stream] if schema.stream else None,
            time_to_live_attribute=schema.ttl_attribute,
            deletion_protection=self._config.is_production,
            removal_policy=removal,
        )
        for index in schema.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=dynamodb.Attribute(
                    name=index.partition_key, type=dynamodb.AttributeType.STRING
                ),
                sort_key=dynamodb.Attribute(name=index.sort_key, type=dynamodb.AttributeType.STRING),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table


def index_arns(table: dynamodb.ITable, indexes: Iterable[IndexSchema]) -> list[str]:
    """ARNs of some of ``table``'s indexes, named one by one (no ``index/*`` wildcard in grants)."""
    return [f"{table.table_arn}/index/{index.name}" for index in indexes]
