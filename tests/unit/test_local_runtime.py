"""The local runtime's settings: command line, environment, the stack's dev configuration."""

from __future__ import annotations

import gc
import json
import os
import socket
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError

from local.runtime import (
    DEFAULT_AWS_PORT,
    DEFAULT_PORT,
    GC_THRESHOLDS,
    LOCAL_AWS_CONFIG,
    READY_LINE,
    StackDefaults,
    StartupError,
    apply_environment,
    aws_environment,
    ensure_port_free,
    parse_settings,
    process_environment,
    settle_heap,
    stack_defaults,
)
from shared.data.dynamo import CLIENT_CONFIG


def test_defaults_are_the_documented_ports_and_a_generated_token() -> None:
    settings = parse_settings([], environ={})

    assert (settings.port, settings.aws_port) == (DEFAULT_PORT, DEFAULT_AWS_PORT) == (3000, 4566)
    assert settings.seed is True
    assert settings.token_generated is True
    assert len(settings.admin_token) >= 32
    assert settings.edge_ttl is None
    assert parse_settings([], environ={}).admin_token != settings.admin_token


def test_environment_variables_set_the_defaults_and_options_override_them() -> None:
    environ = {
        "CATALOG_PORT": "3100",
        "CATALOG_AWS_PORT": "4600",
        "CATALOG_ADMIN_TOKEN": "chosen",
        "CATALOG_EDGE_TTL": "0",
    }

    from_env = parse_settings([], environ=environ)
    from_flags = parse_settings(["--port", "3200", "--aws-port", "4700", "--no-seed"], environ=environ)

    assert (from_env.port, from_env.aws_port, from_env.admin_token) == (3100, 4600, "chosen")
    assert from_env.token_generated is False
    assert from_env.edge_ttl == 0
    assert (from_flags.port, from_flags.aws_port, from_flags.seed) == (3200, 4700, False)


@pytest.mark.parametrize(
    ("argv", "environ"),
    [
        (["--port", "70000"], {}),
        (["--port", "web"], {}),
        ([], {"CATALOG_PORT": "x"}),
        ([], {"CATALOG_EDGE_TTL": "-1"}),
        (["--unknown"], {}),
    ],
)
def test_invalid_settings_exit_with_usage_status(argv: list[str], environ: dict[str, str]) -> None:
    with pytest.raises(SystemExit) as raised:
        parse_settings(argv, environ=environ)

    assert raised.value.code == 2


def test_ready_line_is_exactly_the_documented_one() -> None:
    assert READY_LINE.format(host="127.0.0.1", port=3000) == "Catalog ready on http://127.0.0.1:3000"


def test_stack_defaults_come_from_the_dev_stage_in_cdk_json() -> None:
    context = json.loads((Path(__file__).resolve().parents[2] / "cdk.json").read_text())["context"]["catalog"]

    defaults = stack_defaults()

    assert defaults.batch_size == context["stream"]["batch_size"]
    assert defaults.retry_attempts == context["stream"]["retry_attempts"]
    assert defaults.max_batching_window_seconds == context["stream"]["max_batching_window_seconds"]
    assert defaults.cache_s_maxage == context["cache"]["s_maxage"]
    assert defaults.admin_allowed_origins == tuple(context["admin_allowed_origins"])


def test_stage_overrides_for_dev_win_and_a_broken_file_falls_back(tmp_path: Path) -> None:
    good = tmp_path / "cdk.json"
    good.write_text(
        json.dumps(
            {
                "context": {
                    "catalog": {
                        "stream": {"batch_size": 10},
                        "stages": {"dev": {"stream": {"batch_size": 7}}},
                    }
                }
            }
        )
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{")

    assert stack_defaults(good).batch_size == 7
    assert stack_defaults(broken) == StackDefaults()
    assert stack_defaults(tmp_path / "missing.json") == StackDefaults()


def test_process_environment_points_at_moto_and_quietens_powertools() -> None:
    environment = process_environment(
        {"PRODUCTS_TABLE_NAME": "catalog-products"},
        aws_endpoint="http://127.0.0.1:4566",
        defaults=StackDefaults(cache_s_maxage=300, admin_allowed_origins=("http://localhost:5173",)),
        edge_ttl=None,
        inherited={},
    )

    assert environment["PRODUCTS_TABLE_NAME"] == "catalog-products"
    assert environment["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert environment["AWS_DEFAULT_REGION"] == "us-west-1"
    assert environment["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert environment["POWERTOOLS_METRICS_DISABLED"] == "true"
    assert environment["POWERTOOLS_LOG_LEVEL"] == "WARNING"
    assert environment["CACHE_S_MAXAGE"] == "300"
    assert environment["ADMIN_ALLOWED_ORIGINS"] == "http://localhost:5173"


def test_edge_ttl_becomes_the_functions_s_maxage_and_an_explicit_log_level_is_kept() -> None:
    environment = process_environment(
        {},
        aws_endpoint="http://127.0.0.1:4566",
        defaults=StackDefaults(),
        edge_ttl=2,
        inherited={"POWERTOOLS_LOG_LEVEL": "DEBUG"},
    )

    assert environment["CACHE_S_MAXAGE"] == "2"
    assert environment["POWERTOOLS_LOG_LEVEL"] == "DEBUG"


def test_apply_environment_removes_what_would_send_clients_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "https://s3.example")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://elsewhere.example")  # teardown restores the original

    apply_environment({"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"})

    assert "AWS_PROFILE" not in os.environ
    assert "AWS_ENDPOINT_URL_S3" not in os.environ
    assert "AWS_SESSION_TOKEN" not in os.environ
    assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"


def test_local_clients_use_the_runtimes_config_file_without_client_side_validation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", "/home/developer/.aws/config")
    for name, value in aws_environment("http://127.0.0.1:4566").items():
        monkeypatch.setenv(name, value)  # as apply_environment sets them; teardown restores

    # A new session, as the runtime's process creates after setting its environment. The
    # functions' own client settings (dynamodb_client), with one attempt: nothing listens.
    session = boto3.session.Session()
    client = session.client("dynamodb", config=CLIENT_CONFIG.merge(Config(retries={"max_attempts": 1})))

    assert os.environ["AWS_CONFIG_FILE"] == str(LOCAL_AWS_CONFIG)
    assert session._session.get_scoped_config()["parameter_validation"] == "false"
    # An invalid request (a number as a string attribute) reaches the endpoint, not a client error.
    with pytest.raises(EndpointConnectionError):
        client.get_item(TableName="t", Key={"pk": {"S": 1}})


def test_a_taken_port_is_reported_by_number() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(StartupError, match=str(port)):
            ensure_port_free(port)

    ensure_port_free(0)


def test_settling_the_heap_freezes_what_start_up_built_and_collects_older_objects_less_often() -> None:
    thresholds = gc.get_threshold()
    started_with = [object() for _ in range(1_000)]
    try:
        settle_heap()
        frozen, settled = gc.get_freeze_count(), gc.get_threshold()
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)

    assert frozen >= len(started_with)
    assert settled == GC_THRESHOLDS
    assert settled[1] > thresholds[1]
    assert settled[2] > thresholds[2]
