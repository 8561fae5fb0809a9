"""Auth and identity: /auth/token, /auth/refresh, /me, /me/consents, /users."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from api.auth import jwt_auth
from core.ratelimits import client_ip, login_attempt, login_attempt_begin
from geo.edge import CrsName

from . import services
from .audit import audit_record
from .errors import CurrentPasswordWrong
from .models import AuditAction
from .schemas import (
    ConsentIn,
    ConsentOut,
    LogoutIn,
    LogoutOut,
    MeOut,
    PasswordChangeIn,
    RefreshIn,
    RefreshOut,
    TokenIn,
    TokenOut,
    UserCreateIn,
    UserOut,
)
from .selectors import me_detail, user_detail
from .tokens import refresh_token_rotate

auth_router = Router(tags=["auth"])
router = Router(tags=["identity"], auth=jwt_auth)


@auth_router.post("/token", response=TokenOut, summary="Log in with phone and password")
def token(request: HttpRequest, payload: TokenIn):
    with login_attempt(payload.phone, client_ip(request)):
        pair = services.token_obtain(phone=payload.phone, password=payload.password)
    user = pair.user
    return {
        "access": pair.access,
        "refresh": pair.refresh,
        "user": {"id": user.pk, "role": user.role, "name": user.name, "area_code": user.area_id},
    }


@auth_router.post("/refresh", response=RefreshOut, summary="Trade a refresh token for a new access token")
def refresh(request: HttpRequest, payload: RefreshIn):
    pair = refresh_token_rotate(payload.refresh)
    return {"access": pair.access, "refresh": pair.refresh}


@auth_router.post("/logout", response=LogoutOut, summary="Log out: revoke this device's refresh tokens (or all)")
def logout(request: HttpRequest, payload: LogoutIn):
    return {"revoked": services.logout(refresh=payload.refresh, everywhere=payload.everywhere)}


@router.post("/me/password", response=RefreshOut, summary="Change my password; every other session ends")
def password(request: HttpRequest, payload: PasswordChangeIn):
    # The current password is checked here too: someone holding a stolen access token could otherwise
    # guess it without limit and take the account over. Wrong guesses count like failed logins.
    attempt = login_attempt_begin(request.auth.phone, client_ip(request))
    try:
        pair = services.password_change(user=request.auth, old_password=payload.old_password,
                                        new_password=payload.new_password)
    except CurrentPasswordWrong:
        raise
    except Exception:
        attempt.handed_back()  # a weak new password is not a guess
        raise
    attempt.succeeded()
    return {"access": pair.access, "refresh": pair.refresh}


@router.get("/me", response=MeOut, summary="The logged-in user")
def me(request: HttpRequest, crs: CrsName = "wgs84"):
    return me_detail(request.auth, crs=crs)


@router.post("/me/consents", response={201: ConsentOut}, summary="Record a consent (PIPL art. 29)")
def consent(request: HttpRequest, payload: ConsentIn):
    row = services.consent_record(user=request.auth, kind=payload.kind, version=payload.version)
    return Status(201, row)


@router.post("/users", response={201: UserOut}, summary="Create a user (county staff in their county; bureau)")
def user_create(request: HttpRequest, payload: UserCreateIn):
    user = services.user_create(actor=request.auth, **payload.dict())
    audit_record(request, action=AuditAction.ACCOUNT, subject="users.create", user_id=user.pk, role=user.role)
    return Status(201, user_detail(user, viewer=request.auth))
