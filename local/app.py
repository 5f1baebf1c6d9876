"""The catalog port's request router: local endpoints, the edge (public API), the gateway (admin API).

* ``GET /_local/resources`` — where the local resources are (region, endpoint, names);
* ``GET /openapi.json`` — the OpenAPI document of both APIs, generated from the handlers;
* ``PUT|DELETE|GET /_local/faults/sns`` — make SNS unavailable for a while (``local.faults``);
* ``/console/...``, ``/docs`` — the admin console and the API explorer (``local.static_site``);
* ``/products``, ``/categories``, ``/images/...`` — through the edge cache, as through CloudFront;
* everything else — the API Gateway, as the admin API is reached on AWS (unknown paths: 404).
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from local.edge import EdgeCache
from local.faults import SnsOutage
from local.resources import LocalQueues, Resources
from local.web import Handler, HttpRequest, HttpResponse, ServiceUnavailable, problem_response
from shared.problems import MethodNotAllowed, ValidationProblem

RESOURCES_PATH = "/_local/resources"
OPENAPI_PATH = "/openapi.json"
SNS_FAULT_PATH = "/_local/faults/sns"


def resources_document(resources: Resources, queues: LocalQueues, aws_endpoint: str) -> dict[str, Any]:
    """The body of ``GET /_local/resources`` (its keys are a contract: scripts read them).

    ``queues`` names the failure queues by the role SPEC gives them (``projection_failures``: the
    projector's on-failure queue), so a runbook or a test can look into them with the AWS CLI.
    """
    return {
        "region": resources.region,
        "aws_endpoint": aws_endpoint,
        "tables": resources.tables(),
        "queues": {
            "projection_failures": queues.projector_failures,
            "event_publishing_failures": queues.publisher_failures,
        },
        "topic_arn": resources.topic_arn,
        "bucket": resources.names.images_bucket,
    }


# The OpenAPI generator: a build tool of the checkout, not part of the functions' code.
OPENAPI_GENERATOR = "tools.openapi"


def _default_openapi() -> dict[str, Any]:
    # Imported on first use: the generator imports every API handler, which needs the environment.
    module = importlib.import_module(OPENAPI_GENERATOR)
    document: dict[str, Any] = module.openapi_document()
    return document


def json_response(
    document: Any, status: int = HTTPStatus.OK, *, cache_control: str = "no-store"
) -> HttpResponse:
    """A JSON response from the local runtime itself."""
    body = json.dumps(document, indent=2).encode()
    return HttpResponse(
        int(status), (("Content-Type", "application/json"), ("Cache-Control", cache_control)), body
    )


@dataclass
class CatalogApp:
    """Routes one request to the local endpoints, the edge or the gateway."""

    gateway: Handler
    edge: EdgeCache
    resources: dict[str, Any]
    openapi: Callable[[], dict[str, Any]] = _default_openapi
    sns_outage: SnsOutage | None = None
    # The console and the explorer: None for paths that are not theirs.
    site: Callable[[HttpRequest], HttpResponse | None] | None = None

    def __post_init__(self) -> None:
        self._openapi_lock = threading.Lock()
        self._openapi_document: dict[str, Any] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Answer one request on the catalog port."""
        if request.path in (RESOURCES_PATH, OPENAPI_PATH):
            if request.method not in ("GET", "HEAD"):
                problem = MethodNotAllowed(
                    f"{request.method} is not allowed here", headers={"Allow": "GET, HEAD"}
                )
                return problem_response(problem)
            return (
                json_response(self.resources) if request.path == RESOURCES_PATH else self._openapi_response()
            )
        if request.path == SNS_FAULT_PATH and self.sns_outage is not None:
            return self._sns_fault(request, self.sns_outage)
        if self.site is not None and (page := self.site(request)) is not None:
            return page
        if self.edge.behavior_for(request.path) is not None:
            return self.edge(request)
        return self.gateway(request)

    def _openapi_response(self) -> HttpResponse:
        with self._openapi_lock:
            if self._openapi_document is None:
                try:
                    self._openapi_document = self.openapi()
                except ModuleNotFoundError as error:
                    if error.name != OPENAPI_GENERATOR:
                        raise
                    return problem_response(
                        ServiceUnavailable(
                            f"the OpenAPI generator ({OPENAPI_GENERATOR}) is not available in this checkout"
                        )
                    )
            return json_response(self._openapi_document)

    @staticmethod
    def _sns_fault(request: HttpRequest, outage: SnsOutage) -> HttpResponse:
        if request.method == "PUT":
            try:
                seconds = float(json.loads(request.body or b"{}")["unavailable_seconds"])
                outage.start(seconds)
            except (ValueError, KeyError, TypeError) as error:
                return problem_response(
                    ValidationProblem(f'expected {{"unavailable_seconds": <seconds>}}: {error}')
                )
        elif request.method == "DELETE":
            outage.end()
        elif request.method != "GET":
            return problem_response(
                MethodNotAllowed(
                    f"{request.method} is not allowed here", headers={"Allow": "GET, PUT, DELETE"}
                )
            )
        return json_response({"unavailable_for_seconds": round(outage.remaining(), 1)})
