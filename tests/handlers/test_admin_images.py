"""Image uploads: presigned POST conditions, event-driven registration, removal."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from local.resources import Resources
from tests.builders import call, handler_for, product_body
from tests.images import JPEG_BYTES, PNG_BYTES


def create() -> dict[str, Any]:
    return call("POST", "/admin/products", product_body()).json()  # type: ignore[no-any-return]


def s3_events_from(aws: Resources, upload: Callable[[], None]) -> list[dict[str, Any]]:
    """Run ``upload`` and return the S3 notification events moto delivers for it (via SQS)."""
    sqs = boto3.client("sqs", region_name=aws.region)
    queue_url = sqs.create_queue(QueueName="s3-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    boto3.client("s3", region_name=aws.region).put_bucket_notification_configuration(
        Bucket=aws.names.images_bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
                }
            ]
        },
    )
    upload()
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    events = [json.loads(m["Body"]) for m in messages]
    return [e for e in events if "Records" in e]


def upload_object(aws: Resources, key: str, data: bytes, content_type: str) -> None:
    boto3.client("s3", region_name=aws.region).put_object(
        Bucket=aws.names.images_bucket, Key=key, Body=data, ContentType=content_type
    )


def register(aws: Resources, key: str, data: bytes, content_type: str) -> list[dict[str, Any]]:
    events = s3_events_from(aws, lambda: upload_object(aws, key, data, content_type))
    assert events, "moto delivered no S3 event"
    from local.apigw import LocalLambdaContext

    results = []
    for event in events:
        results += handler_for("image-registration")(event, LocalLambdaContext())["results"]
    return results


def test_upload_request_returns_a_presigned_post_fixed_to_type_and_size(aws: Resources) -> None:
    product = create()

    response = call(
        "POST",
        f"/admin/products/{product['id']}/images",
        {"content_type": "image/png", "content_length": 2048},
    )

    assert response.status == 201
    ticket = response.json()
    fields = ticket["upload"]["fields"]
    assert fields["key"] == f"uploads/{product['id']}/{ticket['image_id']}"
    assert fields["Content-Type"] == "image/png"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 2048, 2048] in conditions
    assert {"bucket": aws.names.images_bucket} in conditions
    assert {"key": fields["key"]} in conditions
    assert ticket["expires_in"] == 600
    # The product is unchanged until S3 reports the upload.
    assert call("GET", f"/admin/products/{product['id']}").json()["version"] == 1


def test_registered_upload_becomes_a_new_version_with_the_image(aws: Resources) -> None:
    product = create()
    ticket = call(
        "POST",
        f"/admin/products/{product['id']}/images",
        {"content_type": "image/png", "content_length": len(PNG_BYTES)},
    ).json()

    results = register(aws, ticket["upload"]["fields"]["key"], PNG_BYTES, "image/png")

    assert results == [{"key": ticket["upload"]["fields"]["key"], "outcome": "registered"}]
    current = call("GET", f"/admin/products/{product['id']}").json()
    assert current["version"] == 2
    [image] = current["images"]
    assert (image["id"], image["content_type"]) == (ticket["image_id"], "image/png")
    assert "X-Amz-Signature" in image["url"] or "Signature" in image["url"]
    s3 = boto3.client("s3", region_name=aws.region)
    served = s3.get_object(Bucket=aws.names.images_bucket, Key=f"images/{product['id']}/{ticket['image_id']}")
    assert served["Body"].read() == PNG_BYTES
    assert served["CacheControl"] == "public, max-age=31536000, immutable"
    listed = s3.list_objects_v2(Bucket=aws.names.images_bucket, Prefix="uploads/").get("KeyCount")
    assert listed == 0


def test_redelivered_upload_event_registers_the_image_once(aws: Resources) -> None:
    product = create()
    key = f"uploads/{product['id']}/01IMAGEONE"
    events = s3_events_from(aws, lambda: upload_object(aws, key, JPEG_BYTES, "image/jpeg"))
    from local.apigw import LocalLambdaContext

    for event in events + events:
        handler_for("image-registration")(event, LocalLambdaContext())

    current = call("GET", f"/admin/products/{product['id']}").json()
    assert [image["id"] for image in current["images"]] == ["01IMAGEONE"]
    assert current["version"] == 2


@pytest.mark.parametrize(
    ("data", "content_type"), [(b"GIF89a-not-allowed", "image/png"), (PNG_BYTES, "image/jpeg")]
)
def test_upload_whose_bytes_do_not_match_its_type_is_rejected_and_deleted(
    aws: Resources, data: bytes, content_type: str
) -> None:
    product = create()
    key = f"uploads/{product['id']}/01BADIMAGE"

    results = register(aws, key, data, content_type)

    assert results[0]["outcome"] == "rejected"
    assert call("GET", f"/admin/products/{product['id']}").json()["images"] == []
    s3 = boto3.client("s3", region_name=aws.region)
    assert s3.list_objects_v2(Bucket=aws.names.images_bucket).get("KeyCount") == 0


def test_upload_for_a_deleted_product_is_discarded(aws: Resources) -> None:
    product = create()
    call("DELETE", f"/admin/products/{product['id']}")

    results = register(aws, f"uploads/{product['id']}/01ORPHAN", PNG_BYTES, "image/png")

    assert results[0]["outcome"] == "orphaned"


def test_delete_image_removes_it_from_product_and_bucket(aws: Resources) -> None:
    product = create()
    register(aws, f"uploads/{product['id']}/01TODELETE", PNG_BYTES, "image/png")

    response = call("DELETE", f"/admin/products/{product['id']}/images/01TODELETE")

    assert response.status == 204
    current = call("GET", f"/admin/products/{product['id']}").json()
    assert (current["images"], current["version"]) == ([], 3)
    s3 = boto3.client("s3", region_name=aws.region)
    assert s3.list_objects_v2(Bucket=aws.names.images_bucket).get("KeyCount") == 0


def test_deleting_an_unknown_image_is_404(aws: Resources) -> None:
    product = create()

    assert call("DELETE", f"/admin/products/{product['id']}/images/01NOPE").status == 404


def test_deleting_a_product_deletes_its_images(aws: Resources) -> None:
    product = create()
    register(aws, f"uploads/{product['id']}/01GOESTOO", PNG_BYTES, "image/png")

    call("DELETE", f"/admin/products/{product['id']}")

    s3 = boto3.client("s3", region_name=aws.region)
    assert s3.list_objects_v2(Bucket=aws.names.images_bucket).get("KeyCount") == 0


def test_upload_request_idempotent_replay_returns_the_same_ticket(aws: Resources) -> None:
    product = create()
    path = f"/admin/products/{product['id']}/images"
    body = {"content_type": "image/webp", "content_length": 100}

    first = call("POST", path, body, headers={"Idempotency-Key": "img-1"})
    again = call("POST", path, body, headers={"Idempotency-Key": "img-1"})

    assert first.json()["image_id"] == again.json()["image_id"]
