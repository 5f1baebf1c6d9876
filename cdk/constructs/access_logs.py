"""The bucket that receives S3 server access logs and CloudFront standard logs."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.config import StackConfig


class AccessLogs(Construct):
    """A private, SSL-only log bucket whose objects expire after the configured retention.

    It uses SSE-S3 because neither S3 server access logging nor CloudFront standard logging can
    deliver into an SSE-KMS bucket, and it keeps ACLs enabled (bucket owner preferred) because
    CloudFront standard logging still delivers through an ACL grant to its log-delivery account.
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
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=Duration.days(config.access_log_retention_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=config.removal_policy,
        )
