"""The console's Content-Security-Policy: what the browser app needs, nothing it could be tricked into.

The app is plain ES modules and stylesheets from its own origin, with no inline script, style or
handler, so ``'self'`` is the only source of code and no ``'unsafe-inline'``/``'unsafe-eval'`` is
ever needed. It talks to three other origins with ``fetch``: the admin API, the sign-in service
(the hosted UI's token endpoint) and the images bucket (the presigned POST of an upload). Images are
read through the distribution (``'self'``) or, in admin responses, by a presigned GET on the images
bucket; previews of a file being uploaded are ``blob:`` or ``data:`` URLs. Nothing may frame it,
and it submits no forms (uploads are ``fetch`` too).

Pure: the stack passes the origins (CloudFormation tokens are fine, they are opaque strings here).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

SELF = "'self'"
NONE = "'none'"
# An origin is one token of a source list: whitespace, ';' or ',' would start another source or
# directive, quotes would turn it into a keyword. Refusing them keeps a setting from smuggling in
# a directive of its own.
_SOURCE_BREAKERS = re.compile(r"[\s;,'\"]")


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL (the unit a CSP source names)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"{url!r} is not an absolute URL")
    return f"{parts.scheme}://{parts.netloc}"


def _origin(name: str, value: str) -> str:
    if not value:
        raise ValueError(f"{name} is empty: the console's policy needs the origin it connects to")
    if _SOURCE_BREAKERS.search(value):
        raise ValueError(f"{name} {value!r} is not one origin: it holds whitespace, a separator or a quote")
    if value.endswith("/"):
        raise ValueError(f"{name} {value!r} is not an origin: drop the trailing slash and any path")
    return value


def content_security_policy(
    *, admin_api_origin: str, upload_origin: str, sign_in_origin: str | None = None
) -> str:
    """The ``Content-Security-Policy`` header value of every console response.

    Parameters
    ----------
    admin_api_origin
        ``https://<api id>.execute-api.<region>.amazonaws.com``: the admin API the app calls.
    upload_origin
        The images bucket's S3 endpoint, where the browser posts a presigned upload form (the
        moto endpoint on the local runtime).
    sign_in_origin
        ``https://<prefix>.auth.<region>.amazoncognito.com``: the hosted UI, whose token
        endpoint the callback page calls (the authorize redirect is a navigation, not a fetch).
        ``None`` with the local runtime's dev token, where nothing signs in.

    Raises
    ------
    ValueError
        When an origin is empty or is not a single source expression (whitespace, ``;``, ``,``,
        quotes, or a trailing slash).

    Examples
    --------
    >>> content_security_policy(
    ...     admin_api_origin="https://a.example", sign_in_origin="https://b.example",
    ...     upload_origin="https://c.example",
    ... ).split("; ")[:2]
    ["default-src 'none'", "script-src 'self'"]
    """
    connect = [SELF, _origin("admin_api_origin", admin_api_origin)]
    if sign_in_origin is not None:
        connect.append(_origin("sign_in_origin", sign_in_origin))
    uploads = _origin("upload_origin", upload_origin)
    connect.append(uploads)
    directives = {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        # Admin responses show an image by a presigned GET on the bucket until the CDN has it.
        "img-src": [SELF, "data:", "blob:", uploads],
        "connect-src": list(dict.fromkeys(connect)),
        "base-uri": [NONE],
        "form-action": [NONE],
        "frame-ancestors": [NONE],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())
