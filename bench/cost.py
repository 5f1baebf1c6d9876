"""Dollars per million public reads and per 10,000 admin writes, beside the seed design's.

Derived from the figures measured before it in the same run: AWS calls per operation
(``aws_calls``), the warm edge hit ratio (``local.edge``) and items a Scan-based list examines
(``list_scan``), priced with :data:`PRICES`. The seed design is the same workload served the way
the seed served it: every read through API Gateway with its cache cluster, lists as Scans of the
write table, no CloudFront and no projector.
"""

from __future__ import annotations

from typing import Any

from bench.sections import Context, Figure, Measured

# Published on-demand prices for us-west-1 (US West, N. California), in USD, as of PRICES_AS_OF.
# This machine has no internet: these are the values as we last read them on the AWS pricing
# pages, not re-verified here. Check them before quoting a figure outside this repository.
PRICES_AS_OF = "2026-12-02"
PRICES: dict[str, float] = {
    "lambda_arm64_gb_second": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "api_gateway_rest_request": 3.50 / 1e6,  # first 333 million a month
    "api_gateway_cache_0_5_gb_hour": 0.020,
    "dynamodb_read_request_unit": 0.1394 / 1e6,  # on-demand, Standard table class
    "dynamodb_write_request_unit": 0.6971 / 1e6,
    "cloudfront_https_request": 0.0100 / 10_000,  # United States edge locations
    "cloudfront_transfer_gb": 0.085,  # to the internet, first 10 TB a month
    "sns_publish_request": 0.50 / 1e6,  # a PublishBatch of up to 10 messages is one request
}

# The workload both designs are priced on (assumptions, stated once here).
WORKLOAD = {
    "products": 1_000,
    "item_kb": 1.0,  # a product or view item, and a public response body
    "list_share": 0.2,  # of public reads: list pages; the rest are product pages
    "reads_per_month": 10_000_000,  # spreads the cache cluster's hourly price over reads
    "hours_per_month": 730,
    "lambda_memory_gb": 0.5,  # the functions' memory size in the stack
    "lambda_ms_per_api_call": 20,  # billed duration of a warm API invocation on AWS (1 ms steps)
    "lambda_ms_per_projected_record": 5,
    "projector_batch_size": 100,
}

# Request units per billed item (``items_by_operation``: a transaction's actions, a batch read's
# keys, otherwise one per call), for items up to 1 KB written / 4 KB read. A transaction bills two
# WRU per item; reads are counted as strongly consistent, one RRU, which overstates eventually
# consistent reads.
_UNITS = {
    "dynamodb:GetItem": ("read", 1.0),
    "dynamodb:BatchGetItem": ("read", 1.0),
    "dynamodb:Query": ("read", 21 / 4),  # a page of 20 plus the look-ahead, 1 KB each
    "dynamodb:PutItem": ("write", 1.0),
    "dynamodb:UpdateItem": ("write", 1.0),
    "dynamodb:TransactWriteItems": ("write", 2.0),
    "sns:PublishBatch": ("sns", 1.0),
}
ADMIN_WRITE_MIX = ("create", "patch", "inventory_adjust")


def _calls_cost(figure: dict[str, Any]) -> float:
    """Dollars of the requests one ``aws_calls`` figure counted, by the items each billed."""
    prices = {
        "read": PRICES["dynamodb_read_request_unit"],
        "write": PRICES["dynamodb_write_request_unit"],
        "sns": PRICES["sns_publish_request"],
    }
    total = 0.0
    for operation, items in figure.get("items_by_operation", figure["by_operation"]).items():
        kind, units = _UNITS[operation]
        total += items * units * prices[kind]
    return total


def _api_invocation() -> float:
    seconds = WORKLOAD["lambda_ms_per_api_call"] / 1000
    return (
        PRICES["api_gateway_rest_request"]
        + PRICES["lambda_request"]
        + seconds * WORKLOAD["lambda_memory_gb"] * PRICES["lambda_arm64_gb_second"]
    )


def public_reads_per_million(calls: dict[str, Any], hit_ratio: float) -> float:
    """This design: every read at CloudFront, misses through API Gateway to a query function."""
    share = WORKLOAD["list_share"]
    origin = (
        _api_invocation()
        + (1 - share) * _calls_cost(calls["public_get_edge_miss"])
        + share * _calls_cost(calls["public_list_page"])
    )
    edge = (
        PRICES["cloudfront_https_request"] + WORKLOAD["item_kb"] / 1024**2 * PRICES["cloudfront_transfer_gb"]
    )
    return 1e6 * (edge + (1 - hit_ratio) * origin)


def seed_public_reads_per_million(scan_examined_per_page: float, hit_ratio: float) -> float:
    """The seed: API Gateway for every read (cache cluster), misses to Lambda; lists Scan the table."""
    share = WORKLOAD["list_share"]
    scan_units = scan_examined_per_page * WORKLOAD["item_kb"] / 4
    miss = (
        _api_invocation()
        - PRICES["api_gateway_rest_request"]  # counted for every read below
        + (1 - share) * PRICES["dynamodb_read_request_unit"]
        + share * scan_units * PRICES["dynamodb_read_request_unit"]
    )
    cache = (
        PRICES["api_gateway_cache_0_5_gb_hour"] * WORKLOAD["hours_per_month"] / WORKLOAD["reads_per_month"]
    )
    transfer = WORKLOAD["item_kb"] / 1024**2 * PRICES["cloudfront_transfer_gb"]  # same internet egress
    return 1e6 * (PRICES["api_gateway_rest_request"] + cache + transfer + (1 - hit_ratio) * miss)


def admin_writes_per_10k(calls: dict[str, Any], projected: bool = True) -> float:
    """An even mix of create, patch and stock adjustment; with the projector's work per change."""
    per_write = sum(_api_invocation() + _calls_cost(calls[op]) for op in ADMIN_WRITE_MIX) / len(
        ADMIN_WRITE_MIX
    )
    if projected:
        batch = calls["projector_batch"]
        per_record = _calls_cost(batch) / max(batch["records"], 1)
        invocation = PRICES["lambda_request"] / WORKLOAD["projector_batch_size"]
        duration = (
            WORKLOAD["lambda_ms_per_projected_record"]
            / 1000
            * WORKLOAD["lambda_memory_gb"]
            * PRICES["lambda_arm64_gb_second"]
        )
        per_write += per_record + invocation + duration
    return 1e4 * per_write


def measure(context: Context) -> Measured:
    """Both designs' dollars on the same workload, from this run's measured calls and hit ratio."""
    calls, edge, scan = context.needs("aws_calls", "local.edge", "list_scan")
    hit_ratio = float(edge["hit_ratio"])
    scan_examined = float(scan["sizes"][str(WORKLOAD["products"])]["scan_list_examined_per_page"])
    reads = round(public_reads_per_million(calls, hit_ratio), 2)
    seed_reads = round(seed_public_reads_per_million(scan_examined, hit_ratio), 2)
    writes = round(admin_writes_per_10k(calls), 4)
    seed_writes = round(admin_writes_per_10k(calls, projected=False), 4)
    details = {
        "prices_as_of": PRICES_AS_OF,
        "region": "us-west-1",
        "prices": PRICES,
        "workload": WORKLOAD,
        "edge_hit_ratio": hit_ratio,
        "usd_per_million_public_reads": reads,
        "seed_usd_per_million_public_reads": seed_reads,
        "usd_per_10k_admin_writes": writes,
        "seed_usd_per_10k_admin_writes": seed_writes,
    }
    return Measured(
        details,
        {
            "cost.usd_per_million_public_reads": Figure(reads, seed_reads, "USD"),
            # The seed projected nothing: each write here also pays its projection and event.
            "cost.usd_per_10k_admin_writes": Figure(writes, seed_writes, "USD"),
        },
    )
