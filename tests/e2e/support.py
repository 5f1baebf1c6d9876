"""The local runtime as a subprocess, and plain-HTTP helpers to talk to it.

The end-to-end tests use the runtime only from outside: HTTP on the catalog port (``http.client``)
and boto3 against its AWS endpoint, exactly as a user's script would.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0
STOP_TIMEOUT = 5.0

T = TypeVar("T")


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Reply:
    """One HTTP response, read completely."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        """A response header (case-insensitive), or None."""
        return self.headers.get(name)

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


def http_request(
    method: str, url: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
) -> Reply:
    """Send one request and read the whole response (any status, no exceptions for 4xx/5xx)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=15)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def multipart_form(
    fields: Mapping[str, str], file_field: str, filename: str, data: bytes, content_type: str
) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body (fields first, the file last, as S3's POST requires)."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def eventually(
    probe: Callable[[], T | None], *, timeout: float = 15.0, interval: float = 0.05, what: str = ""
) -> T:
    """Poll ``probe`` until it returns something other than None; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what or 'a condition'}")
        time.sleep(interval)


@dataclass
class LocalCatalog:
    """A running ``python -m local`` subprocess, its ports and everything it printed."""

    process: subprocess.Popen[str]
    port: int
    aws_port: int
    token: str
    lines: list[str] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        """The catalog's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def aws_endpoint(self) -> str:
        """The moto endpoint's URL."""
        return f"http://127.0.0.1:{self.aws_port}"

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for_line(self, predicate: Callable[[str], bool], timeout: float) -> str:
        """The first printed line satisfying ``predicate``; fails on timeout or when the process ends."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((line for line in self.lines if predicate(line)), None)
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.process.poll() is not None:
                    output = "\n".join(self.lines[-40:])
                    raise AssertionError(
                        f"no matching line (exit code {self.process.poll()}); output:\n{output}"
                    )
                self._changed.wait(min(remaining, 0.5))

    def request(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        *,
        admin: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """A request to the catalog port; ``admin`` adds the bearer token, ``json_body`` a JSON body."""
        all_headers = dict(headers or {})
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        if admin:
            all_headers["Authorization"] = f"Bearer {self.token}"
        return http_request(method, self.url + path, body, all_headers)

    def stop(self) -> tuple[int | None, float]:
        """SIGTERM, then wait up to :data:`STOP_TIMEOUT` seconds; returns (exit code, seconds taken)."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return None, time.monotonic() - started
        return self.process.returncode, time.monotonic() - started


def start_catalog(*arguments: str, edge_ttl: int = 2) -> LocalCatalog:
    """Start ``python -m local`` on free ports and wait for its ready line.

    The catalog port is passed with ``--port`` and the AWS port through ``CATALOG_AWS_PORT``, so both
    ways of choosing them are exercised.
    """
    port, aws_port = free_port(), free_port()
    token = f"e2e-{uuid.uuid4().hex}"
    # The runtime starts from a user's shell: none of the Powertools settings the test process
    # gives itself (tests/conftest.py), so the runtime must provide the functions' own.
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("POWERTOOLS_")}
    environment = {
        **inherited,
        "CATALOG_ADMIN_TOKEN": token,
        "CATALOG_AWS_PORT": str(aws_port),
        "CATALOG_EDGE_TTL": str(edge_ttl),
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "local", "--port", str(port), *arguments],
        cwd=REPO_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
    )
    catalog = LocalCatalog(process=process, port=port, aws_port=aws_port, token=token)
    threading.Thread(target=catalog._read_output, name="catalog-output", daemon=True).start()
    try:
        catalog.wait_for_line(lambda line: line == f"Catalog ready on http://127.0.0.1:{port}", START_TIMEOUT)
    except AssertionError:
        catalog.stop()
        raise
    return catalog
