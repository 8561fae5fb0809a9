"""JWT access and refresh tokens.

Access tokens are stateless (HS256, short-lived). Refresh tokens carry a ``jti`` stored in
`RefreshToken`, so they can be rotated on use and revoked. A refresh token presented a second
time within `REFRESH_REUSE_GRACE` of its first use answers the family's current token again (the
first answer was lost on a rural network, or two requests were in flight); later, it revokes its
whole family (it was copied: whoever holds the newer one must log in again).

Both carry ``sv``, the user's `session_version` when they were issued. Ending every session of a
person bumps it (`sessions_end_everywhere`), so every token issued before is refused at once,
however close in time; tokens from before ``sv`` existed count as version 0.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidToken

from .models import RefreshToken, User

ALGORITHM = "HS256"

# How long after its first use a refresh token may be presented again and still answer a working
# pair (contract v1.1, "Sessions on rural networks"). Auth0 calls it a reuse interval, Okta a grace
# period; both exist because a phone whose answer was lost retries with the token it still holds.
REFRESH_REUSE_GRACE = timedelta(seconds=60)


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
            "sv": user.session_version,
            "iat": int(now.timestamp()),
            "exp": int((now + settings.JWT_ACCESS_TTL).timestamp()),
        }
    )


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_version: int
    expires_at: int


def _session_version(claims: dict) -> int:
    value = claims.get("sv", 0)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidToken()
    return value


def access_claims(token: str) -> AccessClaims:
    """What a valid access token says: whose it is, the session version it was issued under, its expiry."""
    claims = _decode(token, "access")
    try:
        return AccessClaims(int(claims["sub"]), _session_version(claims), int(claims["exp"]))
    except (TypeError, ValueError) as exc:
        raise InvalidToken() from exc


def access_still_valid(user: User, claims: AccessClaims) -> bool:
    """False once every session of the user was ended after the token was issued."""
    return claims.session_version == user.session_version


def _refresh_row(token: str) -> RefreshToken:
    claims = _decode(token, "refresh")
    try:
        jti = uuid.UUID(str(claims.get("jti")))
    except ValueError as exc:
        raise InvalidToken() from exc
    row = RefreshToken.objects.select_related("user").filter(jti=jti).first()
    if row is None:
        raise InvalidToken()
    return row


def refresh_token_owner(token: str) -> User:
    """The user a refresh token (valid, possibly used or revoked) belongs to: logout everywhere."""
    return _refresh_row(token).user


def refresh_token_revoke(token: str) -> int:
    """Log out this device: revoke the presented refresh token's family."""
    return refresh_family_revoke(_refresh_row(token).family)


@transaction.atomic
def sessions_end_everywhere(user: User) -> int:
    """The tokens' part of ending every session: the session version moves on (every access and refresh
    token issued so far is refused, and browser sessions end) and every refresh token is revoked.
    Callers want `accounts.services.user_sessions_end`, which also closes open websockets."""
    # Lock order: the user row, then its refresh tokens (as `refresh_token_rotate` does), so that a
    # rotation racing this either finishes first and its new token is revoked here, or waits and
    # sees the new version.
    User.objects.filter(pk=user.pk).update(session_version=F("session_version") + 1,
                                           tokens_valid_after=timezone.now())
    user.refresh_from_db(fields=["session_version", "tokens_valid_after"])
    return refresh_tokens_revoke_for(user)


def refresh_token_issue(user: User, family: uuid.UUID | None = None) -> str:
    now = timezone.now()
    row = RefreshToken.objects.create(
        user=user,
        family=family or uuid.uuid4(),
        issued_at=now,
        expires_at=now + settings.JWT_REFRESH_TTL,
    )
    return _refresh_encoded(row, user)


def _refresh_encoded(row: RefreshToken, user: User) -> str:
    # Deterministic (HS256 over the same claims): the grace answers a token already issued with the
    # very string it was first issued as, so a family never holds two live tokens.
    return _encode(
        {
            "iss": settings.JWT_ISSUER,
            "sub": str(user.pk),
            "typ": "refresh",
            "sv": user.session_version,
            "jti": str(row.jti),
            "iat": int(row.issued_at.timestamp()),
            "exp": int(row.expires_at.timestamp()),
        }
    )


def _family_head(row: RefreshToken, now: datetime) -> RefreshToken | None:
    """The family's live token (issued after ``row``, never used, not revoked, not expired), if any."""
    return (
        RefreshToken.objects.filter(family=row.family, issued_at__gte=row.issued_at, used_at__isnull=True,
                                    revoked_at__isnull=True, expires_at__gt=now)
        .exclude(jti=row.jti).order_by("-issued_at").first()
    )


def token_pair_for(user: User) -> TokenPair:
    return TokenPair(access=access_token_for(user), refresh=refresh_token_issue(user), user=user)


def refresh_token_rotate(token: str) -> TokenPair:
    """A new pair for a refresh token, which is used up. Presented again within `REFRESH_REUSE_GRACE`
    of its first use, it answers the family's current refresh token (the one the lost answer
    carried, or its successor) with a fresh access token; presented later, it revokes the family.
    The grace never revives anything: a revoked token, an ended session (``sv``), a deactivated user
    or a family whose live token was revoked (logout) are refused as before."""
    claims = _decode(token, "refresh")
    try:
        jti = uuid.UUID(str(claims.get("jti")))
    except ValueError as exc:
        raise InvalidToken() from exc
    session_version = _session_version(claims)
    # The reuse check and the rotation must be one decision: two phones racing with the same
    # token must not both get a new one. The row lock serialises them: the second waits, then finds
    # the token used moments ago and answers the first one's new token (the grace). The user row is
    # locked first (the order `sessions_end_everywhere` takes) so that ending every session cannot
    # miss the token a concurrent rotation is minting. NO KEY: rows being inserted that point at the
    # user (its check-ins, notifications) take KEY SHARE, which this lock must not wait for.
    revoke = False
    with transaction.atomic():
        user = User.objects.select_for_update(no_key=True).filter(pk=_subject(claims)).first()
        row = RefreshToken.objects.select_for_update().filter(jti=jti).first()
        if row is None or user is None or row.user_id != user.pk or not user.is_active:
            raise InvalidToken()
        row.user = user
        now = timezone.now()
        if row.revoked_at is not None or session_version != user.session_version:
            raise InvalidToken(_("The refresh token was revoked."))
        if row.used_at is None:
            if row.expires_at <= now:
                raise InvalidToken(_("The refresh token has expired."))
            row.used_at = now
            row.save(update_fields=["used_at"])
            new_refresh = refresh_token_issue(user, family=row.family)
        elif now - row.used_at <= REFRESH_REUSE_GRACE:
            head = _family_head(row, now)
            if head is None:
                # Nothing live to hand back: the family was logged out or its token ran out.
                raise InvalidToken(_("The refresh token was revoked."))
            new_refresh = _refresh_encoded(head, user)
        else:
            revoke = True
    if revoke:
        # Outside the atomic block: raising inside it would roll the revocation back.
        refresh_family_revoke(row.family)
        raise InvalidToken(_("The refresh token was already used; every session of it is now revoked."))
    return TokenPair(access=access_token_for(user), refresh=new_refresh, user=user)


def _subject(claims: dict) -> int:
    try:
        return int(claims["sub"])
    except (TypeError, ValueError) as exc:
        raise InvalidToken() from exc


def refresh_family_revoke(family: uuid.UUID) -> int:
    return RefreshToken.objects.filter(family=family, revoked_at__isnull=True).update(revoked_at=timezone.now())


def refresh_tokens_revoke_for(user: User) -> int:
    return RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
