"""API Gateway REST proxy events and Lambda contexts, as Lambda receives them.

The local gateway turns HTTP requests into these events, and the handler tests build theirs with
the same functions, so both exercise the handlers with the exact shape API Gateway produces.
"""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from shared.http_names import ADMIN_GROUP


def admin_claims(username: str = "local-admin", groups: tuple[str, ...] = (ADMIN_GROUP,)) -> dict[str, str]:
    """Claims as API Gateway's Cognito authorizer passes them (groups rendered as one string)."""
    claims = {
        "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, username)),
        "cognito:username": username,
        "token_use": "id",
    }
    if groups:
        claims["cognito:groups"] = ",".join(groups)
    return claims


def rest_event(
    method: str,
    path: str,
    *,
    resource: str,
    path_parameters: dict[str, str] | None = None,
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    claims: dict[str, str] | None = None,
    stage: str = "local",
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy-integration event.

    ``resource`` is the matched resource template (``/admin/products/{id}``); ``claims`` become
    ``requestContext.authorizer.claims`` as the Cognito authorizer sets them.
    """
    headers = dict(headers or {})
    multi_headers = {name: [value] for name, value in headers.items()}
    parsed_query = parse_qs(query, keep_blank_values=True)
    is_binary = isinstance(body, bytes)
    if isinstance(body, bytes):
        try:
            body = body.decode()
            is_binary = False
        except UnicodeDecodeError:
            body = base64.b64encode(body.encode() if isinstance(body, str) else body).decode()
    request_id = str(uuid.uuid4())
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in parsed_query.items()} or None,
        "multiValueQueryStringParameters": parsed_query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "requestTimeEpoch": int(time.time() * 1000),
            "accountId": "123456789012",
            "apiId": "local",
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent", "")},
            "authorizer": {"claims": claims} if claims is not None else None,
        },
        "body": body,
        "isBase64Encoded": is_binary,
    }


@dataclass
class LocalLambdaContext:
    """The parts of the Lambda context object the handlers and Powertools use."""

    function_name: str = "local"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-west-1:123456789012:function:local"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    timeout_seconds: float = 29.0
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the (simulated) timeout."""
        return max(0, int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000))
