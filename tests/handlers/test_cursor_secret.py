"""The cursor-signing secret: read through Powertools with a max age, previous version still verifies."""

from __future__ import annotations

import secrets
import time
from typing import Any

import boto3
import pytest

from local.resources import Resources
from queries.data.cursor_secret import CursorSecret
from shared.data.views import DynamoViewRepository
from tests.builders import Response, active_view, call, reset_process_caches


def get(path: str, query: str = "") -> Response:
    """A shopper's anonymous GET."""
    return call("GET", path, query=query, claims=None)


def rotate(aws: Resources) -> bytes:
    """Put a new secret value: it becomes AWSCURRENT and the old one AWSPREVIOUS, as rotation does."""
    value = secrets.token_urlsafe(32)
    client: Any = boto3.client("secretsmanager", region_name=aws.region)
    client.put_secret_value(SecretId=aws.cursor_secret_arn, SecretString=value)
    return value.encode()


@pytest.fixture
def shelf(aws: Resources) -> None:
    """Five visible products in the read views, so a page of two has a next cursor."""
    views = DynamoViewRepository(aws.names.views_table, boto3.client("dynamodb", region_name=aws.region))
    views.put_views(active_view(n, product_id=f"01J{n:04d}") for n in range(5))


def test_a_secret_that_was_never_rotated_has_no_previous_value(aws: Resources) -> None:
    secret = CursorSecret(aws.cursor_secret_arn, max_age=300)

    assert secret.current()
    assert secret.previous() is None


def test_after_a_rotation_the_new_value_signs_and_the_old_one_is_previous(aws: Resources) -> None:
    secret = CursorSecret(aws.cursor_secret_arn, max_age=1)
    old = secret.current()

    new = rotate(aws)
    cached = secret.current()
    time.sleep(1.1)  # past max_age: the next read goes to Secrets Manager again

    assert cached == old  # within max_age the cached value is used
    assert secret.current() == new
    assert secret.previous() == old


def test_a_cursor_issued_before_a_rotation_still_pages_after_it(aws: Resources, shelf: None) -> None:
    first = get("/products", "limit=2").json()
    rotate(aws)
    reset_process_caches()  # a fresh instance: it signs with the new value only

    second = get("/products", f"limit=2&cursor={first['next_cursor']}")

    assert second.status == 200, second
    assert {item["id"] for item in second.json()["items"]}.isdisjoint(i["id"] for i in first["items"])
