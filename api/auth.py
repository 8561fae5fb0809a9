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
        user_id, issued_at = access_claims(token)
        user = User.objects.select_related("area").filter(pk=user_id, is_active=True).first()
        if user is None:
            raise InvalidToken(_("The token's user no longer exists or is inactive."))
        if not access_still_valid(user, issued_at):
            raise InvalidToken(_("The session ended (logout everywhere or a password change): log in again."))
        request.user = user
        return user


jwt_auth = JWTAuth()
