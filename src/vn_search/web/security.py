"""Response headers that keep search pages from being framed, sniffed or
scripted by anything but our own static files."""

from __future__ import annotations

import ipaddress

from flask import Response

__all__ = ["SECURITY_HEADERS", "add_security_headers", "is_loopback_host"]

# No inline script or style anywhere in the templates, so the policy can be
# 'self' only; snippets are text plus <mark>, which needs nothing more.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def add_security_headers(response: Response) -> Response:
    # setdefault: an application that mounts our blueprint and sends its own,
    # stricter policy keeps it.
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, ``127.x.x.x`` and ``::1``; False for
    ``0.0.0.0``, a LAN address or any other name."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
