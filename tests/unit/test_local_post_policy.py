"""Presigned POST policies: the local S3 refuses what S3 refuses."""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config

from local.post_policy import check_post_policy, with_post_policy_check
from tests.e2e.support import multipart_form

BUCKET = "catalog-images"
KEY = "uploads/p1/i1"


def presigned_fields(content_type: str = "image/png", size: int = 100) -> dict[str, str]:
    """A form exactly as the admin API's S3 client signs it (signing needs no network)."""
    s3 = boto3.client("s3", region_name="us-west-1", config=Config(signature_version="s3v4"))
    form = s3.generate_presigned_post(
        Bucket=BUCKET,
        Key=KEY,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", size, size]],
        ExpiresIn=600,
    )
    return {name: str(value) for name, value in form["fields"].items()}


def test_an_upload_that_keeps_to_its_policy_is_accepted() -> None:
    assert check_post_policy(presigned_fields(), 100, BUCKET) is None


def test_another_content_type_is_refused() -> None:
    fields = {**presigned_fields(), "Content-Type": "image/gif"}

    violation = check_post_policy(fields, 100, BUCKET)

    assert violation is not None
    assert (violation.status, violation.code) == (403, "AccessDenied")
    assert "Content-Type" in violation.message


@pytest.mark.parametrize(("size", "code"), [(101, "EntityTooLarge"), (99, "EntityTooSmall")])
def test_a_file_outside_the_length_range_is_refused(size: int, code: str) -> None:
    violation = check_post_policy(presigned_fields(), size, BUCKET)

    assert violation is not None
    assert (violation.status, violation.code) == (400, code)


def test_another_key_or_bucket_is_refused() -> None:
    other_key = {**presigned_fields(), "key": "images/p1/i1"}

    assert check_post_policy(other_key, 100, BUCKET) is not None
    assert check_post_policy(presigned_fields(), 100, "another-bucket") is not None


def test_an_expired_policy_is_refused() -> None:
    later = datetime.now(UTC) + timedelta(hours=1)

    violation = check_post_policy(presigned_fields(), 100, BUCKET, now=later)

    assert violation is not None
    assert violation.message.endswith("Policy expired.")


def test_a_field_the_policy_does_not_cover_is_refused_but_x_ignore_fields_pass() -> None:
    extra = {**presigned_fields(), "acl": "public-read"}
    ignored = {**presigned_fields(), "x-ignore-tracking": "1"}

    violation = check_post_policy(extra, 100, BUCKET)

    assert violation is not None
    assert "acl" in violation.message
    assert check_post_policy(ignored, 100, BUCKET) is None


def test_starts_with_conditions() -> None:
    policy = {
        "expiration": (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "conditions": [{"bucket": BUCKET}, ["starts-with", "$key", "uploads/"]],
    }
    fields = {"policy": base64.b64encode(json.dumps(policy).encode()).decode(), "key": "uploads/x"}

    assert check_post_policy(fields, 1, BUCKET) is None
    assert check_post_policy({**fields, "key": "images/x"}, 1, BUCKET) is not None


def test_an_unreadable_policy_is_an_invalid_policy_document() -> None:
    violation = check_post_policy({"policy": "not base64 json"}, 1, BUCKET)

    assert violation is not None
    assert violation.code == "InvalidPolicyDocument"


class Inner:
    """Stands in for moto: records whether a request reached it and what body it read."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, _app: Any, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.bodies.append(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        start_response("204 No Content", [])
        return [b""]


def post(checked: Any, fields: dict[str, str], data: bytes, path: str = f"/{BUCKET}") -> tuple[str, bytes]:
    body, content_type = multipart_form(fields, "file", "x.png", data, "image/png")
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    statuses: list[str] = []
    answer = b"".join(checked(None, environ, lambda status, headers: statuses.append(status)))
    return statuses[0], answer


def test_the_server_check_passes_good_uploads_through_with_their_body_intact() -> None:
    inner = Inner()
    checked = with_post_policy_check(inner)

    status, _ = post(checked, presigned_fields(size=4), b"\x89PNG")

    assert status.startswith("204")
    assert b"\x89PNG" in inner.bodies[0]


def test_the_server_check_answers_s3s_error_document_and_moto_never_sees_the_upload() -> None:
    inner = Inner()
    checked = with_post_policy_check(inner)

    status, answer = post(checked, presigned_fields(size=4), b"\x89PNG-but-larger")

    assert status == "400 Bad Request"
    assert b"<Code>EntityTooLarge</Code>" in answer
    assert inner.bodies == []


def test_other_posts_are_not_touched() -> None:
    inner = Inner()
    checked = with_post_policy_check(inner)

    status, _ = post(checked, {"key": KEY}, b"no policy field")

    assert status.startswith("204")
    assert len(inner.bodies) == 1
