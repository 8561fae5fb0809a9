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


class TokenIn(Schema):
    phone: str = Field(..., max_length=32, examples=["13800000001"])
    password: str = Field(..., max_length=256)


class TokenOut(Schema):
    access: str
    refresh: str
    user: UserBriefOut


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
