"""``python -m local``: the whole catalog on this machine, on moto, with no AWS account and no Docker.

Start-up order matters and is the reason this module exists:

1. bind the catalog port (fail fast when it is taken; port 0 picks a free one);
2. start moto's server and create the stack's resources there, plus the local queues;
3. set the process environment the stack gives the functions (names, endpoint, quiet Powertools),
   *then* import the handlers, which read their configuration at import time as on a cold start
   (the projector in a process of its own, started with that environment: decision 68);
4. start the pollers (stream → projector, uploads → image registration, events → console);
5. seed the demo catalog through the admin API and wait until the projector has caught up, so the
   first public read already shows it;
6. serve, and print ``Catalog ready on http://127.0.0.1:<port>`` (scripts wait for this line).

Ctrl-C or SIGTERM stops the server, the pollers, the functions' processes and moto, and the
process exits 0 within 5 s.
"""

from __future__ import annotations

import argparse
import functools
import gc
import io
import json
import logging
import os
import secrets
import signal
import socket
import sys
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import boto3

from local.console import Console
from local.inprocess import answer_forwarded, dispatch_in_process, stop_dispatching
from local.web import HttpRequest, HttpResponse
from shared.routes import canonical_public_query
from shared.tables import IMAGE_PREFIX, NEW_LOG_ITEMS_FILTER, PRODUCT_RECORDS_FILTER

if TYPE_CHECKING:
    # Imported for real only inside _wire: the handlers read their configuration when imported.
    from local.gateway import ApiGateway, FunctionHost
    from local.pollers import StreamPoller
    from local.resources import LocalQueues, Resources

HOST = "127.0.0.1"
REGION = "us-west-1"
DEFAULT_PORT = 3000
DEFAULT_AWS_PORT = 4566
READY_LINE = "Catalog ready on http://{host}:{port}"
STOP_DEADLINE_SECONDS = 4.5
SEED_PROJECTION_TIMEOUT = 15.0
# The sweep runs every minute on AWS (the finest EventBridge rate); locally every second, so the
# retry pauses (at most 30 s) are what bounds the delay after an outage, as the contract says.
LOCAL_SWEEP_INTERVAL_SECONDS = 1.0
# How long the event publisher may hold back behind the projector (decision 65).
PUBLISHER_MAX_WAIT_SECONDS = 5.0
# How long the sweep may. A fresh event is not due for it before the stream hand-off's 30 s grace,
# so a sweep every 5 s during a burst re-read the backlog for nothing. The bound keeps the
# contract: a retry pause (at most 30 s) plus this hold plus a 1 s tick stays within the 60 s in
# which events held back by an outage arrive once SNS is back (decision 67).
SWEEP_MAX_WAIT_SECONDS = 20.0
# The projector's mapping gathers records for up to its batching window (1 s in cdk.json), so a
# burst reaches the projector in batches it writes in shared transactions. Locally records in
# hand also go once this long passes with nothing new: a single write shows in a moment.
LOCAL_QUIET_GAP_SECONDS = 0.05
# The runtime's heap is mostly moto's long-lived items (about 200,000 objects once started, more
# with every product), and each of CPython's full collections walks all of it: ten of them, about
# 240 ms each, during a 1,000-create burst. What start-up built is frozen out of collection and
# the older generations are collected less often (decision 67).
GC_THRESHOLDS = (2_000, 20, 100)
# The functions that run in a process of their own (decision 68). The projector took about half of
# the runtime's GIL during a burst of admin writes, more than half of that its own Python,
# botocore and pydantic rather than moto: in a child process it runs on the other core, and only
# its requests' moto work stays here. The event publisher stays: most of its time is moto's, and in
# a process of its own its events trailed a burst by half as long again.
LOCAL_PROCESS_FUNCTIONS = ("projector",)
# Variables that would send a boto3 client somewhere other than the local endpoint, or fail it.
_FOREIGN_AWS_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")

log = logging.getLogger("local.runtime")


class StartupError(RuntimeError):
    """The runtime cannot start (a port is taken, a resource cannot be created)."""


class Interrupted(Exception):
    """A stop was requested while the runtime was still starting."""


@dataclass(frozen=True)
class Settings:
    """What the command line and the environment chose."""

    port: int
    aws_port: int
    seed: bool
    admin_token: str
    token_generated: bool
    edge_ttl: int | None


@dataclass(frozen=True)
class StackDefaults:
    """The dev stage's settings the local runtime reproduces (from ``cdk.json`` when available)."""

    batch_size: int = 100
    max_batching_window_seconds: int = 1
    retry_attempts: int = 5
    cache_max_age: int = 60
    cache_s_maxage: int = 300
    cache_stale_while_revalidate: int = 60
    not_found_max_age: int = 10
    edge_max_ttl: int = 86_400
    admin_allowed_origins: tuple[str, ...] = ()
    upload_url_ttl_seconds: int = 600
    admin_image_url_ttl_seconds: int = 900
    idempotency_ttl_seconds: int = 24 * 3600
    event_log_retention_days: int = 30
    publish_retry_base_seconds: int = 1
    publish_retry_max_seconds: int = 30


CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"
# This process's AWS config file: no developer profile applies, and botocore skips its
# client-side parameter validation (the file says why; decision 66).
LOCAL_AWS_CONFIG = Path(__file__).resolve().parent / "aws_config"


def stack_defaults(path: Path = CDK_JSON) -> StackDefaults:
    """The dev stage's settings from ``cdk.json``, so local and deployed behave alike.

    Read as plain JSON on purpose: importing the CDK app would start a Node.js process.
    """
    try:
        context = json.loads(path.read_text(encoding="utf-8"))["context"]
        catalog = dict(context.get("catalog") or {})
        settings = {**catalog, **((catalog.pop("stages", None) or {}).get("dev") or {})}
        cache = settings.get("cache") or {}
        stream = settings.get("stream") or {}
        base = StackDefaults()
        return StackDefaults(
            batch_size=int(stream.get("batch_size", base.batch_size)),
            max_batching_window_seconds=int(
                stream.get("max_batching_window_seconds", base.max_batching_window_seconds)
            ),
            retry_attempts=int(stream.get("retry_attempts", base.retry_attempts)),
            cache_max_age=int(cache.get("max_age", base.cache_max_age)),
            cache_s_maxage=int(cache.get("s_maxage", base.cache_s_maxage)),
            cache_stale_while_revalidate=int(
                cache.get("stale_while_revalidate", base.cache_stale_while_revalidate)
            ),
            not_found_max_age=int(cache.get("not_found_max_age", base.not_found_max_age)),
            edge_max_ttl=int(cache.get("edge_max_ttl", base.edge_max_ttl)),
            admin_allowed_origins=tuple(settings.get("admin_allowed_origins", base.admin_allowed_origins)),
            upload_url_ttl_seconds=int(settings.get("upload_url_ttl_seconds", base.upload_url_ttl_seconds)),
            admin_image_url_ttl_seconds=int(
                settings.get("admin_image_url_ttl_seconds", base.admin_image_url_ttl_seconds)
            ),
            idempotency_ttl_seconds=int(
                settings.get("idempotency_ttl_seconds", base.idempotency_ttl_seconds)
            ),
            event_log_retention_days=int(
                (settings.get("event_log") or {}).get("retention_days", base.event_log_retention_days)
            ),
            publish_retry_base_seconds=int(
                (settings.get("event_log") or {}).get("retry_base_seconds", base.publish_retry_base_seconds)
            ),
            publish_retry_max_seconds=int(
                (settings.get("event_log") or {}).get("retry_max_seconds", base.publish_retry_max_seconds)
            ),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        # The runtime must start even when the CDK configuration is missing or malformed.
        log.warning("%s not usable (%s); using built-in defaults", path, error)
        return StackDefaults()


def _port(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError(f"{value} is not a TCP port")
    return port


def parse_settings(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the command line, with ``CATALOG_*`` environment variables as defaults.

    Raises
    ------
    SystemExit
        With status 2 and a message, for an invalid option or variable (argparse's convention).
    """
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(
        prog="python -m local",
        description="Run the product catalog locally: admin and public API, edge cache, moto AWS endpoint.",
    )
    try:
        default_port = _port(env.get("CATALOG_PORT") or str(DEFAULT_PORT))
        default_aws_port = _port(env.get("CATALOG_AWS_PORT") or str(DEFAULT_AWS_PORT))
        edge_ttl_text = env.get("CATALOG_EDGE_TTL", "").strip()
        edge_ttl = int(edge_ttl_text) if edge_ttl_text else None
        if edge_ttl is not None and edge_ttl < 0:
            raise ValueError("CATALOG_EDGE_TTL must be 0 or more seconds")
    except ValueError as error:
        parser.error(f"invalid environment: {error}")
    parser.add_argument("--no-seed", action="store_true", help="start with an empty catalog")
    parser.add_argument("--port", type=_port, default=default_port, help="catalog HTTP port (CATALOG_PORT)")
    parser.add_argument(
        "--aws-port", type=_port, default=default_aws_port, help="moto AWS endpoint port (CATALOG_AWS_PORT)"
    )
    arguments = parser.parse_args(argv)
    token = env.get("CATALOG_ADMIN_TOKEN", "").strip()
    return Settings(
        port=arguments.port,
        aws_port=arguments.aws_port,
        seed=not arguments.no_seed,
        admin_token=token or secrets.token_urlsafe(24),
        token_generated=not token,
        edge_ttl=edge_ttl,
    )


def process_environment(
    function_env: Mapping[str, str],
    *,
    aws_endpoint: str,
    defaults: StackDefaults,
    edge_ttl: int | None,
    inherited: Mapping[str, str],
) -> dict[str, str]:
    """The variables to set before the handlers are imported.

    The functions' own variables come from :func:`local.resources.function_environment`; the rest
    point every boto3 client at moto and keep Powertools quiet (no X-Ray, no EMF metrics lines,
    warnings and errors only in the logs unless ``POWERTOOLS_LOG_LEVEL`` says otherwise).
    """
    s_maxage = defaults.cache_s_maxage if edge_ttl is None else edge_ttl
    return {
        **function_env,
        **aws_environment(aws_endpoint),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
        "POWERTOOLS_LOG_LEVEL": inherited.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
        "CACHE_MAX_AGE": str(defaults.cache_max_age),
        "CACHE_S_MAXAGE": str(s_maxage),
        "CACHE_STALE_WHILE_REVALIDATE": str(defaults.cache_stale_while_revalidate),
        "NOT_FOUND_MAX_AGE": str(defaults.not_found_max_age),
        "UPLOAD_URL_TTL_SECONDS": str(defaults.upload_url_ttl_seconds),
        "ADMIN_IMAGE_URL_TTL_SECONDS": str(defaults.admin_image_url_ttl_seconds),
        "IDEMPOTENCY_TTL_SECONDS": str(defaults.idempotency_ttl_seconds),
        "EVENT_LOG_RETENTION_DAYS": str(defaults.event_log_retention_days),
        "PUBLISH_RETRY_BASE_SECONDS": str(defaults.publish_retry_base_seconds),
        "PUBLISH_RETRY_MAX_SECONDS": str(defaults.publish_retry_max_seconds),
        "ADMIN_ALLOWED_ORIGINS": inherited.get(
            "ADMIN_ALLOWED_ORIGINS", ",".join(defaults.admin_allowed_origins)
        ),
    }


def aws_environment(aws_endpoint: str) -> dict[str, str]:
    """Variables that point every boto3 client of this process at moto, with dummy credentials
    and the runtime's own config file (:data:`LOCAL_AWS_CONFIG`) instead of the developer's."""
    return {
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",  # moto accepts any credentials
        "AWS_CONFIG_FILE": str(LOCAL_AWS_CONFIG),
    }


def apply_environment(environment: Mapping[str, str]) -> None:
    """Replace the AWS settings of this process with ``environment`` (the functions share it)."""
    for name in list(os.environ):
        if name in _FOREIGN_AWS_VARIABLES or name.startswith("AWS_ENDPOINT_URL_"):
            del os.environ[name]
    os.environ.update(environment)


def quiet_libraries() -> None:
    """Warnings and errors only: werkzeug's request lines and Powertools' metric warnings are noise."""
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="No application metrics to publish")


def ensure_port_free(port: int) -> None:
    """Fail with a clear message when ``port`` on loopback is taken (0 is always free).

    Raises
    ------
    StartupError
        Naming the port and how to choose another.
    """
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            raise StartupError(f"port {port} on {HOST} is not available ({error.strerror})") from error


class MotoEndpoint:
    """moto's server in a thread of this process: the local AWS endpoint."""

    def __init__(self, port: int) -> None:
        from moto.server import ThreadedMotoServer

        from local.moto_fidelity import DYNAMODB_TARGET_PREFIX, dynamodb_in_process, make_moto_faithful
        from local.post_policy import enforce_post_policies

        ensure_port_free(port)
        # DynamoDB applies each conditional write atomically; moto only does when serialised.
        make_moto_faithful()
        # S3 refuses uploads that break their presigned POST policy; moto would store them.
        enforce_post_policies()
        self._server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
        # start() waits forever if the bind fails in its thread; never wait on it unbounded.
        starter = threading.Thread(target=self._server.start, name="moto-start", daemon=True)
        starter.start()
        starter.join(10)
        if starter.is_alive():
            raise StartupError(f"moto's server did not start on {HOST}:{port}")
        # Connection threads of pooled boto3 clients would otherwise hold up stop() and the exit.
        wsgi_server = getattr(self._server, "_server", None)
        if wsgi_server is not None:
            wsgi_server.daemon_threads = True
            wsgi_server.block_on_close = False
        self.port = self._server.get_host_and_port()[1]
        self.url = f"http://{HOST}:{self.port}"
        if wsgi_server is None:
            raise StartupError("moto's server did not start")
        # This process's own clients (functions, pollers, edge) reach the same app without TCP;
        # their DynamoDB requests go straight to moto's DynamoDB handler.
        self._in_process = dispatch_in_process(
            self.url, wsgi_server.app, direct={DYNAMODB_TARGET_PREFIX: dynamodb_in_process}
        )

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the server (bounded: a stuck request must not block the process's exit)."""
        stop_dispatching(self._in_process)
        stopper = threading.Thread(target=self._server.stop, name="moto-stop", daemon=True)
        stopper.start()
        stopper.join(timeout)


def _send(sqs: Any, queue_url: str, record: dict[str, Any]) -> None:
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(record))


def _access_logger(console: Console) -> Callable[[HttpRequest, HttpResponse, float], None]:
    def access(request: HttpRequest, response: HttpResponse, seconds: float) -> None:
        detail = f" [{response.note}]" if response.note else ""
        console.line(
            f"http  {request.method} {request.target()} → {response.status} {seconds * 1000:.0f} ms{detail}"
        )

    return access


class LocalRuntime:
    """Every part of the local system, started in order and stopped in reverse."""

    def __init__(self, settings: Settings, console: Console, stopping: threading.Event | None = None) -> None:
        self.settings = settings
        self.console = console
        self._stopping = stopping or threading.Event()
        self._server: Any = None
        self._serve_thread: threading.Thread | None = None
        self._moto: MotoEndpoint | None = None
        self._host: FunctionHost | None = None
        self._pollers: list[Any] = []
        self.url = ""
        self.resources_document: dict[str, Any] = {}

    def _check(self) -> None:
        if self._stopping.is_set():
            raise Interrupted

    def start(self) -> str:
        """Start everything; returns the catalog's base URL once it accepts requests.

        Raises
        ------
        StartupError
            When a port is taken or a part fails to start (the parts started so far are stopped).
        Interrupted
            When a stop was requested during start-up.
        """
        from local.server import CatalogServer

        settings = self.settings
        try:
            self._server = CatalogServer((HOST, settings.port), access_log=_access_logger(self.console))
        except OSError as error:
            raise StartupError(
                f"port {settings.port} on {HOST} is not available ({error.strerror})"
            ) from error
        self.url = f"http://{HOST}:{self._server.port}"
        self._moto = MotoEndpoint(settings.aws_port)
        self._check()
        self._wire(self._moto.url)
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="catalog-http", daemon=True
        )
        self._serve_thread.start()
        return self.url

    def _wire(self, aws_endpoint: str) -> None:
        """Connect every part, in order: AWS resources, the HTTP app, the pollers, the demo catalog."""
        defaults = stack_defaults()
        resources, queues = self._provision(aws_endpoint, defaults)
        # Only now: the handlers read their configuration when imported.
        host, gateway = self._serve_app(resources, queues, aws_endpoint, defaults)
        stream_poller = self._start_pollers(host, resources, queues, aws_endpoint, defaults)
        if self.settings.seed:
            self._seed(gateway, stream_poller)

    def _provision(self, aws_endpoint: str, defaults: StackDefaults) -> tuple[Resources, LocalQueues]:
        """Create the stack's resources on moto and give this process the functions' environment."""
        from local.resources import create_local_queues, create_resources, function_environment

        settings = self.settings
        apply_environment(aws_environment(aws_endpoint))
        resources = create_resources(REGION, endpoint_url=aws_endpoint)
        queues = create_local_queues(resources, endpoint_url=aws_endpoint)
        environment = process_environment(
            function_environment(resources, images_base_url=self.url),
            aws_endpoint=aws_endpoint,
            defaults=defaults,
            edge_ttl=settings.edge_ttl,
            inherited=os.environ,
        )
        apply_environment(environment)
        self.console.line(f"AWS endpoint: {aws_endpoint} (region {REGION}, any credentials)")
        origin = (
            "generated; set CATALOG_ADMIN_TOKEN to choose it"
            if settings.token_generated
            else "CATALOG_ADMIN_TOKEN"
        )
        self.console.line(f"Admin token: {settings.admin_token} ({origin})")
        self._check()
        return resources, queues

    def _serve_app(
        self, resources: Resources, queues: LocalQueues, aws_endpoint: str, defaults: StackDefaults
    ) -> tuple[FunctionHost, ApiGateway]:
        """Load the functions and put the gateway and the edge cache behind the catalog port."""
        from local.app import CatalogApp, resources_document
        from local.edge import Behavior, EdgeCache, S3Origin
        from local.faults import SNS_OUTAGE, install_sns_faults
        from local.gateway import ApiGateway, FunctionHost
        from local.static_site import StaticSite

        settings = self.settings
        host = FunctionHost(
            region=REGION,
            own_process=LOCAL_PROCESS_FUNCTIONS,
            aws_endpoint=aws_endpoint,
            answer=answer_forwarded,
        )
        self._host = host
        host.load_all()
        gateway = ApiGateway(host, settings.admin_token)
        s3 = boto3.client("s3", region_name=REGION, endpoint_url=aws_endpoint)
        edge = EdgeCache(
            [
                # The stack's behaviours: images/* with CachingOptimized, the API with its own policy.
                Behavior(
                    "images",
                    (f"/{IMAGE_PREFIX}",),
                    S3Origin(s3, resources.names.images_bucket),
                    allowed_methods=("GET", "HEAD"),
                    default_ttl=86_400,
                ),
                Behavior(
                    "public-api",
                    ("/products", "/categories"),
                    gateway,
                    normalize_query=canonical_public_query,
                    ttl_override=settings.edge_ttl,
                ),
            ],
            max_ttl=defaults.edge_max_ttl,
        )
        self.resources_document = resources_document(resources, queues, aws_endpoint)
        install_sns_faults()
        self._server.app = CatalogApp(
            gateway=gateway,
            edge=edge,
            resources=self.resources_document,
            sns_outage=SNS_OUTAGE,
            site=StaticSite(admin_token=settings.admin_token, upload_origin=aws_endpoint),
        )
        return host, gateway

    def _start_pollers(
        self,
        host: FunctionHost,
        resources: Resources,
        queues: LocalQueues,
        aws_endpoint: str,
        defaults: StackDefaults,
    ) -> StreamPoller:
        """Start the deliveries: stream to projector, S3 uploads to registration, events to console."""
        from local.moto_probes import HoldWhile, MotoStreamReader, QueueNotEmpty
        from local.pollers import (
            QueuePoller,
            SchedulePoller,
            StreamPoller,
            describe_event,
            event_filter,
            s3_notification_handler,
            sqs_event_handler,
        )
        from local.resources import queue_arn
        from local.streams import streams_client
        from shared.models.jobs import WORK_QUEUE_MAX_RECEIVES

        sqs = boto3.client("sqs", region_name=REGION, endpoint_url=aws_endpoint)
        shards = streams_client(REGION, aws_endpoint).describe_stream(StreamArn=resources.stream_arn)
        shard_ids = [shard["ShardId"] for shard in shards["StreamDescription"].get("Shards", [])]
        products_stream = MotoStreamReader(
            resources.names.products_table, stream_arn=resources.stream_arn, region=REGION
        )
        stream_poller = StreamPoller(
            products_stream,
            lambda event: host.invoke("projector", event),
            on_failure=lambda record: _send(sqs, queues.projector_failures, record),
            function_arn=host.function_arn("projector"),
            shard_id=shard_ids[0] if shard_ids else "",
            batch_size=defaults.batch_size,
            max_retries=defaults.retry_attempts,
            record_filter=event_filter(PRODUCT_RECORDS_FILTER),
            wake=products_stream.has_unread,
            batching_window=defaults.max_batching_window_seconds,
            quiet_gap=LOCAL_QUIET_GAP_SECONDS,
        )

        def hold_while(busy: Callable[[], bool], max_wait: float) -> HoldWhile:
            # Each poller holds back on its own clock.
            return HoldWhile(busy, max_wait=max_wait, clock=time.monotonic)

        def projector_busy() -> bool:
            return stream_poller.backlog > 0 or products_stream.has_unread()

        log_shards = (
            streams_client(REGION, aws_endpoint)
            .describe_stream(StreamArn=resources.event_log_stream_arn)["StreamDescription"]
            .get("Shards", [])
        )
        # The publisher's own mapping: a failure here loses nothing (the event stays unpublished
        # in the log and the sweep publishes it), so its failure records go to their own queue.
        events_stream = MotoStreamReader(
            resources.names.events_table, stream_arn=resources.event_log_stream_arn, region=REGION
        )
        publisher_poller = StreamPoller(
            events_stream,
            lambda event: host.invoke("event-publisher", event),
            on_failure=lambda record: _send(sqs, queues.publisher_failures, record),
            function_arn=host.function_arn("event-publisher"),
            shard_id=log_shards[0]["ShardId"] if log_shards else "",
            batch_size=defaults.batch_size,
            max_retries=defaults.retry_attempts,
            record_filter=event_filter(NEW_LOG_ITEMS_FILTER),
            name="event-log-poller",
            wake=events_stream.has_unread,
            # Views before events on the one GIL: hold batches while the projector has work.
            hold=hold_while(projector_busy, PUBLISHER_MAX_WAIT_SECONDS),
        )
        # The sweep publishes what the stream hand-off did not; while that hand-off (or the
        # projector before it) has work, a sweep finds little due and re-reads the whole backlog.
        sweep_hold = hold_while(
            lambda: projector_busy() or publisher_poller.backlog > 0 or events_stream.has_unread(),
            SWEEP_MAX_WAIT_SECONDS,
        )
        sweeper = SchedulePoller(
            lambda event: host.invoke("event-publisher", event),
            name="event-log-sweeper",
            interval=LOCAL_SWEEP_INTERVAL_SECONDS,
            wake=lambda: not sweep_hold(),
        )
        uploads_poller = QueuePoller(
            sqs,
            queues.image_uploads,
            s3_notification_handler(lambda event: host.invoke("image-registration", event)),
            name="image-uploads",
            wake=QueueNotEmpty(queues.image_uploads, REGION),
        )
        # Bulk jobs: the upload's S3 event starts an import; its batches and export jobs are SQS
        # messages that the same functions consume as their event source mappings deliver them.
        import_uploads_poller = QueuePoller(
            sqs,
            queues.import_uploads,
            s3_notification_handler(lambda event: host.invoke("import-start", event)),
            name="import-uploads",
            wake=QueueNotEmpty(queues.import_uploads, REGION),
        )
        bulk_pollers = [
            QueuePoller(
                sqs,
                url,
                sqs_event_handler(functools.partial(host.invoke, key), queue_arn(sqs, url), REGION),
                name=key,
                max_receives=WORK_QUEUE_MAX_RECEIVES,
                batch_size=1,  # the stack's event source mappings take one message per invocation
                wake=QueueNotEmpty(url, REGION),
            )
            for key, url in (
                ("import-batch", resources.import_batches_queue_url),
                ("export-job", resources.export_jobs_queue_url),
            )
        ]
        console_poller = QueuePoller(
            sqs,
            queues.console,
            lambda body: self.console.line(describe_event(body)),
            name="console-subscriber",
            wake=QueueNotEmpty(queues.console, REGION),
        )
        self._pollers = [
            stream_poller,
            publisher_poller,
            sweeper,
            uploads_poller,
            import_uploads_poller,
            *bulk_pollers,
            console_poller,
        ]
        for poller in self._pollers:
            poller.start()
        self._check()
        return stream_poller

    def _seed(self, gateway: ApiGateway, stream_poller: StreamPoller) -> None:
        """Create the demo catalog through the admin API and wait for its projection."""
        from local.seed import DEMO_PRODUCTS, seed_catalog

        seed_catalog(gateway, self.settings.admin_token)
        if not stream_poller.wait_idle(SEED_PROJECTION_TIMEOUT):
            log.warning("the demo catalog is not fully projected yet; public reads may lag")
        self.console.line(f"Demo catalog: {len(DEMO_PRODUCTS)} products (--no-seed starts empty)")

    def stop(self) -> None:
        """Stop the HTTP server, the pollers and moto, in that order; safe after a partial start."""
        if self._server is not None:
            if self._serve_thread is not None:
                self._server.shutdown()
            self._server.server_close()
        for poller in self._pollers:
            poller.request_stop()
        for poller in self._pollers:
            poller.stop(timeout=1.0)
        if self._host is not None:
            self._host.stop()
        if self._moto is not None:
            self._moto.stop()


def settle_heap() -> None:
    """Freeze the objects built so far out of garbage collection; collect older ones less often.

    For the runtime's own process only, once it has started: moto's state is long-lived and
    large, and a full collection would walk all of it again and again.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _utf8_console() -> None:
    # Event lines contain "→"; never let an ASCII-only terminal turn that into a crash.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    """Run until Ctrl-C or SIGTERM; 0 after a clean stop, 1 when start-up failed."""
    settings = parse_settings(argv)
    _utf8_console()
    quiet_libraries()
    console = Console()
    stopping = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        if stopping.is_set():
            os._exit(1)  # a second Ctrl-C: the user does not want to wait
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    runtime = LocalRuntime(settings, console, stopping)
    status = 0
    try:
        url = runtime.start()
        settle_heap()
        console.line(READY_LINE.format(host=HOST, port=url.rsplit(":", 1)[1]))
        while not stopping.wait(0.5):
            pass
    except Interrupted:
        pass
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        status = 1
    except Exception:
        log.exception("the local runtime failed to start")
        status = 1
    # Whatever hangs, the process is gone before the 5 s the contract promises.
    watchdog = threading.Timer(STOP_DEADLINE_SECONDS, os._exit, args=(status or 1,))
    watchdog.daemon = True
    watchdog.start()
    runtime.stop()
    watchdog.cancel()
    console.line("Catalog stopped")
    return status
