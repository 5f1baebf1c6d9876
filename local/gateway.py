"""The local API Gateway: HTTP in, the REST proxy event Lambda receives, the handler's response out.

It mirrors the REST API the stack deploys: the resources and methods of :data:`shared.routes.ROUTES`,
a Cognito-style authorizer on admin routes (here: the dev token grants the ``catalog-admins``
claims), and gateway responses in problem+json for what API Gateway answers itself (unknown
resource 404, method 405, missing or bad token 401, payload over API Gateway's limit 413,
function failure 502). Request validation, 413/415 for bodies and 403 happen in the handlers, with
the same models and rules as on AWS.

Each function runs one invocation at a time (:class:`FunctionHost`), as if it had a reserved
concurrency of one: Powertools resolvers keep the current event in module state, so one module
instance must not serve two requests at once, exactly like one Lambda execution environment. Most
run in the runtime's process; those named to the host run in a process of their own
(:mod:`local.function_process`).
"""

from __future__ import annotations

import importlib
import logging
import re
import secrets
import threading
import time
from base64 import b64decode
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

from local.apigw import LocalLambdaContext, admin_claims, rest_event
from local.function_process import Answerer, FunctionProcess
from local.web import (
    BadGateway,
    HttpRequest,
    HttpResponse,
    new_request_id,
    problem_response,
)
from shared.http_names import REQUEST_ID_HEADER
from shared.problems import MethodNotAllowed, NotFound, PayloadTooLarge, Unauthorized
from shared.routes import FUNCTIONS, ROUTES, FunctionSpec, Route

log = logging.getLogger("local.gateway")

# API Gateway's own payload limit; the handlers enforce the API's 64 KiB themselves.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
ACCOUNT_ID = "123456789012"

LambdaFunction = Callable[[dict[str, Any], Any], Any]


class Invoker(Protocol):
    """Runs a function by its key (``FunctionHost``, or a stand-in in tests)."""

    def invoke(self, key: str, event: dict[str, Any]) -> Any:
        """Run the function ``key`` on ``event`` and return its result."""
        ...


class FunctionHost:
    """Imports Lambda handlers by their ``module.attribute`` names and invokes them one at a time.

    The lock per function is the local stand-in for "one execution environment": a second request
    to a busy function waits, as it would for a function with reserved concurrency 1, instead of
    sharing the resolver's per-request state with the first.

    The functions keyed in ``own_process`` run in a child process each instead, their requests to
    ``aws_endpoint`` answered in this process by ``answer``
    (:func:`local.inprocess.answer_forwarded` in the runtime).
    """

    def __init__(
        self,
        functions: Iterable[FunctionSpec] = FUNCTIONS,
        region: str = "us-west-1",
        *,
        own_process: Iterable[str] = (),
        aws_endpoint: str | None = None,
        answer: Answerer | None = None,
    ) -> None:
        self._specs = {spec.key: spec for spec in functions}
        self._region = region
        self._locks = {key: threading.Lock() for key in self._specs}
        self._handlers: dict[str, LambdaFunction] = {}
        self._import_lock = threading.Lock()
        unknown = sorted(set(own_process) - set(self._specs))
        if unknown:
            raise ValueError(f"no such function: {', '.join(unknown)}")
        self.processes = {
            key: FunctionProcess(
                self._specs[key].handler,
                f"catalog-local-{key}",
                self.function_arn(key),
                aws_endpoint=aws_endpoint,
                answer=answer,
            )
            for key in own_process
        }

    def load_all(self) -> None:
        """Load every handler now (cold starts at start-up, and configuration errors surface early).

        Raises
        ------
        FunctionError
            When a function of its own process cannot start.
        """
        for key in self._specs:
            if key in self.processes:
                self.processes[key].start()
            else:
                self._handler(key)

    def stop(self) -> None:
        """End the functions' own processes (the in-process ones need nothing)."""
        for process in self.processes.values():
            process.stop()

    def _handler(self, key: str) -> LambdaFunction:
        with self._import_lock:
            if key not in self._handlers:
                module_name, _, attribute = self._specs[key].handler.rpartition(".")
                self._handlers[key] = getattr(importlib.import_module(module_name), attribute)
            return self._handlers[key]

    def function_arn(self, key: str) -> str:
        """The ARN the function would have (contexts and failure records name it)."""
        return f"arn:aws:lambda:{self._region}:{ACCOUNT_ID}:function:catalog-local-{key}"

    def invoke(self, key: str, event: dict[str, Any]) -> Any:
        """Run the function ``key`` on ``event`` and return its result; its exceptions propagate.

        A function in its own process fails with :class:`local.function_process.FunctionError`.
        """
        process = self.processes.get(key)
        if process is not None:
            return process.invoke(event)
        handler = self._handler(key)
        context = LocalLambdaContext(
            function_name=f"catalog-local-{key}", invoked_function_arn=self.function_arn(key)
        )
        with self._locks[key]:
            return handler(event, context)


@dataclass(frozen=True)
class _Resource:
    template: str
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    methods: dict[str, Route]

    def parameters(self, match: re.Match[str]) -> dict[str, str]:
        # API Gateway hands path parameters to the function URL-decoded.
        return {name: unquote(value) for name, value in zip(self.names, match.groups(), strict=True)}


def _resources(routes: Iterable[Route]) -> list[_Resource]:
    by_template: dict[str, dict[str, Route]] = {}
    for route in routes:
        by_template.setdefault(route.path, {})[route.method] = route
    resources = []
    for template, methods in by_template.items():
        names = tuple(re.findall(r"\{([^}/]+)\}", template))
        pattern = re.compile("^" + re.sub(r"\\\{[^}/]+\\\}", "([^/]+)", re.escape(template)) + "$")
        resources.append(_Resource(template, pattern, names, methods))
    return resources


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def http_response(result: Any, request_id: str) -> HttpResponse:
    """An HTTP response from a Lambda proxy-integration result, merged as API Gateway merges it.

    Raises
    ------
    ValueError
        When the result is not a proxy response (API Gateway answers 502 then).
    """
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise ValueError("the function returned no proxy response (statusCode missing)")
    headers: list[tuple[str, str]] = []
    multi = result.get("multiValueHeaders") or {}
    for name, values in multi.items():
        headers += [(name, str(value)) for value in values]
    present = {name.lower() for name in multi}
    # Values in both sections appear once; multiValueHeaders wins (API Gateway's documented rule).
    headers += [(k, str(v)) for k, v in (result.get("headers") or {}).items() if k.lower() not in present]
    body = result.get("body") or ""
    payload = b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    names = {name.lower() for name, _ in headers}
    if REQUEST_ID_HEADER.lower() not in names:
        headers.append((REQUEST_ID_HEADER, request_id))
    headers.append(("x-amzn-RequestId", request_id))
    return HttpResponse(result["statusCode"], tuple(headers), payload)


class ApiGateway:
    """The REST API: routes to functions, authorizes admin routes, answers gateway errors itself."""

    def __init__(
        self,
        host: Invoker,
        admin_token: str,
        *,
        functions: Iterable[FunctionSpec] = FUNCTIONS,
        routes: Iterable[Route] = ROUTES,
        stage: str = "local",
    ) -> None:
        self._host = host
        self._token = admin_token.encode()
        self._apis = {spec.key: spec.api for spec in functions}
        self._resources = _resources(routes)
        self._stage = stage

    def _authorized(self, request: HttpRequest) -> bool:
        token = bearer_token(request.header("Authorization"))
        return token is not None and secrets.compare_digest(token.encode(), self._token)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Answer one request as API Gateway plus the function behind it would."""
        request_id = new_request_id()
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return problem_response(PayloadTooLarge("the request body is over 10 MiB"), request_id)
        path = request.path if request.path == "/" else request.path.rstrip("/")
        for resource in self._resources:
            match = resource.pattern.match(path)
            if match:
                return self._dispatch(request, resource, match, request_id)
        return problem_response(NotFound(f"no resource at {request.path}"), request_id)

    def _dispatch(
        self, request: HttpRequest, resource: _Resource, match: re.Match[str], request_id: str
    ) -> HttpResponse:
        route = resource.methods.get(request.method)
        # OPTIONS is the CORS preflight: API Gateway passes it to the function that owns the path.
        owner = route or (next(iter(resource.methods.values())) if request.method == "OPTIONS" else None)
        if owner is None:
            allowed = ", ".join([*sorted(resource.methods), "OPTIONS"])
            problem = MethodNotAllowed(
                f"{request.method} is not supported on {resource.template}", headers={"Allow": allowed}
            )
            return problem_response(problem, request_id)
        admin = self._apis.get(owner.function) == "admin"
        claims = None
        if admin and request.method != "OPTIONS":
            if not self._authorized(request):
                # The Cognito authorizer's answer: API Gateway's UNAUTHORIZED gateway response.
                return problem_response(Unauthorized(), request_id)
            claims = admin_claims()
        event = rest_event(
            request.method,
            path=unquote(request.path),
            resource=resource.template,
            path_parameters=resource.parameters(match),
            query=request.query,
            headers={
                **request.header_dict(),
                "X-Forwarded-For": request.client_ip,
                "X-Forwarded-Proto": "http",
            },
            body=request.body or None,
            claims=claims,
            stage=self._stage,
            source_ip=request.client_ip,
        )
        event["requestContext"]["requestId"] = request_id
        started = time.monotonic()
        try:
            result = self._host.invoke(owner.function, event)
            response = http_response(result, request_id)
        except Exception:
            # Lambda's "Unhandled" error: the stack trace goes to the function's log, not the client.
            log.exception("function %s failed (request %s)", owner.function, request_id)
            return problem_response(BadGateway(), request_id, note=owner.function)
        elapsed = (time.monotonic() - started) * 1000
        return HttpResponse(
            response.status, response.headers, response.body, note=f"{owner.function} {elapsed:.0f} ms"
        )
