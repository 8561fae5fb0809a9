from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from api.positions import AnsweredCrs

from .names import NameInvalid, person_name_clean


class UserBriefOut(Schema):
    id: int
    role: str
    name: str
    area_code: str


class TokenUserOut(UserBriefOut):
    password_change_required: bool = Field(
        False, description="The password was set by someone else (an import, a reset): ask for a new one "
        "(`POST /me/password`).")


class TokenIn(Schema):
    phone: str = Field(..., max_length=32, examples=["13800000001"])
    password: str = Field(..., max_length=256)


class TokenOut(Schema):
    access: str
    refresh: str
    user: TokenUserOut


class RefreshIn(Schema):
    refresh: str = Field(..., max_length=2048)


class RefreshOut(Schema):
    access: str
    refresh: str = Field(..., description="The rotated refresh token; the one sent is now used up.")


class MeOut(Schema):
    id: int
    phone: str
    name: str
    role: str
    area_code: str
    area_name: str
    expertise: list[str] | None = Field(None, description="Category codes; commissioners only.")
    home_lat: float | None = None
    home_lng: float | None = None
    crs: AnsweredCrs
    available: bool | None = None
    password_change_required: bool = False
    location_consent: bool = False


class UserCreateIn(Schema):
    phone: str = Field(..., max_length=32)
    password: str = Field(..., min_length=1, max_length=256)
    name: str = Field(..., max_length=256, description="Trimmed; 1–50 characters, no control characters.")
    role: str = Field(..., max_length=32, examples=["commissioner"])
    area_code: str = Field(..., max_length=12)
    expertise: list[str] | None = Field(None, max_length=32)

    @field_validator("name")
    @classmethod
    def _name_bounded(cls, value: str) -> str:
        try:
            return person_name_clean(value)
        except NameInvalid as exc:
            # A custom error keeps the message as written (a ValueError would gain "Value error, ").
            raise PydanticCustomError("name_invalid", str(exc)) from None


class UserOut(Schema):
    id: int
    phone: str
    name: str
    role: str
    area_code: str
    expertise: list[str] | None = None


class ConsentIn(Schema):
    kind: str = Field(..., max_length=20, examples=["location"])
    version: str = Field(..., min_length=1, max_length=32, examples=["2025-01"])


class ConsentOut(Schema):
    id: int
    kind: str
    version: str
    granted_at: datetime


class LogoutIn(Schema):
    refresh: str = Field(..., max_length=2048)
    everywhere: bool = Field(False, description="End every session of this user, not just this device's.")


class LogoutOut(Schema):
    revoked: int = Field(..., description="Refresh tokens revoked.")


class PasswordChangeIn(Schema):
    old_password: str = Field(..., max_length=256)
    new_password: str = Field(..., min_length=1, max_length=256)


class UserListItemOut(Schema):
    id: int
    phone: str = Field(..., description="Whole to the person, the bureau and county staff for their county's "
                       "people (or dispatched into it); masked (138****0011) otherwise.")
    name: str
    role: str
    area_code: str
    is_active: bool


class UserFilterIn(Schema):
    role: str | None = Field(None, max_length=32)
    area: str | None = Field(None, max_length=12, description="An area code: people registered inside it.")
    q: str | None = Field(None, max_length=50, description="Part of a name or phone number.")
    active: bool | None = None


class UserPageOut(Schema):
    count: int
    items: list[UserListItemOut]


class UserPatchIn(Schema):
    name: str | None = Field(None, max_length=256, description="Trimmed; 1–50 characters, no control characters.")
    area_code: str | None = Field(None, max_length=12)
    is_active: bool | None = Field(None, description="false: they can no longer log in, and every session ends now.")
    expertise: list[str] | None = Field(None, max_length=32, description="Category codes; commissioners only.")

    @field_validator("name")
    @classmethod
    def _name_bounded(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return person_name_clean(value)
        except NameInvalid as exc:
            raise PydanticCustomError("name_invalid", str(exc)) from None


class PasswordResetOut(Schema):
    temporary_password: str = Field(..., description="Shown once; the person must change it at their next login.")


class ImportRowOut(Schema):
    row: int = Field(..., description="The row's number in the sheet (the header is row 1).")
    status: str = Field(..., description="created | updated | invalid")
    phone: str | None = None
    errors: dict[str, str] | None = Field(None, description="Column → why, for an invalid row.")
    changed: list[str] | None = Field(None, description="For an updated row: the columns that changed (none: "
                                      "the sheet matched what is stored).")
    temporary_password: str | None = Field(None, description="For a created row of a real import: the person's "
                                           "first password, shown once; they must change it at first login.")


class ImportOut(Schema):
    dry_run: bool
    created: int
    updated: int
    invalid: int
    rows: list[ImportRowOut]
