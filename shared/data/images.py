"""Product images in S3: presigned uploads, presigned admin reads, and promotion of checked uploads.

This is the only code that talks to the images bucket.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from shared.models.product import PresignedPost

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Registered image keys never change content, so browsers and the CDN may keep them for a year.
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"


@cache
def s3_client() -> S3Client:
    """The process-wide S3 client (SigV4, as presigned POST policies require)."""
    return boto3.client("s3", config=Config(signature_version="s3v4", retries={"mode": "standard"}))


@dataclass(frozen=True)
class UploadedObject:
    """What S3 says about an uploaded object."""

    size: int
    content_type: str


class S3ImageStorage:
    """Images bucket operations the commands need."""

    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self._bucket = bucket
        self._client = client or s3_client()

    def presigned_post(
        self, key: str, content_type: str, content_length: int, expires_in: int
    ) -> PresignedPost:
        """A browser form that S3 accepts only for exactly this key, content type and size."""
        form = self._client.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"Content-Type": content_type},
                ["content-length-range", content_length, content_length],
            ],
            ExpiresIn=expires_in,
        )
        return PresignedPost(url=form["url"], fields={k: str(v) for k, v in form["fields"].items()})

    def presigned_get(self, key: str, expires_in: int) -> str:
        """A short-lived URL to read one object (admin responses show images before the CDN does)."""
        return self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_in
        )

    def describe(self, key: str) -> UploadedObject | None:
        """Size and declared content type of an object, or None when it is gone."""
        try:
            head = self._client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return UploadedObject(size=head["ContentLength"], content_type=head.get("ContentType", ""))

    def read_head(self, key: str, length: int = 16) -> bytes:
        """The first ``length`` bytes of an object (enough to recognise an image format)."""
        response = self._client.get_object(Bucket=self._bucket, Key=key, Range=f"bytes=0-{length - 1}")
        return response["Body"].read()

    def promote(self, source_key: str, target_key: str, content_type: str) -> None:
        """Copy a checked upload to where the CDN serves it, with long-lived cache headers."""
        self._client.copy_object(
            Bucket=self._bucket,
            Key=target_key,
            CopySource={"Bucket": self._bucket, "Key": source_key},
            MetadataDirective="REPLACE",
            ContentType=content_type,
            CacheControl=IMMUTABLE_CACHE_CONTROL,
        )

    def delete(self, key: str) -> None:
        """Delete one object (no error when it is already gone)."""
        self._client.delete_object(Bucket=self._bucket, Key=key)
