"""The bucket that receives S3 server access logs and CloudFront standard logs."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.checkov import skip_check
from cdk.config import StackConfig


class AccessLogs(Construct):
    """A private, SSL-only log bucket whose objects expire after the configured retention.

    It uses SSE-S3 because neither S3 server access logging nor CloudFront standard logging can
    deliver into an SSE-KMS bucket, and it keeps ACLs enabled (bucket owner preferred) because
    CloudFront standard logging still delivers through an ACL grant to its log-delivery account.
    Versioning keeps an overwritten or deleted log recoverable until the retention ends.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=Duration.days(config.access_log_retention_days),
                    noncurrent_version_expiration=Duration.days(config.access_log_retention_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
                s3.LifecycleRule(id="remove-expired-delete-markers", expired_object_delete_marker=True),
            ],
            removal_policy=config.removal_policy,
        )
        skip_check(
            self.bucket,
            "CKV_AWS_18",
            "This is the access-log bucket itself: logging it into itself would log its own log deliveries "
            "in a loop, and another bucket would only move the finding there.",
        )
