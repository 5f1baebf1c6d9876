"""A Lambda function in a process of its own, as a function's execution environment is on AWS.

The runtime's process holds moto, the HTTP server, the pollers and the functions, all on one GIL.
During a burst of admin writes the projector took about half of it, and less than half of that
was moto's work: the rest was the projector's own Python, botocore building its requests, and
pydantic, none of which needs moto's state. Run in a child process, that work moves to the
machine's other core while the admin API keeps the runtime's (decision 68).

:class:`FunctionProcess` starts the child with multiprocessing's *spawn* method (a fresh
interpreter: nothing of the runtime's threads or locks is copied into it), imports the handler
there, once, with the environment the runtime gave the functions (a cold start), and invokes it
over a pipe, one event at a time, as an execution environment with reserved concurrency 1.

The child's requests to the local AWS endpoint travel over the same pipe: a botocore
``before-send`` hook in the child sends each one to the runtime, whose invoking thread answers it
with :func:`local.inprocess.answer_forwarded` (moto, the direct DynamoDB lane) and sends the answer
back. Sent to moto's HTTP server instead, each of them cost the runtime's GIL werkzeug's and
``http.server``'s parsing too, about a tenth of the runtime's time during a burst.

An exception in the handler comes back as :class:`FunctionError` naming it; the child's traceback
goes to its stderr, as Lambda writes it to the function's log. A child that exits (killed, out of
memory) fails the invocation in flight; the next invocation starts a new one, as Lambda starts a
new execution environment.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.handlers import BUILTIN_HANDLERS

from local.apigw import LocalLambdaContext
from local.inprocess import ForwardedAnswer, ForwardedRequest, answered, forwarded

log = logging.getLogger("local.function_process")

# How long a child may take to import its handler (a cold start is about a second here).
START_TIMEOUT_SECONDS = 60.0
# How long stop() waits for a child to end after asking it to, before killing it.
STOP_GRACE_SECONDS = 1.0


# Answers a forwarded AWS request in the runtime's process.
Answerer = Callable[[ForwardedRequest], ForwardedAnswer]


class FunctionError(RuntimeError):
    """The function failed in its process: it raised, or the process is gone."""


def _forwarding(connection: Connection, endpoint_url: str) -> Callable[..., AWSResponse | None]:
    endpoint = endpoint_url.rstrip("/")

    def forward(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        url = request.url or ""
        if not (url == endpoint or url.startswith(endpoint + "/")):
            return None
        connection.send(("aws", forwarded(request)))
        _, answer = connection.recv()
        return answered(url, answer)

    return forward


def _serve(
    connection: Connection,
    handler_path: str,
    function_name: str,
    function_arn: str,
    aws_endpoint: str | None,
) -> None:
    # Ctrl-C in a terminal reaches the whole process group; the runtime decides when this ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if aws_endpoint is not None:
        # Before the handler's import creates any session: sessions copy the built-in handlers.
        BUILTIN_HANDLERS.append(("before-send", _forwarding(connection, aws_endpoint)))
    try:
        module_name, _, attribute = handler_path.rpartition(".")
        handler = getattr(importlib.import_module(module_name), attribute)
    except Exception as error:
        connection.send(("error", f"{handler_path} did not load: {type(error).__name__}: {error}"))
        return
    connection.send(("ready", None))
    context = LocalLambdaContext(function_name=function_name, invoked_function_arn=function_arn)
    while True:
        try:
            event = connection.recv()
        except EOFError:  # the runtime is gone
            return
        if event is None:
            return
        try:
            result = handler(event, context)
        except Exception as error:
            traceback.print_exc(file=sys.stderr)
            connection.send(("error", f"{type(error).__name__}: {error}"))
        else:
            connection.send(("result", result))


class FunctionProcess:
    """One function's execution environment in a child process; :meth:`invoke` runs it there.

    With ``aws_endpoint`` and ``answer``, the child's requests to that endpoint are forwarded to
    this process and answered by ``answer`` on the invoking thread.
    """

    def __init__(
        self,
        handler_path: str,
        function_name: str,
        function_arn: str,
        *,
        aws_endpoint: str | None = None,
        answer: Answerer | None = None,
    ) -> None:
        if (aws_endpoint is None) != (answer is None):
            raise ValueError("aws_endpoint and answer go together")
        self.handler_path = handler_path
        self.function_name = function_name
        self.function_arn = function_arn
        self.forwarded_requests = 0
        self._aws_endpoint = aws_endpoint
        self._answer = answer
        self.starts = 0
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id (None before the first start or after stop)."""
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the child and wait for its handler to load (idempotent while it runs).

        Raises
        ------
        FunctionError
            When the handler cannot be imported, or the child does not report in time.
        """
        with self._lock:
            self._ensure_started()

    def invoke(self, event: Any) -> Any:
        """Run the handler on ``event`` in the child and return its result.

        Raises
        ------
        FunctionError
            When the handler raised (named in the message) or the child exited meanwhile.
        """
        with self._lock:
            connection = self._ensure_started()
            try:
                connection.send(event)
                kind, value = connection.recv()
                while kind == "aws":
                    connection.send(("answer", self._answered(value)))
                    kind, value = connection.recv()
            except (EOFError, OSError) as error:
                code = self._discard()
                raise FunctionError(f"{self.function_name}: its process exited (code {code})") from error
        if kind == "error":
            raise FunctionError(value)
        return value

    def _answered(self, request: ForwardedRequest) -> ForwardedAnswer:
        self.forwarded_requests += 1
        try:
            if self._answer is None:
                raise RuntimeError("this function was started without an AWS endpoint to forward to")
            return self._answer(request)
        except Exception as error:  # the child's SDK sees a server error, never a silent wait
            log.exception("%s: a forwarded AWS request failed", self.function_name)
            return 500, [("Content-Type", "text/plain")], f"{type(error).__name__}: {error}".encode()

    def stop(self) -> None:
        """End the child: asked first, killed if it has not ended within a second."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if process is None or connection is None:
            return
        try:
            # Never waits on an invocation in flight: the pipe is the child's, not the lock's.
            process.terminate()
        finally:
            process.join(STOP_GRACE_SECONDS)
            if process.is_alive():
                process.kill()
                process.join(STOP_GRACE_SECONDS)
            connection.close()

    def _ensure_started(self) -> Connection:
        if self._process is not None and self._connection is not None and self._process.is_alive():
            return self._connection
        if self._process is not None:
            self._discard()
        spawn = multiprocessing.get_context("spawn")
        ours, theirs = spawn.Pipe()
        process = spawn.Process(
            target=_serve,
            args=(theirs, self.handler_path, self.function_name, self.function_arn, self._aws_endpoint),
            name=self.function_name,
            daemon=True,
        )
        process.start()
        theirs.close()
        if not ours.poll(START_TIMEOUT_SECONDS):
            process.kill()
            raise FunctionError(
                f"{self.function_name}: its process did not start in {START_TIMEOUT_SECONDS:.0f} s"
            )
        try:
            kind, value = ours.recv()
        except EOFError as error:
            raise FunctionError(f"{self.function_name}: its process exited while starting") from error
        if kind != "ready":
            process.join(STOP_GRACE_SECONDS)
            raise FunctionError(str(value))
        self._process, self._connection = process, ours
        self.starts += 1
        log.info("%s: started in process %s", self.function_name, process.pid)
        return ours

    def _discard(self) -> int | None:
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is None:
            return None
        process.join(STOP_GRACE_SECONDS)
        return process.exitcode
