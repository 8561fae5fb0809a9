"""JWT access and refresh tokens.

Access tokens are stateless (HS256, short-lived). Refresh tokens carry a ``jti`` stored in
`RefreshToken`, so they can be rotated on use and revoked; a refresh token presented a second
time revokes its whole family (it was copied: whoever holds the newer one must log in again).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import jwt
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidToken

from .models import RefreshToken, User

ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    user: User


def _encode(claims: dict) -> str:
    return jwt.encode(claims, settings.SECRET_KEY, algorithm=ALGORITHM)


def _decode(token: str, expected_type: str) -> dict:
    try:
        claims = jwt.decode(
            token,
            settings.SECRET_KEY,
            algorithms=[ALGORITHM],
            issuer=settings.JWT_ISSUER,
            options={"require": ["exp", "iat", "sub", "typ"]},
        )
    except jwt.PyJWTError as exc:
        reason = exc.__class__.__name__
        raise InvalidToken(_("The token is invalid or expired (%(reason)s).") % {"reason": reason}) from exc
    if claims.get("typ") != expected_type:
        raise InvalidToken(_("This is not an %(type)s token.") % {"type": expected_type})
    return claims


def access_token_for(user: User, now: datetime | None = None) -> str:
    now = now or timezone.now()
    return _encode(
        {
            "iss": settings.JWT_ISSUER,
            "sub": str(user.pk),
            "role": user.role,
            "typ": "access",
            "iat": int(now.timestamp()),
            "exp": int((now + settings.JWT_ACCESS_TTL).timestamp()),
        }
    )


def access_claims(token: str) -> tuple[int, int]:
    """(user id, issued-at seconds) of a valid access token."""
    claims = _decode(token, "access")
    try:
        return int(claims["sub"]), int(claims["iat"])
    except (TypeError, ValueError) as exc:
        raise InvalidToken() from exc


def user_id_from_access(token: str) -> int:
    return access_claims(token)[0]


def access_still_valid(user: User, issued_at: int) -> bool:
    cutoff = user.tokens_valid_after
    return cutoff is None or issued_at >= int(cutoff.timestamp())


def refresh_token_revoke(token: str, *, everywhere: bool = False) -> int:
    """Log out: revoke the presented refresh token's family (this device), or every session."""
    claims = _decode(token, "refresh")
    try:
        jti = uuid.UUID(str(claims.get("jti")))
    except ValueError as exc:
        raise InvalidToken() from exc
    row = RefreshToken.objects.select_related("user").filter(jti=jti).first()
    if row is None:
        raise InvalidToken()
    if everywhere:
        return sessions_end_everywhere(row.user)
    return refresh_family_revoke(row.family)


def sessions_end_everywhere(user: User) -> int:
    """Every refresh token revoked, every access token issued so far refused."""
    user.tokens_valid_after = timezone.now()
    user.save(update_fields=["tokens_valid_after"])
    return refresh_tokens_revoke_for(user)


def refresh_token_issue(user: User, family: uuid.UUID | None = None) -> str:
    now = timezone.now()
    row = RefreshToken.objects.create(
        user=user,
        family=family or uuid.uuid4(),
        issued_at=now,
        expires_at=now + settings.JWT_REFRESH_TTL,
    )
    return _encode(
        {
            "iss": settings.JWT_ISSUER,
            "sub": str(user.pk),
            "typ": "refresh",
            "jti": str(row.jti),
            "iat": int(now.timestamp()),
            "exp": int(row.expires_at.timestamp()),
        }
    )


def token_pair_for(user: User) -> TokenPair:
    return TokenPair(access=access_token_for(user), refresh=refresh_token_issue(user), user=user)


def refresh_token_rotate(token: str) -> TokenPair:
    claims = _decode(token, "refresh")
    try:
        jti = uuid.UUID(str(claims.get("jti")))
    except ValueError as exc:
        raise InvalidToken() from exc
    # The reuse check and the rotation must be one decision: two phones racing with the same
    # token must not both get a new one. The row lock serialises them.
    with transaction.atomic():
        row = RefreshToken.objects.select_for_update().select_related("user").filter(jti=jti).first()
        if row is None or not row.user.is_active:
            raise InvalidToken()
        now = timezone.now()
        if row.revoked_at is not None:
            raise InvalidToken(_("The refresh token was revoked."))
        reused = row.used_at is not None
        if not reused:
            if row.expires_at <= now:
                raise InvalidToken(_("The refresh token has expired."))
            row.used_at = now
            row.save(update_fields=["used_at"])
            new_refresh = refresh_token_issue(row.user, family=row.family)
    if reused:
        # Outside the atomic block: raising inside it would roll the revocation back.
        refresh_family_revoke(row.family)
        raise InvalidToken(_("The refresh token was already used; every session of it is now revoked."))
    return TokenPair(access=access_token_for(row.user), refresh=new_refresh, user=row.user)


def refresh_family_revoke(family: uuid.UUID) -> int:
    return RefreshToken.objects.filter(family=family, revoked_at__isnull=True).update(revoked_at=timezone.now())


def refresh_tokens_revoke_for(user: User) -> int:
    return RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
