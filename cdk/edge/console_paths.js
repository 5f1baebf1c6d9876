// CloudFront Function (viewer request, cloudfront-js-2.0) for the admin console's behaviours.
//
// The console's files are S3 objects under console/, and S3 (through origin access control) has
// no index documents: `/console/` must fetch console/index.html, and `/console` must become
// `/console/` in the address bar so that the page's relative module URLs resolve under /console/.
// Every other path, `/console/callback.html?code=...` included, reaches S3 unchanged.
// tests/infra/test_admin_console.py runs this function.
var CONSOLE = '/console';
var INDEX = 'index.html';

function handler(event) {
    var request = event.request;
    if (request.uri === CONSOLE) {
        return {
            statusCode: 301,
            statusDescription: 'Moved Permanently',
            headers: {location: {value: CONSOLE + '/'}}
        };
    }
    if (request.uri.endsWith('/')) {
        request.uri += INDEX;
    }
    return request;
}
