"""Who is on the other end of a WebSocket, and from which page.

Authentication, in this order:
- a DRF token, `?token=<key>` in the query string (browsers cannot set headers on a
  WebSocket) or an `Authorization: Token <key>` header (other clients). A token that is
  given but wrong makes the user anonymous; it never falls back to the session.
- otherwise the Django session cookie (AuthMiddlewareStack).

Origin policy (cross-site WebSocket hijacking rides on a victim's cookies):
- an Origin header, when present, must name an allowed host (ALLOWED_HOSTS, as Channels'
  AllowedHostsOriginValidator does) or an entry of CSRF_TRUSTED_ORIGINS;
- no Origin header means a non-browser client (every browser sends one on a WebSocket
  handshake). Such a client must authenticate with a token: a session cookie without an
  Origin is refused, so ambient browser credentials are only ever honoured for our own pages.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host

TOKEN = "token"
SESSION = "session"


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def token_from_scope(scope: dict[str, Any]) -> str | None:
    """The DRF token key the client presented, or None if it presented none."""
    authorization = _header(scope, b"authorization")
    if authorization:
        kind, _, key = authorization.partition(" ")
        if kind.lower() == "token":
            return key.strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    keys = query.get("token")
    return keys[-1] if keys else None


@database_sync_to_async
def user_for_token(key: str):
    from rest_framework.authtoken.models import Token

    try:
        token = Token.objects.select_related("user").get(key=key)
    except (Token.DoesNotExist, ValueError):
        return AnonymousUser()
    return token.user if token.user.is_active else AnonymousUser()


class TokenAuthMiddleware:
    """Sets scope["user"] from a DRF token when one is given; records how the user came in."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        key = token_from_scope(scope)
        if key is not None:
            scope = {**scope, "user": await user_for_token(key), "auth_method": TOKEN}
        else:
            scope = {**scope, "auth_method": SESSION}
        return await self.inner(scope, receive, send)


def WebSocketAuthStack(inner):
    """Session auth (cookies, sessions, user), then a token that overrides it when present."""
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))


def _trusted_origin(origin: str) -> bool:
    parsed = urlparse(origin)
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        t = urlparse(trusted)
        if t.scheme != parsed.scheme:
            continue
        if t.netloc == parsed.netloc:
            return True
        if t.netloc.startswith("*.") and parsed.netloc.endswith(t.netloc[1:]):
            return True
    return False


def _allowed_hosts() -> list[str]:
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return hosts


def origin_allowed(scope: dict[str, Any]) -> bool:
    """The origin policy above. Call after TokenAuthMiddleware (it needs the auth method)."""
    origin = _header(scope, b"origin")
    if origin is None:
        return scope.get("auth_method") == TOKEN
    parsed = urlparse(origin)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return False  # "null" (sandboxed frames, file://) and garbage
    host, _port = split_domain_port(parsed.netloc)
    if host and validate_host(host, _allowed_hosts()):
        return True
    return _trusted_origin(origin)
