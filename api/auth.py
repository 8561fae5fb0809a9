"""Bearer-token authentication for every API operation that needs a user."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer

from accounts.models import User
from accounts.tokens import access_claims, access_still_valid
from core.errors import InvalidToken


class JWTAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User:
        claims = access_claims(token)
        user = User.objects.select_related("area").filter(pk=claims.user_id, is_active=True).first()
        if user is None:
            raise InvalidToken(_("The token's user no longer exists or is inactive."))
        if not access_still_valid(user, claims):
            raise InvalidToken(_("The session ended (logout everywhere, a password change or reset): log in again."))
        request.user = user
        request.access_claims = claims  # what a websocket ticket inherits (notifications/tickets.py)
        return user


jwt_auth = JWTAuth()
