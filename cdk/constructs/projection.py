"""The projection: products stream -> projector -> read views and the event log, and the topic.

The projector writes each view change and the events it produced in one transaction; it never
calls SNS (``EventPublishing`` publishes from the log), so an SNS outage cannot fail its records.

The event source mapping hands the projector batches of *product* records only (the SKU guard
items of the write model are filtered out before they cost an invocation). A failing record is
reported back (``ReportBatchItemFailures``) so only the batch tail is retried; a poison record is
isolated by bisecting, retried a bounded number of times and then parked (as a pointer to the
shard and sequence numbers) in an encrypted on-failure queue, which is alarmed.
"""

from __future__ import annotations

import json

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from cdk.config import StackConfig
from cdk.constructs.data import CatalogData
from cdk.constructs.failure_queue import build_failure_queue
from cdk.constructs.function import CatalogFunction, FunctionDefaults
from shared.models.events import InventoryEventType
from shared.routes import function
from shared.tables import PRODUCT_RECORDS_FILTER

# What the optional alert e-mail subscription receives: stock running low or gone.
ALERT_EVENT_TYPES = (InventoryEventType.LOW.value, InventoryEventType.DEPLETED.value)


def product_records_filter() -> str:
    """The event-source filter pattern that lets only product items (``PRODUCT#...``) through."""
    return json.dumps(PRODUCT_RECORDS_FILTER)


class Projection(Construct):
    """Event topic (CMK-encrypted), projector function, its stream mapping and failure queue."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        data: CatalogData,
        defaults: FunctionDefaults,
        images_base_url: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.topic_key = kms.Key(
            self,
            "TopicKey",
            description=f"{config.prefix}: encrypts inventory events at rest in SNS",
            enable_key_rotation=True,
            pending_window=Duration.days(30 if config.is_production else 7),
            removal_policy=config.removal_policy,
        )
        self.inventory_topic = self._build_topic()
        self.failures = build_failure_queue(
            self,
            "ProjectionFailures",
            key=data.key,
            consumer="the projector's stream mapping",
            replay="records are replayed from the stream or a rebuild",
        )
        self.projector = self._build_projector(data, defaults, images_base_url)
        self.event_source_mapping = self._build_event_source_mapping(data)

    def _build_topic(self) -> sns.Topic:
        topic = sns.Topic(
            self,
            "InventoryTopic",
            display_name="Catalog inventory events",
            master_key=self.topic_key,
            enforce_ssl=True,
        )
        if self._config.alert_email:
            topic.add_subscription(
                subscriptions.EmailSubscription(
                    self._config.alert_email,
                    filter_policy={
                        "type": sns.SubscriptionFilter.string_filter(allowlist=list(ALERT_EVENT_TYPES))
                    },
                )
            )
        return topic

    def _build_projector(
        self, data: CatalogData, defaults: FunctionDefaults, images_base_url: str
    ) -> CatalogFunction:
        projector = CatalogFunction(
            self,
            "Projector",
            spec=function("projector"),
            defaults=defaults,
            settings={
                "views_table_name": data.views.table_name,
                "event_log_table_name": data.event_log.table_name,
                "event_log_retention_days": self._config.event_log.retention_days,
                "images_base_url": images_base_url,
            },
            timeout=Duration.seconds(60),
        )
        stream_arn = data.products.table_stream_arn
        assert stream_arn is not None, "the products table must have a stream"
        projector.grant(
            "ReadProductsStream",
            actions=["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
            resources=[stream_arn],
        )
        # Lambda's stream poller lists the table's streams; ListStreams has no resource-level scoping.
        projector.grant("ListProductsStreams", actions=["dynamodb:ListStreams"], resources=["*"])
        # Reads the stored view (version guard), then one transaction of Put (view) + Update (counts).
        projector.grant(
            "MaintainViews",
            actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            resources=[data.views.table_arn],
        )
        # Each event is a Put in the view change's transaction.
        projector.grant("LogEvents", actions=["dynamodb:PutItem"], resources=[data.event_log.table_arn])
        # Decrypt reads the stream; GenerateDataKey parks failed batches in the encrypted failure queue.
        projector.grant(
            "UseTableKey", actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[data.key.key_arn]
        )
        projector.grant("ParkFailedBatches", actions=["sqs:SendMessage"], resources=[self.failures.queue_arn])
        return projector

    def _build_event_source_mapping(self, data: CatalogData) -> lambda_.CfnEventSourceMapping:
        stream = self._config.stream
        # The L1 on purpose: the L2 event source adds its own (wildcard) grants to the role.
        mapping = lambda_.CfnEventSourceMapping(
            self,
            "ProductsStreamMapping",
            function_name=self.projector.alias.function_arn,
            event_source_arn=data.products.table_stream_arn,
            # The whole retained history: no write made while the mapping was (re)created is skipped.
            starting_position="TRIM_HORIZON",
            batch_size=stream.batch_size,
            maximum_batching_window_in_seconds=stream.max_batching_window_seconds,
            parallelization_factor=stream.parallelization_factor,
            function_response_types=["ReportBatchItemFailures"],
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=stream.retry_attempts,
            maximum_record_age_in_seconds=stream.max_record_age_seconds,
            destination_config=lambda_.CfnEventSourceMapping.DestinationConfigProperty(
                on_failure=lambda_.CfnEventSourceMapping.OnFailureProperty(
                    destination=self.failures.queue_arn
                )
            ),
            filter_criteria=lambda_.CfnEventSourceMapping.FilterCriteriaProperty(
                filters=[lambda_.CfnEventSourceMapping.FilterProperty(pattern=product_records_filter())]
            ),
        )
        # Lambda validates stream access and the destination with the role when it creates the mapping.
        mapping.node.add_dependency(self.projector.role)
        return mapping
