"""The stack's data resources, created on a moto endpoint (server or in-process ``mock_aws``).

Tables are built from the same key schemas as the CDK stack (``shared.tables``), and the
environment returned by :func:`function_environment` uses the same variable names the stack
sets, so every handler runs unchanged against these resources.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any

import boto3

from shared.tables import ALL_TABLES, EVENT_LOG, PRODUCTS, UPLOAD_PREFIX, TableSchema


@dataclass(frozen=True)
class ResourceNames:
    """Names of the local resources, one per stack resource."""

    products_table: str = "catalog-products"
    views_table: str = "catalog-views"
    idempotency_table: str = "catalog-idempotency"
    events_table: str = "catalog-events"
    images_bucket: str = "catalog-images"
    inventory_topic: str = "catalog-inventory"
    cursor_secret: str = "catalog-cursor-signing-key"  # noqa: S105 - a name, not the secret

    def table(self, role: str) -> str:
        """The table name for a schema role (``products``, ``views``, ``idempotency``, ``events``)."""
        return str(asdict(self)[f"{role}_table"])


@dataclass(frozen=True)
class Resources:
    """What :func:`create_resources` made, with the identifiers handlers need."""

    names: ResourceNames
    region: str
    topic_arn: str
    cursor_secret_arn: str
    stream_arn: str
    event_log_stream_arn: str

    def tables(self) -> dict[str, str]:
        """Role → table name, as `/_local/resources` reports them."""
        return {schema.role: self.names.table(schema.role) for schema in ALL_TABLES}


def table_definition(schema: TableSchema, name: str) -> dict[str, Any]:
    """CreateTable arguments for a schema (on-demand, as in the stack)."""
    keys = [schema.partition_key, *([schema.sort_key] if schema.sort_key else [])]
    for index in schema.indexes:
        keys += [index.partition_key, index.sort_key]
    definition: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"} for key in dict.fromkeys(keys)],
        "KeySchema": [
            {"AttributeName": schema.partition_key, "KeyType": "HASH"},
            *([{"AttributeName": schema.sort_key, "KeyType": "RANGE"}] if schema.sort_key else []),
        ],
    }
    if schema.indexes:
        definition["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in schema.indexes
        ]
    if schema.stream:
        definition["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": schema.stream}
    return definition


def create_resources(
    region: str, endpoint_url: str | None = None, names: ResourceNames | None = None
) -> Resources:
    """Create tables, bucket, topic and cursor secret; returns their identifiers."""
    names = names or ResourceNames()
    clients: dict[str, Any] = {
        service: boto3.client(service, region_name=region, endpoint_url=endpoint_url)
        for service in ("dynamodb", "s3", "sns", "secretsmanager")
    }
    stream_arns: dict[str, str] = {}
    for schema in ALL_TABLES:
        description = clients["dynamodb"].create_table(**table_definition(schema, names.table(schema.role)))
        if schema.ttl_attribute:
            clients["dynamodb"].update_time_to_live(
                TableName=names.table(schema.role),
                TimeToLiveSpecification={"Enabled": True, "AttributeName": schema.ttl_attribute},
            )
        if schema.stream:
            stream_arns[schema.role] = description["TableDescription"]["LatestStreamArn"]
    bucket_args: dict[str, Any] = {"Bucket": names.images_bucket}
    if region != "us-east-1":
        bucket_args["CreateBucketConfiguration"] = {"LocationConstraint": region}
    clients["s3"].create_bucket(**bucket_args)
    topic_arn = clients["sns"].create_topic(Name=names.inventory_topic)["TopicArn"]
    secret_arn = clients["secretsmanager"].create_secret(
        Name=names.cursor_secret, SecretString=secrets.token_urlsafe(32)
    )["ARN"]
    return Resources(
        names=names,
        region=region,
        topic_arn=topic_arn,
        cursor_secret_arn=secret_arn,
        stream_arn=stream_arns[PRODUCTS.role],
        event_log_stream_arn=stream_arns[EVENT_LOG.role],
    )


def function_environment(resources: Resources, images_base_url: str = "") -> dict[str, str]:
    """The environment variables the stack gives the functions, for these resources."""
    names = resources.names
    return {
        "PRODUCTS_TABLE_NAME": names.products_table,
        "VIEWS_TABLE_NAME": names.views_table,
        "IDEMPOTENCY_TABLE_NAME": names.idempotency_table,
        "EVENT_LOG_TABLE_NAME": names.events_table,
        "IMAGES_BUCKET_NAME": names.images_bucket,
        "INVENTORY_TOPIC_ARN": resources.topic_arn,
        "CURSOR_SECRET_ARN": resources.cursor_secret_arn,
        "IMAGES_BASE_URL": images_base_url,
        "POWERTOOLS_SERVICE_NAME": "catalog",
        "POWERTOOLS_METRICS_NAMESPACE": "Catalog",
    }


# Queues only the local runtime adds. On AWS the stream's on-failure destination is a stack queue
# too; S3 and SNS deliver to Lambda directly, which moto cannot invoke in-process, so locally they
# deliver to queues that the runtime's pollers drain into the same handlers.
PROJECTOR_FAILURES_QUEUE = "catalog-projector-failures"
PUBLISHER_FAILURES_QUEUE = "catalog-event-publisher-failures"
IMAGE_UPLOADS_QUEUE = "catalog-local-image-uploads"
CONSOLE_QUEUE = "catalog-local-console"


@dataclass(frozen=True)
class LocalQueues:
    """URLs of the local runtime's queues."""

    projector_failures: str
    publisher_failures: str
    image_uploads: str
    console: str


def queue_arn(sqs: Any, queue_url: str) -> str:
    """The ARN of a queue, from its URL."""
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    return str(attributes["QueueArn"])


def subscribe_queue(
    sns: Any,
    sqs: Any,
    topic_arn: str,
    queue_url: str,
    *,
    filter_policy: dict[str, Any] | None = None,
) -> str:
    """Subscribe a queue to a topic with raw delivery (the body is the event itself)."""
    attributes = {"RawMessageDelivery": "true"}
    if filter_policy is not None:
        attributes["FilterPolicy"] = json.dumps(filter_policy)
    subscription = sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn(sqs, queue_url),
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )
    return str(subscription["SubscriptionArn"])


def create_local_queues(resources: Resources, endpoint_url: str | None = None) -> LocalQueues:
    """Create the runtime's queues and wire the bucket's upload notifications and the console subscription."""
    sqs = boto3.client("sqs", region_name=resources.region, endpoint_url=endpoint_url)
    s3 = boto3.client("s3", region_name=resources.region, endpoint_url=endpoint_url)
    sns = boto3.client("sns", region_name=resources.region, endpoint_url=endpoint_url)
    urls = {
        name: sqs.create_queue(QueueName=name)["QueueUrl"]
        for name in (PROJECTOR_FAILURES_QUEUE, PUBLISHER_FAILURES_QUEUE, IMAGE_UPLOADS_QUEUE, CONSOLE_QUEUE)
    }
    s3.put_bucket_notification_configuration(
        Bucket=resources.names.images_bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn(sqs, urls[IMAGE_UPLOADS_QUEUE]),
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": UPLOAD_PREFIX}]}},
                }
            ]
        },
    )
    subscribe_queue(sns, sqs, resources.topic_arn, urls[CONSOLE_QUEUE])
    return LocalQueues(
        projector_failures=urls[PROJECTOR_FAILURES_QUEUE],
        publisher_failures=urls[PUBLISHER_FAILURES_QUEUE],
        image_uploads=urls[IMAGE_UPLOADS_QUEUE],
        console=urls[CONSOLE_QUEUE],
    )
