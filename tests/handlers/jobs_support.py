"""Drive bulk jobs through their real functions on in-process moto, as S3 and SQS would."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import boto3

from local.apigw import LocalLambdaContext
from local.pollers import sqs_event_handler
from local.resources import Resources, queue_arn
from shared.tables import import_source_key
from tests.builders import Response, call, handler_for


def s3_created_event(bucket: str, key: str) -> dict[str, Any]:
    """The S3 notification of one created object."""
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Post",
                "s3": {"bucket": {"name": bucket}, "object": {"key": key}},
            }
        ]
    }


class Jobs:
    """Start imports and exports through the admin API and run them through their functions."""

    def __init__(self, aws: Resources) -> None:
        self.aws = aws
        self.s3 = boto3.client("s3", region_name=aws.region)
        self.sqs = boto3.client("sqs", region_name=aws.region)

    def request_import(self, file_format: str, size: int) -> Response:
        """`POST /admin/imports`."""
        return call("POST", "/admin/imports", {"format": file_format, "content_length": size})

    def upload(self, import_id: str, data: bytes) -> dict[str, Any]:
        """Put the file where the presigned POST would, and deliver the S3 event to import-start."""
        bucket = self.aws.names.images_bucket
        key = import_source_key(import_id)
        self.s3.put_object(Bucket=bucket, Key=key, Body=data)
        start = handler_for("import-start")
        result: dict[str, Any] = start(s3_created_event(bucket, key), LocalLambdaContext())
        return result

    def messages(self, queue_url: str) -> list[str]:
        """Receive (and delete) every message waiting on a queue."""
        bodies: list[str] = []
        while True:
            received = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not received:
                return bodies
            for message in received:
                bodies.append(message["Body"])
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    def deliver(self, function_key: str, queue_url: str, bodies: list[str]) -> None:
        """Hand messages to a function as its SQS event source mapping would, one per event."""
        handle = sqs_event_handler(
            lambda event: handler_for(function_key)(event, LocalLambdaContext()),
            queue_arn(self.sqs, queue_url),
            self.aws.region,
        )
        for body in bodies:
            handle(body)

    def run_batches(self) -> list[str]:
        """Apply every queued import batch; returns the messages (to deliver again in tests)."""
        url = self.aws.import_batches_queue_url
        bodies = self.messages(url)
        self.deliver("import-batch", url, bodies)
        return bodies

    def run_import(self, file_format: str, data: bytes) -> dict[str, Any]:
        """Request, upload, apply every batch; the finished job."""
        ticket = self.request_import(file_format, len(data))
        assert ticket.status == 201, ticket
        import_id = ticket.json()["import_id"]
        self.upload(import_id, data)
        self.run_batches()
        return self.job(import_id)

    def job(self, import_id: str) -> dict[str, Any]:
        """`GET /admin/imports/{id}` (must be a 200)."""
        response = call("GET", f"/admin/imports/{import_id}")
        assert response.status == 200, response
        document: dict[str, Any] = response.json()
        return document

    def download(self, presigned_url: str) -> bytes:
        """The object a presigned GET names (read with the SDK: moto in-process has no HTTP)."""
        path = urlsplit(presigned_url).path.lstrip("/")
        bucket, _, key = path.partition("/")
        if bucket != self.aws.names.images_bucket:  # virtual-hosted style: bucket in the host name
            key = path
        body: bytes = self.s3.get_object(Bucket=self.aws.names.images_bucket, Key=key)["Body"].read()
        return body

    def run_export(self, file_format: str, status: str | None = None) -> dict[str, Any]:
        """Request an export and run its job; the finished job."""
        body: dict[str, Any] = {"format": file_format}
        if status is not None:
            body["status"] = status
        accepted = call("POST", "/admin/exports", body)
        assert accepted.status == 202, accepted
        url = self.aws.export_jobs_queue_url
        self.deliver("export-job", url, self.messages(url))
        response = call("GET", f"/admin/exports/{accepted.json()['export_id']}")
        assert response.status == 200, response
        document: dict[str, Any] = response.json()
        return document


def jsonl(*rows: dict[str, Any]) -> bytes:
    """A JSONL file of ``rows``."""
    return "".join(json.dumps(row) + "\n" for row in rows).encode()
