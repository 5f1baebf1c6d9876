"""Requests to the local AWS endpoint from inside the runtime's process skip the socket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from local.inprocess import InProcessEndpoint, dispatch_in_process, stop_dispatching
from local.moto_fidelity import DYNAMODB_TARGET_PREFIX, dynamodb_in_process

# Nothing listens here: an answer can only come from the in-process hook.
CLOSED_ENDPOINT = "http://127.0.0.1:9"
OTHER_CLOSED_ENDPOINT = "http://127.0.0.1:11"
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1)


def _client(service: str, endpoint_url: str = CLOSED_ENDPOINT) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoint_url,
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


def _dynamodb_session(client: Any, table: str) -> list[Any]:
    """A sequence of data-plane calls, successes and refusals, and what each answered."""
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    key = {"pk": {"S": "p"}, "sk": {"S": "1"}}
    calls: list[tuple[str, dict[str, Any]]] = [
        ("put_item", {"Item": {**key, "n": {"N": "1"}, "doc": {"M": {"a": {"L": [{"S": "x"}]}}}}}),
        ("put_item", {"Item": key, "ConditionExpression": "attribute_not_exists(pk)"}),
        ("get_item", {"Key": key, "ConsistentRead": True}),
        (
            "update_item",
            {
                "Key": key,
                "UpdateExpression": "ADD n :one SET tag = :tag",
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":tag": {"SS": ["b", "a"]}},
                "ReturnValues": "ALL_NEW",
            },
        ),
        ("query", {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}}),
        (
            "transact_write_items",
            {
                "TransactItems": [
                    {"Put": {"Item": {"pk": {"S": "q"}, "sk": {"S": "1"}}}},
                    {
                        "ConditionCheck": {
                            "Key": key,
                            "ConditionExpression": "n = :nine",
                            "ExpressionAttributeValues": {":nine": {"N": "9"}},
                        }
                    },
                ]
            },
        ),
        ("delete_item", {"Key": key, "ReturnValues": "ALL_OLD"}),
        ("get_item", {"Key": {"pk": {"S": "missing"}}}),
    ]
    answers: list[Any] = []
    for operation, parameters in calls:
        if operation == "transact_write_items":
            for action in parameters["TransactItems"]:
                next(iter(action.values()))["TableName"] = table
        else:
            parameters = {**parameters, "TableName": table}
        try:
            answer = getattr(client, operation)(**parameters)
        except ClientError as error:
            answer = {"Error": error.response["Error"], "Reasons": error.response.get("CancellationReasons")}
        answer.pop("ResponseMetadata", None)
        answers.append(answer)
    # Answers name the table; the two sessions use two.
    return list(json.loads(json.dumps(answers, default=str).replace(table, "<table>")))


def test_dynamodb_answered_directly_answers_as_moto_server_does() -> None:
    app = DomainDispatcherApplication(create_backend_app)
    direct = dispatch_in_process(CLOSED_ENDPOINT, app, direct={DYNAMODB_TARGET_PREFIX: dynamodb_in_process})
    through_server = dispatch_in_process(OTHER_CLOSED_ENDPOINT, app)
    try:
        directly = _dynamodb_session(_client("dynamodb"), "direct-probe")
        served = _dynamodb_session(_client("dynamodb", OTHER_CLOSED_ENDPOINT), "served-probe")
    finally:
        stop_dispatching(direct)
        stop_dispatching(through_server)

    assert directly == served
    assert [type(answer) for answer in directly] == [dict] * 8
    assert "Error" in directly[1]
    assert directly[5]["Reasons"][1]["Code"] == "ConditionalCheckFailed"
    assert (direct.direct_requests, through_server.direct_requests) == (direct.requests, 0)
    assert through_server.requests == direct.requests == 9


def test_only_requests_of_a_direct_target_skip_the_server_app() -> None:
    direct = dispatch_in_process(
        CLOSED_ENDPOINT,
        DomainDispatcherApplication(create_backend_app),
        direct={DYNAMODB_TARGET_PREFIX: dynamodb_in_process},
    )
    try:
        _client("dynamodb").list_tables()
        _client("sqs").list_queues()
        _client("s3").list_buckets()
    finally:
        stop_dispatching(direct)

    assert (direct.requests, direct.direct_requests) == (3, 1)
