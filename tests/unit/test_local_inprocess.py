"""Requests to the local AWS endpoint from inside the runtime's process skip the socket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from local.inprocess import InProcessEndpoint, dispatch_in_process, stop_dispatching

# Nothing listens here: an answer can only come from the in-process hook.
CLOSED_ENDPOINT = "http://127.0.0.1:9"
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1)


def _client(service: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=CLOSED_ENDPOINT,
        region_name="us-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=NO_RETRIES,
    )


@pytest.fixture
def hook() -> Iterator[InProcessEndpoint]:
    installed = dispatch_in_process(CLOSED_ENDPOINT, DomainDispatcherApplication(create_backend_app))
    yield installed
    stop_dispatching(installed)


def test_clients_reach_moto_at_the_endpoint_url_without_a_listening_socket(hook: InProcessEndpoint) -> None:
    dynamodb = _client("dynamodb")
    dynamodb.create_table(
        TableName="inprocess-probe",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="inprocess-probe", Item={"pk": {"S": "a"}})

    item = dynamodb.get_item(TableName="inprocess-probe", Key={"pk": {"S": "a"}})

    assert item["Item"] == {"pk": {"S": "a"}}
    assert hook.requests == 3


def test_s3_bodies_go_in_and_stream_out_unchanged(hook: InProcessEndpoint) -> None:
    s3 = _client("s3")
    s3.create_bucket(Bucket="inprocess-probe", CreateBucketConfiguration={"LocationConstraint": "us-west-1"})
    payload = bytes(range(256)) * 64
    s3.put_object(Bucket="inprocess-probe", Key="k", Body=payload)

    body = s3.get_object(Bucket="inprocess-probe", Key="k")["Body"].read()

    assert body == payload


def test_other_urls_still_go_over_http(hook: InProcessEndpoint) -> None:
    elsewhere = boto3.client(
        "dynamodb",
        endpoint_url="http://127.0.0.1:10",
        region_name="us-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=NO_RETRIES,
    )
    with pytest.raises(EndpointConnectionError):
        elsewhere.list_tables()
    assert hook.requests == 0


def test_after_stopping_new_clients_use_the_socket_again() -> None:
    installed = dispatch_in_process(CLOSED_ENDPOINT, DomainDispatcherApplication(create_backend_app))
    stop_dispatching(installed)

    with pytest.raises(EndpointConnectionError):
        _client("dynamodb").list_tables()
    assert installed.requests == 0
