"""Deploy rehearsal: every function of the assembly, started as Lambda would start it, handles an event.

For each ``AWS::Lambda::Function`` of the synthesized assembly, a fresh ``python -I -S`` interpreter
gets only the function's code asset and its layer's packages on the import path, exactly the
environment the template gives the function (references resolved to resources on a moto server)
plus the variables Lambda itself sets, imports the handler string of the template and invokes it.
A module missing from the layer, a wrong handler string or a variable the template forgets fails
here instead of at the first cold start after a deploy.

What stands in for Lambda, honestly: the interpreter is this machine's CPython (not 3.13 on arm64),
so the layer's packages come from the host copy built from the same lock pins
(:func:`cdk.lambda_dependencies.site_packages`); a test checks that copy has the deployed layer's
exact versions. The runtime's own packages (its boto3) are left out: the layer carries a pinned
boto3, and Lambda puts layers before them on the import path. ``AWS_ENDPOINT_URL`` is the one
variable Lambda would not set: it points the SDK at moto.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from cdk.lambda_dependencies import Target, site_packages
from local.apigw import admin_claims, rest_event
from local.resources import ResourceNames, Resources, create_resources
from local.runtime import MotoEndpoint
from local.streams import StreamReader, lambda_event, streams_client
from shared.routes import ROUTES
from tests.images import PNG_BYTES
from tests.infra.deployment import (
    DeployedFunction,
    archive_files,
    deployed_functions,
    installed_versions,
    metadata_files,
)
from tests.infra.support import Synthesized

pytestmark = pytest.mark.infra

BOOTSTRAP = Path(__file__).with_name("rehearsal_bootstrap.py")
REGION = "us-west-1"
ACCOUNT = "123456789012"  # moto's default account: ARNs moto builds and the template's agree
PSEUDO_PARAMETERS = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}
DISTRIBUTION_DOMAIN = "d111111abcdef8.cloudfront.net"
INVOCATION_TIMEOUT_SECONDS = 60


class Unresolvable(AssertionError):
    """A template value the rehearsal has no placeholder for: add one, do not drop the variable."""


def resolve(value: Any, refs: Mapping[str, str], attributes: Mapping[tuple[str, str], str]) -> str:
    """A CloudFormation value (string, ``Ref``, ``Fn::GetAtt``, ``Fn::Join``) with placeholders filled in."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        if value["Ref"] not in refs:
            raise Unresolvable(f"no placeholder for Ref {value['Ref']}")
        return refs[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        logical_id, attribute = value["Fn::GetAtt"]
        if (logical_id, attribute) not in attributes:
            raise Unresolvable(f"no placeholder for Fn::GetAtt {logical_id}.{attribute}")
        return attributes[(logical_id, attribute)]
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return str(separator).join(resolve(part, refs, attributes) for part in parts)
    raise Unresolvable(f"no placeholder for {json.dumps(value)}")


@dataclass(frozen=True)
class Stage:
    """The moto server, the stack's resources on it, and how template references resolve to them."""

    endpoint_url: str
    resources: Resources
    refs: Mapping[str, str]
    attributes: Mapping[tuple[str, str], str]
    host_packages: Path
    pycache: Path

    def environment(self, function: DeployedFunction) -> dict[str, str]:
        """The template's variables of ``function``, resolved, plus those Lambda's runtime sets."""
        variables = function.properties.get("Environment", {}).get("Variables", {})
        declared = {name: resolve(value, self.refs, self.attributes) for name, value in variables.items()}
        logging = function.properties.get("LoggingConfig", {})
        runtime = {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "rehearsal",
            "AWS_SECRET_ACCESS_KEY": "rehearsal",
            "AWS_SESSION_TOKEN": "rehearsal",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.properties['Runtime']}",
            "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.properties.get("MemorySize", 128)),
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.logical_id}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "rehearsal",
            "AWS_LAMBDA_LOG_FORMAT": logging.get("LogFormat", "Text"),
            "AWS_LAMBDA_LOG_LEVEL": logging.get("ApplicationLogLevel", "INFO"),
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "_X_AMZN_TRACE_ID": "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0",
            "_HANDLER": function.handler,
            "LAMBDA_TASK_ROOT": str(function.code),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "AWS_ENDPOINT_URL": self.endpoint_url,
        }
        clashes = sorted(set(declared) & set(runtime))
        assert not clashes, f"{function.logical_id} sets variables Lambda owns: {clashes}"
        return {**declared, **runtime}

    def invoke(self, function: DeployedFunction, event: Mapping[str, Any], tmp_path: Path) -> Any:
        """Start a fresh interpreter as Lambda would, import the handler, invoke it once."""
        result_file = tmp_path / f"{function.logical_id}.json"
        request = {
            "path": [str(function.code), str(self.host_packages)],
            "handler": function.handler,
            "event": event,
            "context": {
                "function_name": function.logical_id,
                "function_version": "$LATEST",
                "invoked_function_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function.logical_id}",
                "memory_limit_in_mb": function.properties.get("MemorySize", 128),
                "aws_request_id": str(uuid.uuid4()),
                "log_group_name": f"/aws/lambda/{function.logical_id}",
                "log_stream_name": "rehearsal",
            },
            "result_file": str(result_file),
        }
        completed = subprocess.run(
            # Bytecode goes to a scratch folder: the assembly stays as synthesized (as /var/task and
            # /opt are read-only on Lambda), and later invocations still start from cached bytecode.
            [sys.executable, "-I", "-S", "-X", f"pycache_prefix={self.pycache}", str(BOOTSTRAP)],
            input=json.dumps(request),
            env=self.environment(function),
            cwd=function.code,
            capture_output=True,
            text=True,
            timeout=INVOCATION_TIMEOUT_SECONDS,
            check=False,
        )
        assert completed.returncode == 0, (
            f"{function.logical_id} ({function.handler}) failed:\n{completed.stderr[-3000:]}"
        )
        outcome = json.loads(result_file.read_text(encoding="utf-8"))
        site = [entry for entry in outcome["sys_path"] if "site-packages" in entry]
        assert not site, f"the rehearsal interpreter saw {site}"
        return outcome["result"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def stage(synthesized: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    """The stack's data resources on a moto server, named as the template names them."""
    stack = synthesized.stack
    pseudo = dict(PSEUDO_PARAMETERS)
    bucket_name = resolve(synthesized.properties(stack.images.bucket)["BucketName"], pseudo, {})
    logical = {
        "products": synthesized.logical_id(stack.data.products),
        "views": synthesized.logical_id(stack.data.views),
        "idempotency": synthesized.logical_id(stack.data.idempotency),
        "events": synthesized.logical_id(stack.data.event_log),
        "topic": synthesized.logical_id(stack.projection.inventory_topic),
        "secret": synthesized.logical_id(stack.public.cursor_secret),
        "bucket": synthesized.logical_id(stack.images.bucket),
        "distribution": synthesized.logical_id(stack.edge.distribution),
    }
    names = ResourceNames(
        products_table=logical["products"],
        views_table=logical["views"],
        idempotency_table=logical["idempotency"],
        events_table=logical["events"],
        images_bucket=bucket_name,
        inventory_topic=logical["topic"],
        cursor_secret=logical["secret"],
    )
    moto = MotoEndpoint(_free_port())
    try:
        resources = create_resources(REGION, endpoint_url=moto.url, names=names)
        refs = {
            **pseudo,
            logical["products"]: names.products_table,
            logical["views"]: names.views_table,
            logical["idempotency"]: names.idempotency_table,
            logical["events"]: names.events_table,
            logical["bucket"]: names.images_bucket,
            logical["topic"]: resources.topic_arn,
            logical["secret"]: resources.cursor_secret_arn,
        }
        attributes = {(logical["distribution"], "DomainName"): DISTRIBUTION_DOMAIN}
        pycache = tmp_path_factory.mktemp("rehearsal-pycache")
        yield Stage(moto.url, resources, refs, attributes, site_packages(Target.host()), pycache)
    finally:
        moto.stop()


@pytest.fixture(scope="module")
def functions(synthesized: Synthesized) -> dict[str, DeployedFunction]:
    """The assembly's functions by the function key of ``shared.routes`` (via the stack's constructs)."""
    deployed = deployed_functions(synthesized)
    by_key = {
        key: deployed[synthesized.logical_id(construct.function)]
        for key, construct in synthesized.stack.functions.items()
    }
    assert {function.logical_id for function in by_key.values()} == set(deployed), (
        "a function of the template is not among the stack's catalog functions"
    )
    return by_key


def _api_event(method: str, template: str, body: Any = None, **params: str) -> dict[str, Any]:
    """The proxy event API Gateway sends for the route ``method template`` (which must exist)."""
    assert any(route.method == method and route.path == template for route in ROUTES), (method, template)
    path = template.format(**params)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if method == "POST":
        headers["Idempotency-Key"] = f"rehearsal-{uuid.uuid4()}"
    return rest_event(
        method,
        path,
        resource=template,
        path_parameters=params or None,
        headers=headers,
        body=json.dumps(body) if body is not None else None,
        claims=admin_claims() if path.startswith("/admin") else None,
    )


def _body(response: Mapping[str, Any]) -> Any:
    return json.loads(response["body"])


@pytest.fixture(scope="module")
def journey(
    stage: Stage, functions: dict[str, DeployedFunction], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """One product's life through every function, each invoked as Lambda would: key -> its result.

    The events are the ones the function meets in production: API Gateway proxy events, the S3
    notification of an upload, and the stream records DynamoDB actually wrote.
    """
    tmp_path = tmp_path_factory.mktemp("rehearsal")
    results: dict[str, Any] = {}

    def rehearse(key: str, event: Mapping[str, Any]) -> Any:
        results[key] = stage.invoke(functions[key], event, tmp_path)
        return results[key]

    product = {
        "sku": "REHEARSAL-1",
        "name": "Rehearsal mug",
        "category": "kitchen",
        "price": 9.5,
        "inventory": 4,
    }
    created = rehearse("admin-products", _api_event("POST", "/admin/products", product))
    product_id = _body(created)["id"]
    rehearse(
        "admin-inventory", _api_event("POST", "/admin/products/{id}/inventory", {"delta": -1}, id=product_id)
    )
    upload = {"content_type": "image/png", "content_length": len(PNG_BYTES)}
    ticket = rehearse(
        "admin-images", _api_event("POST", "/admin/products/{id}/images", upload, id=product_id)
    )
    upload_key = _body(ticket)["upload"]["fields"]["key"]
    bucket = stage.resources.names.images_bucket
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=stage.endpoint_url)
    s3.put_object(Bucket=bucket, Key=upload_key, Body=PNG_BYTES, ContentType="image/png")
    rehearse("image-registration", _s3_created_event(bucket, upload_key))
    reader = StreamReader(
        stage.resources.stream_arn, region=REGION, client=streams_client(REGION, stage.endpoint_url)
    )
    # The event source mapping's filter passes product items only (not the SKU guards).
    records = [r for r in reader.read_new() if str(r["dynamodb"]["Keys"]["pk"]["S"]).startswith("PRODUCT#")]
    rehearse("projector", lambda_event(records))
    # The projector logged the events with the views; the publisher gets them from the log's stream,
    # then sweeps the log on its schedule (an EventBridge event carries no ``Records``).
    log_reader = StreamReader(
        stage.resources.event_log_stream_arn, region=REGION, client=streams_client(REGION, stage.endpoint_url)
    )
    logged = log_reader.read_new()
    results["logged-events"] = len(logged)
    rehearse("event-publisher", lambda_event(logged))
    results["event-publisher-sweep"] = stage.invoke(
        functions["event-publisher"], {"source": "aws.events", "detail-type": "Scheduled Event"}, tmp_path
    )
    rehearse("public-products", _api_event("GET", "/products/{id}", id=product_id))
    rehearse("public-categories", _api_event("GET", "/categories"))
    results["product_id"] = product_id
    return results


def _s3_created_event(bucket: str, key: str) -> dict[str, Any]:
    """The notification S3 sends Lambda when a presigned POST stores ``key``."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventName": "ObjectCreated:Post",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": key, "size": len(PNG_BYTES)},
                },
            }
        ]
    }


def test_every_function_of_the_assembly_handles_its_event_with_only_its_deployed_code_and_layer(
    functions: dict[str, DeployedFunction], journey: dict[str, Any]
) -> None:
    assert set(functions) <= set(journey), f"no rehearsal event for {sorted(set(functions) - set(journey))}"


def test_admin_functions_answer_as_the_api_expects(journey: dict[str, Any]) -> None:
    assert journey["admin-products"]["statusCode"] == 201
    assert _body(journey["admin-products"])["sku"] == "REHEARSAL-1"
    assert journey["admin-inventory"]["statusCode"] == 200
    assert _body(journey["admin-inventory"])["inventory"] == 3
    assert journey["admin-images"]["statusCode"] == 201


def test_image_registration_registers_the_upload(journey: dict[str, Any]) -> None:
    assert [result["outcome"] for result in journey["image-registration"]["results"]] == ["registered"]


def test_projector_projects_every_record_of_the_batch(journey: dict[str, Any]) -> None:
    assert journey["projector"] == {"batchItemFailures": []}


def test_event_publisher_publishes_the_logged_events_then_finds_nothing_left_to_sweep(
    journey: dict[str, Any],
) -> None:
    assert journey["logged-events"] >= 3  # created, inventory changed, updated: at least
    assert journey["event-publisher"] == {"batchItemFailures": []}
    assert journey["event-publisher-sweep"]["deferred"] == 0
    assert journey["event-publisher-sweep"]["published"] == 0


def test_public_functions_serve_the_projected_product(journey: dict[str, Any]) -> None:
    product = journey["public-products"]
    assert product["statusCode"] == 200
    assert _body(product)["id"] == journey["product_id"]
    assert "inventory" not in _body(product)
    categories = journey["public-categories"]
    assert categories["statusCode"] == 200
    assert "kitchen" in json.dumps(_body(categories))


def test_the_rehearsal_packages_are_the_deployed_layers_versions(
    functions: dict[str, DeployedFunction], stage: Stage
) -> None:
    host = installed_versions(metadata_files(stage.host_packages))
    for function in functions.values():
        deployed: dict[str, str] = {}
        for layer in function.layers:
            deployed.update(installed_versions(archive_files(layer)))
        assert host == deployed, function.logical_id
