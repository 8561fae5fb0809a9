"""Writes for people and access."""

from __future__ import annotations

import re
import secrets

from django.contrib.auth import authenticate
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _

from core.errors import Forbidden, Invalid, InvalidCredentials, NotFound, OutsideScope

from . import hooks
from .errors import ConsentRequired, CurrentPasswordWrong, PhoneTaken
from .hooks import AreaRef, PersonWrite
from .models import PHONE_REGEX, Consent, ConsentKind, Role, User
from .scoping import ROLE_AREA_LEVEL, area_contains, may_create_user
from .tokens import TokenPair, refresh_token_owner, refresh_token_revoke, sessions_end_everywhere, token_pair_for

# The consent text version the apps show today; a new text means a new version to accept.
CURRENT_LOCATION_CONSENT_VERSION = "2025-01"


def token_obtain(*, phone: str, password: str) -> TokenPair:
    user = authenticate(username=phone, password=password)
    if user is None:
        raise InvalidCredentials()
    return token_pair_for(user)


def area_for_role(role: str, area_code: str) -> AreaRef:
    area = hooks.areas_by_code([area_code]).get(area_code)
    if area is None:
        raise Invalid(_("Unknown area code %(code)s.") % {"code": area_code}, fields={"area_code": _("unknown area")})
    expected = ROLE_AREA_LEVEL.get(role)
    if expected and area.level != expected:
        raise Invalid(
            _("A %(role)s belongs to a %(level)s, and %(code)s is a %(actual)s.") % {
                "role": role, "level": expected, "code": area_code, "actual": area.level},
            fields={"area_code": _("must be a %(level)s code for role %(role)s") % {"level": expected, "role": role}},
        )
    return area


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    phone: str,
    password: str,
    name: str,
    role: str,
    area_code: str,
    expertise: list[str] | None = None,
) -> User:
    """Create a user. ``actor`` None means a trusted operator (the ``adduser`` command)."""
    if role not in Role.values:
        raise Invalid(_("Unknown role %(role)s.") % {"role": role},
                      fields={"role": _("one of %(values)s") % {"values": ", ".join(Role.values)}})
    if not re.match(PHONE_REGEX, phone or ""):
        raise Invalid(_("The phone must be an 11-digit mainland mobile number."), fields={"phone": _("invalid")})
    area = area_for_role(role, area_code)
    if actor is not None:
        if actor.role not in (Role.COUNTY_STAFF, Role.BUREAU):
            raise Forbidden(_("Only county staff and the bureau create users."))
        if not may_create_user(actor, role, area):
            raise OutsideScope(_("You may not create this user in that area."))
    if expertise and role != Role.COMMISSIONER:
        raise Invalid(_("Only commissioners have expertise."), fields={"expertise": _("commissioners only")})
    candidate = User(phone=phone, name=name, role=role, area=area)
    try:
        validate_password(password, candidate)
    except DjangoValidationError as exc:
        raise Invalid(_("The password is too weak."), fields={"password": " ".join(exc.messages)}) from exc
    if User.objects.filter(phone=phone).exists():
        raise PhoneTaken()
    try:
        with transaction.atomic():
            user = User.objects.create_user(phone=phone, password=password, name=name, role=role, area=area)
    except IntegrityError as exc:  # a concurrent create of the same phone
        raise PhoneTaken() from exc
    hooks.people_created([PersonWrite(user, expertise or [])])
    return user


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> TokenPair:
    """Change a password; every other session ends. Returns a fresh pair for this device."""
    if not user.check_password(old_password):
        raise CurrentPasswordWrong(_("The current password is wrong."), fields={"old_password": _("wrong password")})
    try:
        validate_password(new_password, user)
    except DjangoValidationError as exc:
        raise Invalid(_("The new password is too weak."), fields={"new_password": " ".join(exc.messages)}) from exc
    user.set_password(new_password)
    user.password_change_required = False
    user.save(update_fields=["password", "password_change_required"])
    user_sessions_end(user=user)
    return token_pair_for(user)  # under the new session version: this device stays logged in


@transaction.atomic
def user_sessions_end(*, user: User) -> int:
    """End every session of ``user`` at once: access tokens (whenever issued, the same second included),
    refresh tokens, dashboard and admin sessions (at their next request), and, once this commits, the
    websockets open in every server process. Returns the number of refresh tokens revoked.

    Called by logout-everywhere, a password change and deactivation; a password reset calls it too."""
    revoked = sessions_end_everywhere(user)
    user_id, version = user.pk, user.session_version
    transaction.on_commit(lambda: hooks.sessions_ended(user_id, version), robust=True)
    return revoked


def logout(*, refresh: str, everywhere: bool) -> int:
    """Log out this device (its refresh token's family) or, with ``everywhere``, every session."""
    if everywhere:
        return user_sessions_end(user=refresh_token_owner(refresh))
    return refresh_token_revoke(refresh)


@transaction.atomic
def user_deactivate(*, user: User) -> User:
    """Deactivate a person: they can no longer log in, and every session they have ends now (the save
    does it: see `accounts.signals`, which covers a deactivation through the admin or the shell too)."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_active:
        locked.is_active = False
        locked.save(update_fields=["is_active"])
    user.is_active = locked.is_active
    user.session_version = locked.session_version
    return user


def user_get(user_id: int) -> User:
    user = User.objects.select_related("area").filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("No such user."))
    return user


@transaction.atomic
def consent_record(*, user: User, kind: str, version: str) -> Consent:
    if kind not in ConsentKind.values:
        raise Invalid(_("Unknown consent kind %(kind)s.") % {"kind": kind},
                      fields={"kind": _("one of %(values)s") % {"values": ", ".join(ConsentKind.values)}})
    consent, _created = Consent.objects.get_or_create(user=user, kind=kind, version=version)
    if consent.withdrawn_at is not None:
        consent.withdrawn_at = None
        consent.save(update_fields=["withdrawn_at"])
    return consent


# Asked on every check-in: written once as SQL, since the ORM's building of this three-condition EXISTS
# cost more than the query itself (bench/checkin_load).
_HAS_CONSENT_SQL = (
    f"SELECT 1 FROM {Consent._meta.db_table} WHERE user_id = %s AND kind = %s AND withdrawn_at IS NULL LIMIT 1"
)


def has_location_consent(user: User) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(_HAS_CONSENT_SQL, [user.pk, ConsentKind.LOCATION.value])
        return cursor.fetchone() is not None


def ensure_location_consent(user: User) -> None:
    """A commissioner's position is sensitive personal information (PIPL art. 28); writing one
    needs their separate consent (art. 29). Staff posting a village's position are not tracked."""
    if user.role == Role.COMMISSIONER and not has_location_consent(user):
        raise ConsentRequired()


# Temporary passwords: 12 symbols from an alphabet with no look-alikes (0/O, 1/l/I), read out over the
# phone or printed on a slip: log2(31**12) ≈ 59 bits of chance, with letters and digits so the
# password validators accept it.
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TEMPORARY_PASSWORD_LENGTH = 12
# PBKDF2's million iterations protect passwords people choose (guessable); a random 59-bit one needs
# no stretching to resist an offline attack (2**59 guesses × 1,000 rounds is centuries on a GPU farm).
# Stretching it fully would make an import of 1,000 people take half an hour. The first login with it
# re-hashes it at full strength (Django upgrades a hash whose iteration count is not the current one),
# and the person must replace it anyway.
TEMPORARY_PASSWORD_ITERATIONS = 1_000


class _TemporaryPasswordHasher(PBKDF2PasswordHasher):
    iterations = TEMPORARY_PASSWORD_ITERATIONS


def temporary_password() -> str:
    while True:
        candidate = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _i in range(TEMPORARY_PASSWORD_LENGTH))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


def temporary_password_hash(raw: str) -> str:
    """The stored form of a temporary password: PBKDF2 with few rounds where PBKDF2 is the configured
    hasher (production); the configured hasher otherwise (tests use MD5)."""
    if get_hasher().algorithm == PBKDF2PasswordHasher.algorithm:
        return make_password(raw, hasher=_TemporaryPasswordHasher())
    return make_password(raw)


def _ensure_manages(actor: User, user: User) -> None:
    """County staff manage the people of their county; the bureau everyone in the city. A superuser's
    account is managed only by a superuser (through the admin): a bureau token must not be able to take
    over the operator's account."""
    if actor.role not in (Role.COUNTY_STAFF, Role.BUREAU):
        raise Forbidden(_("Only county staff and the bureau manage users."))
    if user.is_superuser and not actor.is_superuser:
        raise Forbidden(_("Only a superuser manages a superuser's account."))
    if not area_contains(actor.area, user.area) or (actor.role == Role.COUNTY_STAFF and user.role == Role.BUREAU):
        raise OutsideScope(_("This person is outside your area."))


@transaction.atomic
def password_reset(*, actor: User, user: User) -> str:
    """Give ``user`` a temporary password (returned once, never stored in clear) that they must change at
    their next login; every session they have ends now. Not for one's own account: that is
    `/me/password`, which asks for the current one (a stolen token must not reset its owner's password)."""
    if actor.pk == user.pk:
        raise Forbidden(_("Change your own password with your current one."))
    _ensure_manages(actor, user)
    raw = temporary_password()
    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.password = temporary_password_hash(raw)
    locked.password_change_required = True
    locked.save(update_fields=["password", "password_change_required"])
    user_sessions_end(user=locked)
    return raw


@transaction.atomic
def user_update(
    *,
    actor: User,
    user: User,
    name: str | None = None,
    area_code: str | None = None,
    is_active: bool | None = None,
    expertise: list[str] | None = None,
) -> User:
    """Change a person's name, area, expertise or whether they may log in. Deactivation ends every
    session at once (`user_deactivate`)."""
    _ensure_manages(actor, user)
    locked = User.objects.select_for_update().select_related("area").get(pk=user.pk)
    fields: list[str] = []
    if name is not None and name != locked.name:
        locked.name = name
        fields.append("name")
    if area_code is not None and area_code != locked.area_id:
        area = area_for_role(locked.role, area_code)
        if not may_create_user(actor, locked.role, area):
            raise OutsideScope(_("You may not move this person to that area."))
        locked.area = area
        fields.append("area")
    if expertise is not None and locked.role != Role.COMMISSIONER:
        raise Invalid(_("Only commissioners have expertise."), fields={"expertise": _("commissioners only")})
    if is_active is False and actor.pk == locked.pk:
        raise Forbidden(_("You cannot deactivate your own account."))
    if is_active is True and not locked.is_active:
        locked.is_active = True
        fields.append("is_active")
    if fields:
        locked.save(update_fields=fields)
    if is_active is False and locked.is_active:
        user_deactivate(user=locked)
    if expertise is not None or "area" in fields or "is_active" in fields or is_active is False:
        hooks.people_changed([PersonWrite(locked, expertise)])
    return locked
