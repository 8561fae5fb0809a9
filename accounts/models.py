"""People and access: users (login by mobile number), refresh tokens, consents."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac


class Role(models.TextChoices):
    COMMISSIONER = "commissioner", "科技特派员"
    TOWNSHIP_STAFF = "township_staff", "乡镇工作人员"
    COUNTY_STAFF = "county_staff", "县级科技部门"
    BUREAU = "bureau", "市科技局"


# Mainland mobile numbers: 11 digits starting 1[3-9].
PHONE_REGEX = r"^1[3-9][0-9]{9}$"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **fields) -> User:
        user = self.model(phone=phone, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **fields) -> User:
        fields.setdefault("role", Role.BUREAU)
        fields.setdefault("area_id", "451000")
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(phone, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    phone = models.CharField(max_length=11, unique=True)
    name = models.CharField(max_length=64)
    role = models.CharField(max_length=20, choices=Role.choices)
    area = models.ForeignKey(
        "villages.Area",
        related_name="users",
        # A person's home area is reference data; deleting an area must not delete people.
        on_delete=models.PROTECT,
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May log in to the admin site.")
    date_joined = models.DateTimeField(default=timezone.now)
    # Access tokens issued before this instant are refused: set on password change and on
    # "log out everywhere", so a stolen access token dies with the session, not 15 minutes later.
    tokens_valid_after = models.DateTimeField(null=True, blank=True)
    # What actually ends sessions: bumped (with tokens_valid_after, which records when) whenever every
    # session must end. Access and refresh tokens carry the value they were issued under (`sv`) and are
    # refused once it moved on, whatever the clock says: a second's resolution let a token minted in the
    # same second as a logout-everywhere live on. Dashboard and admin sessions hash it in (below).
    session_version = models.PositiveIntegerField(default=0)
    # Set when someone else chose the password (an import, a reset): the login answer says so and the
    # app asks for a new one. Cleared by the person's own password change.
    password_change_required = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="accounts_user_role_valid"),
            models.CheckConstraint(condition=Q(phone__regex=PHONE_REGEX), name="accounts_user_phone_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # What the database held, so that a save turning is_active off is recognised (accounts/signals.py).
        instance._active_in_db = instance.__dict__.get("is_active")
        return instance

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django ends a browser session (dashboard, admin) when this hash stops matching the one stored at
        # login; by default it changes only with the password. Hashing the session version in too makes
        # logout-everywhere and deactivation end those sessions at their next request. Version 0 keeps
        # Django's own hash, so sessions from before this field existed stay valid.
        if not self.session_version:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        value = f"{self.password}:{self.session_version}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class RefreshToken(models.Model):
    """One issued refresh token. Rotation: each use marks it used and issues the next one in the
    same family; presenting a used token again means it was copied, so the whole family is revoked.
    """

    jti = models.UUIDField(primary_key=True, default=uuid.uuid4)
    user = models.ForeignKey(User, related_name="refresh_tokens", on_delete=models.CASCADE)
    family = models.UUIDField(default=uuid.uuid4, db_index=True)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # "revoke every live token of a user" (logout everywhere, password change).
            models.Index(fields=["user", "revoked_at"], name="accounts_refresh_user_live"),
        ]

    def __str__(self) -> str:
        return f"refresh {self.jti} for user {self.user_id}"


class ConsentKind(models.TextChoices):
    LOCATION = "location", "位置信息处理"


class Consent(models.Model):
    """A person's separate consent to processing sensitive personal information (PIPL art. 29)."""

    user = models.ForeignKey(User, related_name="consents", on_delete=models.CASCADE)
    kind = models.CharField(max_length=20, choices=ConsentKind.choices)
    version = models.CharField(max_length=32)
    granted_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ConsentKind.values), name="accounts_consent_kind_valid"),
            models.UniqueConstraint(fields=["user", "kind", "version"], name="accounts_consent_once_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} v{self.version}"


class AuditAction(models.TextChoices):
    EXPORT = "export", "导出"
    PERSONAL_READ = "personal_read", "查看个人信息"
    ACCOUNT = "account", "账号变更"
    ADMIN = "admin", "后台变更"
    TEAM = "team", "团队变更"


class AuditEvent(models.Model):
    """Who exported figures or read someone's personal details, and when (PIPL accountability)."""

    actor = models.ForeignKey(
        User, null=True, related_name="+",
        # The trail outlives the account it names.
        on_delete=models.SET_NULL,
    )
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    subject = models.CharField(max_length=64, help_text="What was read or exported, e.g. checkins.list.")
    detail = models.JSONField(default=dict, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=AuditAction.values), name="accounts_auditevent_action_valid"),
        ]
        indexes = [
            # "what did this person look at" and "what happened this month".
            models.Index(fields=["actor", "at"], name="accounts_audit_actor"),
            models.Index(fields=["at"], name="accounts_audit_time"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.subject} by {self.actor_id} at {self.at:%Y-%m-%d %H:%M}"
