"""The on-failure destination every asynchronous consumer gets: an SSL-only, KMS-encrypted SQS queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk.nag import acknowledge

if TYPE_CHECKING:
    from cdk.constructs.function import CatalogFunction

# S3 invokes its notification targets asynchronously: Lambda retries a failed event this often,
# keeps it at most this long, then parks it on the on-failure queue.
ASYNC_RETRY_ATTEMPTS = 2
ASYNC_MAX_EVENT_AGE = Duration.hours(6)


def build_failure_queue(
    scope: Construct,
    construct_id: str,
    *,
    key: kms.IKey,
    consumer: str,
    replay: str,
    redrive_target: bool = False,
) -> sqs.Queue:
    """A queue that keeps failed deliveries of ``consumer`` for 14 days, encrypted with ``key``.

    A customer-managed key (the stack's table key) rather than SSE-SQS: checkov and auditors
    recognise it as encryption under the stack's control, and the consumer that parks failures
    needs only ``kms:GenerateDataKey`` on a key it already decrypts with.

    ``redrive_target``: another queue's redrive policy points here, which cdk-nag recognises as a
    dead-letter queue by itself (an acknowledgement would be stale).
    """
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    if redrive_target:
        return queue
    acknowledge(
        queue,
        "AwsSolutions-SQS3",
        f"This queue is the on-failure destination of {consumer}, i.e. the dead-letter queue "
        f"itself; it is alarmed on depth and {replay}.",
    )
    return queue


def park_async_failures(
    scope: Construct, construct_id: str, function: CatalogFunction, queue: sqs.IQueue
) -> lambda_.CfnEventInvokeConfig:
    """Asynchronous invocations of ``function``'s alias that still fail after the retries go to ``queue``.

    The function's role must already be allowed to send to ``queue``: Lambda checks that when the
    configuration is created, hence the dependency on the role.
    """
    invoke_config = lambda_.CfnEventInvokeConfig(
        scope,
        construct_id,
        function_name=function.function.function_name,
        qualifier=function.alias.alias_name,  # S3 invokes the alias; its settings apply
        maximum_retry_attempts=ASYNC_RETRY_ATTEMPTS,
        maximum_event_age_in_seconds=int(ASYNC_MAX_EVENT_AGE.to_seconds()),
        destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
            on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(destination=queue.queue_arn)
        ),
    )
    invoke_config.node.add_dependency(function.role)
    return invoke_config
