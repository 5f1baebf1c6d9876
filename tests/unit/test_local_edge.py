"""The local edge cache behaves like the stack's CloudFront distribution."""

from __future__ import annotations

import json
from collections.abc import Callable

import boto3
import pytest

from local.edge import Behavior, EdgeCache, S3Origin, cache_directives, etag_matches
from local.resources import Resources
from local.web import HttpRequest, HttpResponse
from shared.routes import canonical_public_query

PUBLIC_CACHE = "public, max-age=60, s-maxage=30, stale-while-revalidate=20"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Origin:
    """Records what reaches the origin and answers with the next queued response (or a default)."""

    def __init__(self, cache_control: str = PUBLIC_CACHE, status: int = 200) -> None:
        self.requests: list[HttpRequest] = []
        self.cache_control = cache_control
        self.status = status
        self.version = 1

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        etag = f'"v{self.version}"'
        if request.header("If-None-Match") == etag:
            return HttpResponse(304, (("ETag", etag), ("Cache-Control", self.cache_control)))
        body = json.dumps({"version": self.version, "query": request.query}).encode()
        headers = (
            ("Content-Type", "application/json"),
            ("ETag", etag),
            ("Cache-Control", self.cache_control),
        )
        return HttpResponse(self.status, headers, body)


def edge_for(origin: Origin, clock: Clock, **behavior: object) -> EdgeCache:
    background: list[Callable[[], None]] = []

    def run_now(work: Callable[[], None]) -> None:
        background.append(work)
        work()

    api = Behavior(
        "public-api",
        ("/products", "/categories"),
        origin,
        normalize_query=canonical_public_query,
        **behavior,  # type: ignore[arg-type]
    )
    return EdgeCache([api], clock=clock, refresh_in_background=run_now)


def get(path: str, query: str = "", *headers: tuple[str, str], method: str = "GET") -> HttpRequest:
    return HttpRequest(method=method, path=path, query=query, headers=headers)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_first_request_misses_and_the_second_hits_without_reaching_the_origin(clock: Clock) -> None:
    origin = Origin()
    edge = edge_for(origin, clock)

    first = edge(get("/products", "limit=5"))
    clock.advance(3)
    second = edge(get("/products", "limit=5"))

    assert (first.header("X-Cache"), second.header("X-Cache")) == ("Miss", "Hit")
    assert second.header("Age") == "3"
    assert second.body == first.body
    assert len(origin.requests) == 1


def test_cache_key_is_the_path_and_the_canonical_allow_listed_parameters(clock: Clock) -> None:
    origin = Origin()
    edge = edge_for(origin, clock)

    edge(get("/products", "limit=5&category=kitchen&utm_source=mail"))
    again = edge(get("/products", "category=kitchen&limit=5&fbclid=x"))
    other = edge(get("/products", "category=outdoors&limit=5"))

    assert again.header("X-Cache") == "Hit"
    assert other.header("X-Cache") == "Miss"
    # The origin never sees parameters outside the cache key.
    assert [r.query for r in origin.requests] == ["category=kitchen&limit=5", "category=outdoors&limit=5"]


def test_a_repeated_parameter_keeps_its_last_value_as_the_viewer_request_function_does(clock: Clock) -> None:
    origin = Origin()
    edge = edge_for(origin, clock)

    edge(get("/products", "limit=5&limit=7"))

    assert origin.requests[0].query == "limit=7"
    assert edge(get("/products", "limit=7")).header("X-Cache") == "Hit"


def test_discovery_parameters_share_one_entry_once_normalised(clock: Clock) -> None:
    origin = Origin()
    edge = edge_for(origin, clock)

    edge(get("/products", "q=%20Mug%20CE%20&sort=price_asc&min_price=5&utm_source=x"))
    same = edge(get("/products", "min_price=5&sort=price_asc&q=mug+ce&limit=20"))
    defaults = edge(get("/products", "sort=newest&limit=20&q=%20%20"))
    plain = edge(get("/products"))
    other_sort = edge(get("/products", "q=mug+ce&sort=price_desc&min_price=5"))

    assert same.header("X-Cache") == "Hit"
    assert plain.header("X-Cache") == "Hit"
    assert other_sort.header("X-Cache") == "Miss"
    assert defaults.header("X-Cache") == "Miss"
    assert [r.query for r in origin.requests] == [
        "min_price=5&q=mug+ce&sort=price_asc",
        "",
        "min_price=5&q=mug+ce&sort=price_desc",
    ]


def test_every_edge_response_carries_the_stacks_security_headers(clock: Clock) -> None:
    edge = edge_for(Origin(), clock)

    for response in (edge(get("/products")), edge(get("/products")), edge(get("/products", method="POST"))):
        assert response.header("X-Content-Type-Options") == "nosniff"
        assert response.header("X-Frame-Options") == "DENY"
        assert response.header("Content-Security-Policy") == "default-src 'none'; frame-ancestors 'none'"
        assert response.header("Referrer-Policy") == "no-referrer"


def test_a_response_without_cache_control_uses_the_behaviours_default_ttl(clock: Clock) -> None:
    api_origin, image_origin = Origin(cache_control=""), Origin(cache_control="")
    edge = EdgeCache(
        [
            Behavior(
                "images", ("/images/",), image_origin, allowed_methods=("GET", "HEAD"), default_ttl=86_400
            ),
            Behavior("api", ("/products",), api_origin),
        ],
        clock=clock,
    )
    edge(get("/images/p/i"))
    edge(get("/products"))

    assert edge(get("/images/p/i")).header("X-Cache") == "Hit"
    assert edge(get("/products")).header("X-Cache") == "Miss"  # the API policy's default TTL is 0
    assert edge(get("/images/p/i", method="OPTIONS")).status == 405


def test_authorization_and_cookies_neither_reach_the_origin_nor_split_the_cache(clock: Clock) -> None:
    origin = Origin()
    edge = edge_for(origin, clock)

    edge(get("/products", "", ("Authorization", "Bearer alice"), ("Cookie", "session=1")))
    second = edge(get("/products", "", ("Authorization", "Bearer bob")))

    assert second.header("X-Cache") == "Hit"
    forwarded = {name.lower() for name, _ in origin.requests[0].headers}
    assert "authorization" not in forwarded
    assert "cookie" not in forwarded


def test_s_maxage_is_the_ttl_then_stale_while_revalidate_serves_stale_and_refreshes(clock: Clock) -> None:
    origin = Origin()
    edge = edge_for(origin, clock)
    edge(get("/categories"))
    origin.version = 2

    clock.advance(29)
    fresh = edge(get("/categories"))
    clock.advance(2)  # 31 s: past s-maxage, within stale-while-revalidate
    stale = edge(get("/categories"))
    refreshed = edge(get("/categories"))

    assert json.loads(fresh.body)["version"] == 1
    assert (stale.header("X-Cache"), json.loads(stale.body)["version"]) == ("Hit", 1)
    assert (refreshed.header("X-Cache"), json.loads(refreshed.body)["version"]) == ("Hit", 2)
    assert len(origin.requests) == 2


def test_expired_entry_is_revalidated_with_its_etag(clock: Clock) -> None:
    origin = Origin()
    edge = edge_for(origin, clock)
    edge(get("/products/p1"))

    clock.advance(51)  # past s-maxage (30) + stale-while-revalidate (20)
    unchanged = edge(get("/products/p1"))
    origin.version = 2
    clock.advance(51)
    changed = edge(get("/products/p1"))

    assert unchanged.header("X-Cache") == "RefreshHit"
    assert json.loads(unchanged.body)["version"] == 1
    assert origin.requests[1].header("If-None-Match") == '"v1"'
    assert changed.header("X-Cache") == "Miss"
    assert json.loads(changed.body)["version"] == 2


def test_ttl_override_replaces_s_maxage(clock: Clock) -> None:
    origin = Origin(cache_control="public, max-age=60, s-maxage=300")
    edge = edge_for(origin, clock, ttl_override=2)
    edge(get("/products"))

    clock.advance(1)
    within = edge(get("/products"))
    clock.advance(2)
    after = edge(get("/products"))

    assert within.header("X-Cache") == "Hit"
    assert after.header("X-Cache") == "RefreshHit"  # revalidated: the ETag still matches


def test_ttl_override_of_zero_disables_caching(clock: Clock) -> None:
    origin = Origin()
    edge = edge_for(origin, clock, ttl_override=0)

    edge(get("/products"))
    second = edge(get("/products"))

    assert second.header("X-Cache") == "Miss"
    assert len(origin.requests) == 2


@pytest.mark.parametrize("cache_control", ["no-store", "private, max-age=60", "no-cache"])
def test_responses_marked_uncacheable_are_not_stored(clock: Clock, cache_control: str) -> None:
    origin = Origin(cache_control=cache_control)
    edge = edge_for(origin, clock)

    edge(get("/products"))
    second = edge(get("/products"))

    assert second.header("X-Cache") == "Miss"


def test_not_found_is_cached_for_ten_seconds_at_most(clock: Clock) -> None:
    origin = Origin(cache_control="public, max-age=60, s-maxage=60", status=404)
    edge = edge_for(origin, clock)
    edge(get("/products/gone"))

    clock.advance(9)
    cached = edge(get("/products/gone"))
    clock.advance(2)
    refetched = edge(get("/products/gone"))

    assert cached.header("X-Cache") == "Hit"
    assert refetched.header("X-Cache") != "Hit"
    assert len(origin.requests) == 2


def test_server_errors_are_not_cached(clock: Clock) -> None:
    origin = Origin(cache_control="", status=500)
    edge = edge_for(origin, clock)

    edge(get("/products"))

    assert edge(get("/products")).header("X-Cache") == "Miss"


def test_if_none_match_is_answered_from_the_cache_with_304(clock: Clock) -> None:
    origin = Origin()
    edge = edge_for(origin, clock)
    etag = edge(get("/products")).header("ETag")

    response = edge(get("/products", "", ("If-None-Match", f'"other", {etag}')))

    assert response.status == 304
    assert response.body == b""
    assert response.header("ETag") == etag
    assert response.header("X-Cache") == "Hit"
    assert response.header("Content-Type") is None
    assert len(origin.requests) == 1


def test_if_none_match_on_a_miss_is_not_forwarded_but_still_answered(clock: Clock) -> None:
    origin = Origin()
    edge = edge_for(origin, clock)

    response = edge(get("/products", "", ("If-None-Match", '"v1"')))

    assert response.status == 304
    assert response.header("X-Cache") == "Miss"
    assert origin.requests[0].header("If-None-Match") is None


def test_head_is_served_from_the_get_entry(clock: Clock) -> None:
    origin = Origin()
    edge = edge_for(origin, clock)

    head = edge(get("/products", method="HEAD"))
    get_after = edge(get("/products"))

    assert head.status == 200
    assert get_after.header("X-Cache") == "Hit"
    assert [r.method for r in origin.requests] == ["GET"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_writes_on_public_paths_are_405_problems_from_the_edge(clock: Clock, method: str) -> None:
    origin = Origin()
    edge = edge_for(origin, clock)

    response = edge(get("/products", method=method))

    assert response.status == 405
    assert response.header("Content-Type") == "application/problem+json"
    assert response.header("Allow") == "GET, HEAD, OPTIONS"
    assert response.header("X-Request-Id")
    assert json.loads(response.body)["status"] == 405
    assert origin.requests == []


def test_preflight_passes_through_with_only_its_own_headers_and_is_not_cached(clock: Clock) -> None:
    origin = Origin()
    edge = edge_for(origin, clock)
    preflight = get(
        "/products",
        "",
        ("Origin", "https://shop.test"),
        ("Access-Control-Request-Method", "GET"),
        ("Authorization", "Bearer x"),
        method="OPTIONS",
    )

    edge(preflight)
    edge(preflight)

    assert [r.method for r in origin.requests] == ["OPTIONS", "OPTIONS"]
    assert origin.requests[0].header("Origin") == "https://shop.test"
    assert origin.requests[0].header("Authorization") is None


def test_max_ttl_caps_what_the_origin_asks_for(clock: Clock) -> None:
    origin = Origin(cache_control="public, max-age=31536000")
    api = Behavior("api", ("/products",), origin)
    edge = EdgeCache([api], clock=clock, max_ttl=100)
    edge(get("/products"))

    clock.advance(101)

    assert edge(get("/products")).header("X-Cache") == "RefreshHit"


def test_least_recently_used_entries_are_evicted_beyond_the_limit(clock: Clock) -> None:
    origin = Origin()
    edge = EdgeCache([Behavior("api", ("/products",), origin)], clock=clock, max_entries=2)
    for product in ("a", "b", "a", "c"):
        edge(get(f"/products/{product}"))

    assert edge(get("/products/a")).header("X-Cache") == "Hit"
    assert edge(get("/products/b")).header("X-Cache") == "Miss"


def test_only_paths_of_a_behaviour_are_behind_the_edge(clock: Clock) -> None:
    edge = edge_for(Origin(), clock)

    assert edge.behavior_for("/products") is not None
    assert edge.behavior_for("/products/p1") is not None
    assert edge.behavior_for("/categories") is not None
    assert edge.behavior_for("/admin/products") is None
    assert edge.behavior_for("/_local/resources") is None


def test_cache_control_directives_are_parsed_case_insensitively() -> None:
    assert cache_directives('Public, S-MaxAge=30, stale-while-revalidate="5"') == {
        "public": None,
        "s-maxage": "30",
        "stale-while-revalidate": "5",
    }


@pytest.mark.parametrize(
    ("header", "matches"),
    [('"a"', True), ('W/"a"', True), ('"b", "a"', True), ("*", True), ('"b"', False), (None, False)],
)
def test_if_none_match_uses_weak_comparison(header: str | None, matches: bool) -> None:
    assert etag_matches(header, '"a"') is matches


def test_images_are_served_from_the_bucket_images_prefix(aws: Resources) -> None:
    s3 = boto3.client("s3", region_name=aws.region)
    s3.put_object(
        Bucket=aws.names.images_bucket,
        Key="images/p1/i1",
        Body=b"\x89PNG-bytes",
        ContentType="image/png",
        CacheControl="public, max-age=31536000, immutable",
    )
    s3.put_object(
        Bucket=aws.names.images_bucket, Key="uploads/p1/i2", Body=b"unchecked", ContentType="image/png"
    )
    origin = S3Origin(s3, aws.names.images_bucket)

    served = origin(get("/images/p1/i1"))
    unchecked = origin(get("/images/../uploads/p1/i2"))
    missing = origin(get("/images/p1/none"))

    assert served.status == 200
    assert served.body == b"\x89PNG-bytes"
    assert served.header("Content-Type") == "image/png"
    assert served.header("Cache-Control") == "public, max-age=31536000, immutable"
    assert served.header("ETag")
    assert served.header("X-Request-Id")
    assert unchecked.status == 404
    assert missing.status == 404
    assert missing.header("Content-Type") == "application/problem+json"
