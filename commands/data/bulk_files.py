"""Import and export files in the bucket (``imports/``, ``exports/``): the only code that reads them.

They share the images bucket (private, encrypted, versioned, with lifecycle rules per prefix);
the CDN serves only ``images/``, so these files are reachable through presigned URLs alone.
"""

from __future__ import annotations

from collections.abc import Iterator

from shared.data.images import S3ImageStorage

# Large enough to keep GetObject streaming cheap, small enough to bound a function's memory.
STREAM_CHUNK_BYTES = 1024 * 1024


class S3BulkFiles(S3ImageStorage):
    """Bulk files: presigned POST/GET as for images, plus streaming, ranges and small texts."""

    def stream(self, key: str) -> Iterator[bytes]:
        """The object's bytes, chunk by chunk (one GetObject, never held whole in memory)."""
        body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"]
        yield from body.iter_chunks(STREAM_CHUNK_BYTES)

    def read_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of the object (one ranged GetObject)."""
        if end <= start:
            return b""
        response = self._client.get_object(Bucket=self._bucket, Key=key, Range=f"bytes={start}-{end - 1}")
        return response["Body"].read()

    def put_text(self, key: str, text: str, content_type: str) -> None:
        """Write (or overwrite) a text object, UTF-8."""
        self._client.put_object(Bucket=self._bucket, Key=key, Body=text.encode(), ContentType=content_type)

    def read_text(self, key: str) -> str:
        """A text object, UTF-8."""
        return self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read().decode()

    def upload(self, key: str, path: str, content_type: str) -> None:
        """Upload a local file (multipart when large), e.g. an export written to ``/tmp``."""
        self._client.upload_file(path, self._bucket, key, ExtraArgs={"ContentType": content_type})
