"""Bearer-token authentication for every API operation that needs a user."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer

from accounts.models import User
from accounts.selectors import active_user_with_area
from accounts.tokens import AccessClaims, access_claims, access_still_valid
from core.errors import InvalidToken

from .asgi_limits import BEARER_SCOPE_KEY


def _claims(request: HttpRequest, token: str) -> AccessClaims:
    # Under ASGI the per-user bound (asgi_limits.UserConcurrencyLimit) has verified this very token
    # already, before Django ran: its claims are reused rather than the signature checked twice.
    seen = getattr(request, "scope", {}).get(BEARER_SCOPE_KEY)
    if seen is not None and seen[0] == token:
        return seen[1]
    return access_claims(token)


class JWTAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User:
        claims = _claims(request, token)
        user = active_user_with_area(claims.user_id)
        if user is None:
            raise InvalidToken(_("The token's user no longer exists or is inactive."))
        if not access_still_valid(user, claims):
            raise InvalidToken(_("The session ended (logout everywhere, a password change or reset): log in again."))
        request.user = user
        request.access_claims = claims  # what a websocket ticket inherits (notifications/tickets.py)
        return user


jwt_auth = JWTAuth()
