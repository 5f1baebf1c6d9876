"""Event publishing: event log stream and a schedule -> publisher -> the event topic.

The projector logs every event in the same transaction as its view change; this construct sends
them on. The log's stream hands new events to the publisher at once (batch, partial failures,
bisection); what SNS refuses stays unpublished in the log, and an EventBridge schedule runs the
same function every minute to publish whatever is due again, for as long as SNS is down. The
sweep reports the age of the oldest unpublished event, which is alarmed.

The stream mapping's retries are bounded on purpose: a record it gives up on loses nothing (the
event is still in the log, and the sweep publishes it), so its failure queue is only a signal.
"""

from __future__ import annotations

import json

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from cdk.config import StackConfig
from cdk.constructs.data import CatalogData
from cdk.constructs.failure_queue import build_failure_queue
from cdk.constructs.function import CatalogFunction, FunctionDefaults
from shared.routes import function
from shared.tables import NEW_LOG_ITEMS_FILTER, UNPUBLISHED_INDEX

# The sweep's rate: EventBridge's finest. With the retry pauses capped at 30 s, an event held
# back by an outage goes out within about 90 s of SNS being back.
SWEEP_RATE = Duration.minutes(1)
OLDEST_UNPUBLISHED_METRIC = "OldestUnpublishedEventAge"


def new_log_items_filter() -> str:
    """The mapping's filter: new log items only (marking one published is a MODIFY)."""
    return json.dumps(NEW_LOG_ITEMS_FILTER)


class EventPublishing(Construct):
    """The publisher function, its log-stream mapping, its schedule and its failure queue."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        data: CatalogData,
        defaults: FunctionDefaults,
        topic: sns.ITopic,
        topic_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        settings = config.event_log
        self.failures = build_failure_queue(
            self,
            "PublisherFailures",
            key=data.key,
            consumer="the event publisher's log-stream mapping",
            replay="the events it names are still unpublished in the log, where the sweep publishes them",
        )
        self.publisher = CatalogFunction(
            self,
            "Publisher",
            spec=function("event-publisher"),
            defaults=defaults,
            settings={
                "event_log_table_name": data.event_log.table_name,
                "inventory_topic_arn": topic.topic_arn,
                "publish_retry_base_seconds": settings.retry_base_seconds,
                "publish_retry_max_seconds": settings.retry_max_seconds,
            },
            timeout=Duration.seconds(60),
        )
        self._grant(data, topic, topic_key)
        self.event_source_mapping = self._build_event_source_mapping(data)
        self.schedule = events.Rule(
            self,
            "SweepSchedule",
            description="Publishes logged events SNS has not accepted yet",
            schedule=events.Schedule.rate(SWEEP_RATE),
            targets=[targets.LambdaFunction(self.publisher.alias, retry_attempts=2)],
        )
        self.oldest_unpublished_age = cloudwatch.Metric(
            namespace=config.metrics_namespace,
            metric_name=OLDEST_UNPUBLISHED_METRIC,
            dimensions_map={"service": config.service_name},
            period=Duration.minutes(1),
            statistic="Maximum",
        )

    def _grant(self, data: CatalogData, topic: sns.ITopic, topic_key: kms.IKey) -> None:
        publisher = self.publisher
        stream_arn = data.event_log.table_stream_arn
        assert stream_arn is not None, "the event log must have a stream"
        publisher.grant(
            "ReadEventLogStream",
            actions=["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
            resources=[stream_arn],
        )
        # Lambda's stream poller lists the table's streams; ListStreams has no resource-level scoping.
        publisher.grant("ListEventLogStreams", actions=["dynamodb:ListStreams"], resources=["*"])
        # Claim and mark events (UpdateItem); the sweep reads the sparse `unpublished` index (Query).
        publisher.grant(
            "ClaimAndMarkEvents", actions=["dynamodb:UpdateItem"], resources=[data.event_log.table_arn]
        )
        publisher.grant(
            "FindUnpublishedEvents",
            actions=["dynamodb:Query"],
            resources=[f"{data.event_log.table_arn}/index/{UNPUBLISHED_INDEX.name}"],
        )
        # Decrypt reads the log's stream; GenerateDataKey parks failed batches in the encrypted queue.
        publisher.grant(
            "UseTableKey", actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[data.key.key_arn]
        )
        # PublishBatch is authorized as sns:Publish.
        publisher.grant("PublishEvents", actions=["sns:Publish"], resources=[topic.topic_arn])
        publisher.grant(
            "EncryptEvents", actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[topic_key.key_arn]
        )
        publisher.grant("ParkFailedBatches", actions=["sqs:SendMessage"], resources=[self.failures.queue_arn])

    def _build_event_source_mapping(self, data: CatalogData) -> lambda_.CfnEventSourceMapping:
        stream = self._config.stream
        # The L1 on purpose: the L2 event source adds its own (wildcard) grants to the role.
        mapping = lambda_.CfnEventSourceMapping(
            self,
            "EventLogStreamMapping",
            function_name=self.publisher.alias.function_arn,
            event_source_arn=data.event_log.table_stream_arn,
            starting_position="TRIM_HORIZON",
            batch_size=stream.batch_size,
            maximum_batching_window_in_seconds=0,  # latency matters here; batches are already cheap
            function_response_types=["ReportBatchItemFailures"],
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=self._config.event_log.stream_retry_attempts,
            maximum_record_age_in_seconds=stream.max_record_age_seconds,
            destination_config=lambda_.CfnEventSourceMapping.DestinationConfigProperty(
                on_failure=lambda_.CfnEventSourceMapping.OnFailureProperty(
                    destination=self.failures.queue_arn
                )
            ),
            filter_criteria=lambda_.CfnEventSourceMapping.FilterCriteriaProperty(
                filters=[lambda_.CfnEventSourceMapping.FilterProperty(pattern=new_log_items_filter())]
            ),
        )
        mapping.node.add_dependency(self.publisher.role)
        return mapping
