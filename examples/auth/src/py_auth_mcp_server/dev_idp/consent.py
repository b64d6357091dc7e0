"""The consent page and the error page of the development IdP: plain HTML, no JavaScript.

Every value that came from a client (its name, redirect URI, scopes, resource, state) is
HTML-escaped; the page forbids scripts, framing and referrers through its headers.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from .grants import AuthorizationRequest

__all__ = ["PAGE_HEADERS", "consent_page", "error_page"]

#: Security headers of every HTML page. No ``form-action``: browsers apply it to the redirect
#: that follows the form post, and that redirect goes to the client.
PAGE_HEADERS = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("Pragma", "no-cache"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;"
    "color:#1d2330}"
    ".banner{background:#fff3cd;border:1px solid #e0c36c;padding:.5rem .75rem;border-radius:4px}"
    "dt{font-weight:600;margin-top:.75rem}dd{margin:0;word-break:break-all}"
    "code{background:#f1f3f6;padding:0 .25rem;border-radius:3px}"
    "button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.75rem;border-radius:4px}"
    "#approve{background:#1f6feb;color:#fff;border:1px solid #1f6feb}"
)


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        '<p class="banner">Development IdP — for local demos only, never for production.</p>'
        f"{body}</body></html>\n"
    )


def consent_page(request: AuthorizationRequest, request_id: str, subject: str) -> str:
    """The page asking the person to approve or deny ``request``."""
    target = urlsplit(request.redirect_uri)
    host = f"{target.scheme}://{target.netloc}"
    scopes = (
        "".join(f"<li><code>{escape(s)}</code></li>" for s in request.scopes)
        or "<li>no particular scope</li>"
    )
    body = (
        f"<h1>Allow {escape(request.client_name)}?</h1>"
        f"<p>You are signed in as <strong>{escape(subject)}</strong> (the development user).</p>"
        "<dl>"
        f"<dt>Application</dt><dd>{escape(request.client_name)}"
        f" <small>(<code>{escape(request.client_id)}</code>)</small></dd>"
        f"<dt>Will be sent back to</dt><dd><code>{escape(host)}</code></dd>"
        f"<dt>Access requested</dt><dd><ul>{scopes}</ul></dd>"
        f"<dt>For the resource</dt><dd><code>{escape(request.resource)}</code></dd>"
        "</dl>"
        '<form method="post" action="/authorize">'
        f'<input type="hidden" name="request_id" value="{escape(request_id)}">'
        f'<input type="hidden" name="csrf_token" value="{escape(request.csrf_token)}">'
        '<button type="submit" id="approve" name="decision" value="approve">Approve</button>'
        '<button type="submit" id="deny" name="decision" value="deny">Deny</button>'
        "</form>"
    )
    return _page("Authorize " + request.client_name, body)


def error_page(description: str) -> str:
    """A page for an error that must not be sent to the client's redirect URI."""
    return _page(
        "Authorization error",
        f"<h1>Authorization error</h1><p>{escape(description)}</p>"
        "<p>Return to the application and start again.</p>",
    )
