"""Presigned POST policies, enforced on moto's server as S3 enforces them.

S3 refuses a browser-form upload whose fields or file break the form's signed policy: a different
``Content-Type``, a file outside ``content-length-range``, another key, an extra field, an expired
policy. moto stores whatever it is sent, so without this the local runtime would accept uploads
that AWS refuses, and the contract's "S3 itself refuses any other type or size" could not be seen
locally. :func:`enforce_post_policies` puts the check in front of moto's request dispatcher.

The signature itself is not verified (moto accepts any credentials); everything the policy says is.
"""

from __future__ import annotations

import base64
import io
import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from werkzeug.formparser import parse_form_data

# Fields S3 never requires a condition for (AWS docs, "Creating a POST policy").
_UNCONDITIONED_FIELDS = frozenset({"policy", "x-amz-signature", "file", "signature", "awsaccesskeyid"})


@dataclass(frozen=True)
class PolicyViolation:
    """Why S3 refuses an upload: HTTP status, S3 error code and message."""

    status: int
    code: str
    message: str

    def xml(self) -> bytes:
        """The error document S3 answers with."""
        request_id = uuid.uuid4().hex[:16].upper()
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{_escape(self.message)}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>local</HostId></Error>"
        ).encode()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _denied(detail: str) -> PolicyViolation:
    return PolicyViolation(403, "AccessDenied", f"Invalid according to Policy: {detail}")


def _parse_expiration(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _condition_failed(condition: Any) -> PolicyViolation:
    return _denied(f"Policy Condition failed: {json.dumps(condition)}")


def check_post_policy(
    fields: Mapping[str, str], file_size: int, bucket: str, now: datetime | None = None
) -> PolicyViolation | None:
    """Check a form upload against its policy, as S3 does; None when S3 would accept it.

    Parameters
    ----------
    fields
        The form's fields except the file, names as sent (compared case-insensitively).
    file_size
        Size of the file part in bytes.
    bucket
        The bucket the form was posted to (the policy's ``bucket`` condition names it).
    now
        The current time (for the expiration); defaults to the clock.
    """
    values = {name.lower(): value for name, value in fields.items()}
    values["bucket"] = bucket
    try:
        policy = json.loads(base64.b64decode(values["policy"]))
        expiration = _parse_expiration(str(policy["expiration"]))
        conditions = list(policy.get("conditions", []))
    except (KeyError, ValueError, TypeError):
        return PolicyViolation(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
    if (now or datetime.now(UTC)) > expiration:
        return _denied("Policy expired.")
    covered: set[str] = set()
    for condition in conditions:
        violation = _check_condition(condition, values, file_size, covered)
        if violation is not None:
            return violation
    extra = sorted(
        name
        for name in values
        if name not in covered and name not in _UNCONDITIONED_FIELDS and not name.startswith("x-ignore-")
    )
    if extra:
        return _denied(f"Extra input fields: {', '.join(extra)}")
    return None


def _check_condition(
    condition: Any, values: Mapping[str, str], file_size: int, covered: set[str]
) -> PolicyViolation | None:
    if isinstance(condition, dict):
        for name, expected in condition.items():
            covered.add(name.lower())
            if values.get(name.lower()) != str(expected):
                return _condition_failed(["eq", f"${name}", expected])
        return None
    if isinstance(condition, list) and condition and condition[0] == "content-length-range":
        _, smallest, largest = condition
        if file_size > int(largest):
            return PolicyViolation(
                400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
            )
        if file_size < int(smallest):
            return PolicyViolation(
                400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"
            )
        return None
    if isinstance(condition, list) and len(condition) == 3 and condition[0] in ("eq", "starts-with"):
        operator, reference, expected = condition
        name = str(reference).removeprefix("$").lower()
        covered.add(name)
        actual = values.get(name)
        matched = (
            actual == expected if operator == "eq" else actual is not None and actual.startswith(expected)
        )
        return None if matched else _condition_failed(condition)
    return PolicyViolation(400, "InvalidPolicyDocument", f"Invalid Policy: unknown condition {condition!r}")


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _bucket_of(environ: Mapping[str, Any]) -> str | None:
    segments = [segment for segment in str(environ.get("PATH_INFO", "")).split("/") if segment]
    if len(segments) == 1:
        return segments[0]  # path-style: POST /<bucket>
    if not segments:
        host = str(environ.get("HTTP_HOST", "")).split(":")[0]
        first = host.split(".")[0]
        return first if first and not first.isdigit() else None  # virtual-hosted: <bucket>.host
    return None


def with_post_policy_check(call: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """Wrap moto's WSGI dispatcher: a form POST to a bucket is checked against its policy first."""
    if getattr(call, "_post_policy", False):
        return call

    def checked_call(
        self: Any, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        content_type = str(environ.get("CONTENT_TYPE", ""))
        bucket = _bucket_of(environ)
        if (
            environ.get("REQUEST_METHOD") != "POST"
            or bucket is None
            or not content_type.startswith("multipart/form-data")
        ):
            return call(self, environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads the same bytes after the check
        copy = {**environ, "wsgi.input": io.BytesIO(body)}
        _, form, files = parse_form_data(copy)
        if "policy" not in {name.lower() for name in form}:
            return call(self, environ, start_response)
        upload = files.get("file")
        size = len(upload.read()) if upload is not None else 0
        violation = check_post_policy(dict(form.items()), size, bucket)
        if violation is None:
            return call(self, environ, start_response)
        document = violation.xml()
        start_response(
            f"{violation.status} {HTTPStatus(violation.status).phrase}",
            [("Content-Type", "application/xml"), ("Content-Length", str(len(document)))],
        )
        return [document]

    checked_call._post_policy = True  # type: ignore[attr-defined]
    return checked_call


def enforce_post_policies() -> None:
    """Make moto's server check presigned POST policies before it stores an upload (idempotent)."""
    DomainDispatcherApplication.__call__ = with_post_policy_check(DomainDispatcherApplication.__call__)  # type: ignore[method-assign]
