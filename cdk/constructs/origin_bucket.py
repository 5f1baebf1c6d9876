"""The one way this stack builds a bucket that CloudFront serves: private, SSE-S3, SSL only, versioned."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.config import StackConfig


def origin_bucket(
    scope: Construct,
    construct_id: str,
    *,
    config: StackConfig,
    purpose: str,
    access_logs: s3.IBucket,
    lifecycle_rules: Sequence[s3.LifecycleRule],
    bucket_name: str | None = None,
) -> s3.Bucket:
    """A private bucket whose objects reach viewers only through the distribution (origin access control).

    SSE-S3, not SSE-KMS: what CloudFront serves from it is public anyway, and SSE-KMS would need the
    distribution's OAC in the key policy (a key <-> distribution cycle) and a KMS call on every miss.
    Versioned, HTTPS with TLS 1.2+ only, ACLs off, server access logs under ``s3/<prefix>-<purpose>/``.
    Non-empty buckets cannot be deleted by CloudFormation: dev teardown empties them first.
    """
    return s3.Bucket(
        scope,
        construct_id,
        bucket_name=bucket_name,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        versioned=True,
        lifecycle_rules=list(lifecycle_rules),
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix=f"s3/{config.prefix}-{purpose}/",
        removal_policy=config.removal_policy,
    )
