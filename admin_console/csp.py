"""The console's Content-Security-Policy, defined once for every place that serves it.

The console is plain ES modules and a hand-written style sheet from its own origin: no inline
script, no inline style attribute, no ``eval``, no remote asset. So the policy can be strict; it
only has to name the other origins the page legitimately talks to: the admin API, the storage
endpoint that presigned uploads (and the admin's presigned image reads) go to, and, when signing in
with Cognito, the hosted UI's token endpoint.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from admin_console.config import CognitoSignIn, ConsoleConfig


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL (the unit a CSP source names)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"{url!r} is not an absolute URL")
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(config: ConsoleConfig, upload_origin: str) -> str:
    """The ``Content-Security-Policy`` header value for the console's pages.

    Parameters
    ----------
    config
        The stage's console configuration (where the admin API is, how an admin signs in).
    upload_origin
        Origin of the presigned POST URLs and presigned image GETs the admin API hands out
        (the images bucket's endpoint; the moto endpoint locally).

    Returns
    -------
    str
        A policy with ``'self'`` as the default and no ``'unsafe-*'`` source anywhere.
    """
    connect = ["'self'", origin_of(config.admin_api), origin_of(upload_origin)]
    form_action = ["'self'"]
    if isinstance(config.sign_in, CognitoSignIn):
        connect.append(origin_of(str(config.sign_in.domain)))
        form_action.append(origin_of(str(config.sign_in.domain)))
    images = ["'self'", "data:", "blob:", origin_of(upload_origin), origin_of(config.public_api)]
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": _unique(images),
        "connect-src": _unique(connect),
        "form-action": form_action,
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def _unique(sources: list[str]) -> list[str]:
    # The admin API and the public API are one origin locally; a policy names each source once.
    return list(dict.fromkeys(sources))
