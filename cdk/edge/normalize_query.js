// CloudFront Function (viewer request, cloudfront-js-2.0) for the public API behaviour.
//
// Makes the query string canonical before the cache key is computed: only the parameters the public
// API reads survive, in one fixed order, one value each. `?limit=20&category=toys&utm=x` and
// `?category=toys&limit=20` then share a cache entry, and junk parameters cannot fragment the cache.
// The list is shared.routes.PUBLIC_QUERY_PARAMETERS (tests/infra/test_edge.py checks the copy).
var ALLOWED = ['category', 'cursor', 'limit'];

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
        canonical[name] = { value: value };
    });
    request.querystring = canonical;
    return request;
}
