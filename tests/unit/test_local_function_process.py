"""A function in a process of its own: invoked over a pipe, its AWS requests answered by the runtime."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from local.function_process import FunctionError, FunctionProcess
from local.gateway import FunctionHost
from local.inprocess import InProcessEndpoint, answer_forwarded, dispatch_in_process, stop_dispatching
from local.moto_fidelity import DYNAMODB_TARGET_PREFIX, dynamodb_in_process
from shared.config import ProjectorConfig
from shared.routes import FunctionSpec

# Nothing listens here: only the runtime's in-process endpoint can answer the child's requests.
CLOSED_ENDPOINT = "http://127.0.0.1:9"
HANDLERS = "tests.unit.process_handlers"
ARN = "arn:aws:lambda:us-west-1:123456789012:function:catalog-local-probe"


def _function(handler: str, **forwarding: Any) -> FunctionProcess:
    return FunctionProcess(f"{HANDLERS}.{handler}", "catalog-local-probe", ARN, **forwarding)


@pytest.fixture
def running() -> Iterator[list[FunctionProcess]]:
    started: list[FunctionProcess] = []
    yield started
    for function in started:
        function.stop()


@pytest.fixture
def endpoint() -> Iterator[InProcessEndpoint]:
    hook = dispatch_in_process(
        CLOSED_ENDPOINT,
        DomainDispatcherApplication(create_backend_app),
        direct={DYNAMODB_TARGET_PREFIX: dynamodb_in_process},
    )
    yield hook
    stop_dispatching(hook)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_function_runs_in_a_child_process_with_its_name_and_returns_its_result(
    running: list[FunctionProcess],
) -> None:
    function = _function("describe")
    running.append(function)

    first = function.invoke({"n": 1})
    second = function.invoke({"n": 2})

    assert first["pid"] != os.getpid()
    assert first["pid"] == second["pid"] == function.pid
    assert first["function"] == "catalog-local-probe"
    assert [first["event"], second["event"]] == [{"n": 1}, {"n": 2}]
    assert function.starts == 1


def test_a_handler_error_fails_the_invocation_by_name_and_the_process_serves_on(
    running: list[FunctionProcess],
) -> None:
    failing = _function("fail")
    running.append(failing)
    failing.start()
    pid = failing.pid

    with pytest.raises(FunctionError, match=r"ValueError: cannot handle record 7"):
        failing.invoke({"record": 7})
    with pytest.raises(FunctionError, match=r"record 8"):
        failing.invoke({"record": 8})

    assert failing.pid == pid
    assert failing.starts == 1


def test_a_process_that_exits_fails_its_invocation_and_the_next_one_starts_anew(
    running: list[FunctionProcess],
) -> None:
    function = _function("exit_process")
    running.append(function)
    function.start()
    first_pid = function.pid

    with pytest.raises(FunctionError, match="its process exited"):
        function.invoke({})
    with pytest.raises(FunctionError, match="its process exited"):
        function.invoke({})

    assert function.starts == 2
    assert function.pid is None or function.pid != first_pid


def test_a_handler_that_cannot_be_imported_fails_the_start_naming_it(running: list[FunctionProcess]) -> None:
    missing = _function("no_such_handler")
    running.append(missing)

    with pytest.raises(FunctionError, match=r"tests\.unit\.process_handlers\.no_such_handler did not load"):
        missing.start()


def test_stop_ends_the_child(running: list[FunctionProcess]) -> None:
    function = _function("describe")
    running.append(function)
    function.start()
    pid = function.pid
    assert pid is not None
    assert _alive(pid)

    function.stop()

    assert not _alive(pid)
    assert function.pid is None


def test_the_childs_aws_requests_are_answered_by_this_process_endpoint(
    running: list[FunctionProcess], endpoint: InProcessEndpoint
) -> None:
    here = boto3.client(
        "dynamodb",
        endpoint_url=CLOSED_ENDPOINT,
        region_name="us-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    here.create_table(
        TableName="forwarded-probe",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    function = _function("put_and_read", aws_endpoint=CLOSED_ENDPOINT, answer=answer_forwarded)
    running.append(function)
    served_before = endpoint.direct_requests

    read_there = function.invoke(
        {"endpoint": CLOSED_ENDPOINT, "table": "forwarded-probe", "key": "from-child"}
    )
    served_for_the_child = endpoint.direct_requests - served_before

    assert read_there == {"pk": {"S": "from-child"}}
    assert here.get_item(TableName="forwarded-probe", Key={"pk": {"S": "from-child"}})["Item"] == read_there
    assert function.forwarded_requests == served_for_the_child == 2


def test_a_forwarded_request_no_endpoint_serves_is_answered_502() -> None:
    status, _, body = answer_forwarded(("POST", "http://127.0.0.1:13/", [("X-Amz-Target", "x")], b"{}"))

    assert status == 502
    assert b"http://127.0.0.1:13/" in body


def test_forwarding_needs_both_an_endpoint_and_an_answer() -> None:
    with pytest.raises(ValueError, match="go together"):
        _function("describe", aws_endpoint=CLOSED_ENDPOINT)


def test_the_host_invokes_functions_named_to_it_in_their_own_process(running: list[FunctionProcess]) -> None:
    specs = [
        FunctionSpec("probe", f"{HANDLERS}.describe", "stream", "a probe", ProjectorConfig),
        FunctionSpec(
            "local-probe", f"{HANDLERS}.describe", "stream", "a probe in the host's process", ProjectorConfig
        ),
    ]
    host = FunctionHost(specs, own_process=["probe"])
    running.extend(host.processes.values())
    host.load_all()

    there = host.invoke("probe", {"n": 1})
    here = host.invoke("local-probe", {"n": 2})

    assert there["pid"] != os.getpid()
    assert there["function"] == "catalog-local-probe"
    assert here["pid"] == os.getpid()


def test_the_host_refuses_an_unknown_function_for_a_process_of_its_own() -> None:
    with pytest.raises(ValueError, match="no such function: nope"):
        FunctionHost([], own_process=["nope"])
