"""The on-failure destination every asynchronous consumer gets: an SSL-only, KMS-encrypted SQS queue."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk.nag import acknowledge


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
