"""Bulk imports and exports: the jobs' work queues, their worker functions and the S3 trigger.

An upload to ``imports/<id>/source`` in the images bucket reports ``ObjectCreated`` to the
import-start function, which proves the file readable and sends one SQS message per batch of
rows. The import-batch function consumes that queue through an event source mapping whose
maximum concurrency bounds the fan-out (decision 57): AWS, not a loop in one function, spreads a
large file over many invocations, retries a failed batch alone (``ReportBatchItemFailures``)
and, past the receive limit, parks it in an alarmed failure queue from which a redrive resumes
the import. Export jobs travel the same way through their own queue.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk.config import StackConfig
from cdk.constructs.data import CatalogData
from cdk.constructs.failure_queue import build_failure_queue, park_async_failures
from cdk.constructs.function import CatalogFunction, FunctionDefaults
from cdk.constructs.images import CatalogImages
from cdk.nag import acknowledge
from shared.models.jobs import WORK_QUEUE_MAX_RECEIVES
from shared.routes import function
from shared.tables import EXPORT_PREFIX, IMPORT_PREFIX

_START_TIMEOUT = Duration.minutes(5)  # one streaming pass over at most 100 MiB
_BATCH_TIMEOUT = Duration.minutes(2)  # 500 rows: a few batch reads and ten transactions
_EXPORT_TIMEOUT = Duration.minutes(15)


class CatalogBulkJobs(Construct):
    """Import and export work queues (with failure queues), import-start, import-batch, export-job."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        data: CatalogData,
        images: CatalogImages,
        defaults: FunctionDefaults,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._images = images
        self._defaults = defaults
        self.batch_failures = build_failure_queue(
            self,
            "ImportBatchFailures",
            key=data.key,
            consumer="the import batch queue",
            replay="redriven to the batch queue to resume the import once the cause is fixed",
            redrive_target=True,
        )
        self.export_failures = build_failure_queue(
            self,
            "ExportJobFailures",
            key=data.key,
            consumer="the export job queue",
            replay="redriven to the export queue once the cause is fixed",
            redrive_target=True,
        )
        self.start_failures = build_failure_queue(
            self,
            "ImportStartFailures",
            key=data.key,
            consumer="import-start's asynchronous invocations (S3 upload events)",
            replay="their uploads are started again by copying the object onto itself",
        )
        self.batch_queue = self._work_queue("ImportBatches", data, self.batch_failures, _BATCH_TIMEOUT)
        self.export_queue = self._work_queue("ExportJobs", data, self.export_failures, _EXPORT_TIMEOUT)
        self.start = self._build_start(data)
        self.batch = self._build_batch(data)
        self.export = self._build_export(data)
        self._keep_files_for_a_while(images.bucket)

    @property
    def functions(self) -> dict[str, CatalogFunction]:
        """The bulk job functions by key."""
        return {"import-start": self.start, "import-batch": self.batch, "export-job": self.export}

    def _work_queue(
        self, construct_id: str, data: CatalogData, failures: sqs.IQueue, timeout: Duration
    ) -> sqs.Queue:
        return sqs.Queue(
            self,
            construct_id,
            # The table key, as the failure queues: encryption under the stack's control, and its
            # senders and consumers already hold it (senders add kms:GenerateDataKey).
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=data.key,
            enforce_ssl=True,
            # AWS's guidance for Lambda consumers: at least six times the function timeout, so a
            # message is not redelivered while a slow (throttled, retried) invocation still runs.
            visibility_timeout=Duration.seconds(timeout.to_seconds() * 6),
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=WORK_QUEUE_MAX_RECEIVES, queue=failures),
        )

    def _function(
        self, construct_id: str, key: str, settings: dict[str, str], timeout: Duration, memory: int
    ) -> CatalogFunction:
        return CatalogFunction(
            self,
            construct_id,
            spec=function(key),
            defaults=self._defaults,
            settings=settings,
            timeout=timeout,
            memory_size=memory,
        )

    def _build_start(self, data: CatalogData) -> CatalogFunction:
        start = self._function(
            "ImportStart",
            "import-start",
            {
                "jobs_table_name": data.jobs.table_name,
                "images_bucket_name": self._images.bucket_name,
                "import_batches_queue_url": self.batch_queue.queue_url,
            },
            _START_TIMEOUT,
            1024,
        )
        start.grant(
            "ReadAndStartJobs",
            actions=["dynamodb:GetItem", "dynamodb:UpdateItem"],
            resources=[data.jobs.table_arn],
        )
        # GenerateDataKey: parking a failed event in its failure queue encrypts with the table key.
        start.grant(
            "UseTableKey", actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[data.key.key_arn]
        )
        start.grant(
            "ReadImportFiles", actions=["s3:GetObject"], resources=[self._images.objects_arn(IMPORT_PREFIX)]
        )
        start.grant("SendBatches", actions=["sqs:SendMessage"], resources=[self.batch_queue.queue_arn])
        start.grant(
            "ParkFailedEvents", actions=["sqs:SendMessage"], resources=[self.start_failures.queue_arn]
        )
        park_async_failures(self, "ImportStartAsyncInvoke", start, self.start_failures)
        self._images.notify_on_created(IMPORT_PREFIX, start.alias, "AllowS3ToStartImports")
        self._acknowledge_prefix(start, IMPORT_PREFIX, "reads the uploaded files under imports/")
        return start

    def _build_batch(self, data: CatalogData) -> CatalogFunction:
        batch = self._function(
            "ImportBatch",
            "import-batch",
            {
                "jobs_table_name": data.jobs.table_name,
                "products_table_name": data.products.table_name,
                "images_bucket_name": self._images.bucket_name,
            },
            _BATCH_TIMEOUT,
            1024,
        )
        # Upserts: BatchGetItem of SKU guards and products, then transactions of Put (product
        # and guard, or the new version over the old).
        batch.grant(
            "UpsertProducts",
            actions=["dynamodb:BatchGetItem", "dynamodb:PutItem"],
            resources=[data.products.table_arn],
        )
        # The job's counts and the per-batch markers that make counting exactly-once (a Query of
        # the markers finds the batches with errors files to merge).
        batch.grant(
            "CountBatches",
            actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
            resources=[data.jobs.table_arn],
        )
        batch.grant("UseTableKey", actions=["kms:Decrypt"], resources=[data.key.key_arn])
        batch.grant(
            "ReadRowsWriteErrors",
            actions=["s3:GetObject", "s3:PutObject"],
            resources=[self._images.objects_arn(IMPORT_PREFIX)],
        )
        self._consume(batch, self.batch_queue, max_concurrency=self._config.bulk.import_concurrency)
        self._acknowledge_prefix(batch, IMPORT_PREFIX, "reads rows and writes errors files under imports/")
        return batch

    def _build_export(self, data: CatalogData) -> CatalogFunction:
        export = self._function(
            "ExportJob",
            "export-job",
            {
                "jobs_table_name": data.jobs.table_name,
                "products_table_name": data.products.table_name,
                "images_bucket_name": self._images.bucket_name,
            },
            _EXPORT_TIMEOUT,
            1024,
        )
        export.grant("ScanProducts", actions=["dynamodb:Scan"], resources=[data.products.table_arn])
        export.grant(
            "RunJobs", actions=["dynamodb:GetItem", "dynamodb:UpdateItem"], resources=[data.jobs.table_arn]
        )
        export.grant("UseTableKey", actions=["kms:Decrypt"], resources=[data.key.key_arn])
        # Large exports go up as multipart uploads (PutObject covers every part).
        export.grant(
            "WriteExports", actions=["s3:PutObject"], resources=[self._images.objects_arn(EXPORT_PREFIX)]
        )
        self._consume(export, self.export_queue)
        self._acknowledge_prefix(export, EXPORT_PREFIX, "writes export files under exports/")
        return export

    def _consume(self, fn: CatalogFunction, queue: sqs.Queue, *, max_concurrency: int | None = None) -> None:
        """Deliver ``queue`` to ``fn``'s live alias one message at a time, failures reported per message.

        The L1 mapping on the alias ARN: the L2 event source on an alias names the function as a
        split of the alias ARN, and the alias is what SnapStart needs every trigger to invoke.
        """
        # What polling needs; the mapping polls with the function's role.
        fn.grant(
            f"Consume{queue.node.id}",
            actions=[
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueUrl",
            ],
            resources=[queue.queue_arn],
        )
        mapping = lambda_.CfnEventSourceMapping(
            self,
            f"{queue.node.id}Mapping",
            function_name=fn.alias.function_arn,
            event_source_arn=queue.queue_arn,
            batch_size=1,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config=lambda_.CfnEventSourceMapping.ScalingConfigProperty(
                maximum_concurrency=max_concurrency
            )
            if max_concurrency is not None
            else None,
        )
        # Lambda checks the role may poll the queue when it creates the mapping.
        mapping.node.add_dependency(fn.role)

    def _acknowledge_prefix(self, fn: CatalogFunction, prefix: str, what: str) -> None:
        acknowledge(
            fn.role,
            "AwsSolutions-IAM5",
            f"Object-level S3 actions are scoped to the one key prefix this function works on: it {what}, "
            "whose keys are generated per job, so no narrower static resource exists.",
            finding=self._images.nag_objects_finding(prefix),
        )

    def _keep_files_for_a_while(self, bucket: s3.Bucket) -> None:
        days = Duration.days(self._config.bulk.file_retention_days)
        for prefix in (IMPORT_PREFIX, EXPORT_PREFIX):
            bucket.add_lifecycle_rule(
                id=f"expire-{prefix.rstrip('/')}",
                prefix=prefix,
                expiration=days,
                noncurrent_version_expiration=days,
            )
