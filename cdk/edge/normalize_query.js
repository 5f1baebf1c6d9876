// CloudFront Function (viewer request, cloudfront-js-2.0) for the public API behaviour.
//
// Makes the query string canonical before the cache key is computed (SPEC "Discovery"): only the
// parameters the public API reads survive, sorted, one value each; defaults are dropped and free
// text is lower-cased and trimmed (blank: dropped). `?limit=20&category=toys&utm=x&sort=newest`
// and `?category=toys` then share a cache entry, and junk parameters cannot fragment the cache.
// The lists are shared.routes.PUBLIC_QUERY_PARAMETERS, PUBLIC_QUERY_DEFAULTS and
// PUBLIC_QUERY_FREE_TEXT; tests/infra/test_edge.py checks the copies and runs this function against
// shared.routes.canonical_public_query.
var ALLOWED = ['availability', 'category', 'cursor', 'limit', 'max_price', 'min_price', 'q', 'sort'];
var DEFAULTS = {"limit": "20", "sort": "newest"};
var FREE_TEXT = ['q'];

function handler(event) {
    var request = event.request;
    var incoming = request.querystring;
    var canonical = {};
    ALLOWED.forEach(function (name) {
        var parameter = incoming[name];
        if (parameter === undefined) {
            return;
        }
        // Repeated parameters: API Gateway would pass the last value to the function; keep that one.
        var values = parameter.multiValue;
        var value = values && values.length ? values[values.length - 1].value : parameter.value;
        if (FREE_TEXT.indexOf(name) >= 0) {
            value = value.trim().toLowerCase();
            if (value === '') {
                return;
            }
        }
        if (DEFAULTS[name] === value) {
            return;
        }
        canonical[name] = { value: value };
    });
    request.querystring = canonical;
    return request;
}
