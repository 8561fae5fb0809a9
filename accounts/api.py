"""Auth and identity: /auth/token, /auth/refresh, /me, /me/consents, /users."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from api.auth import jwt_auth
from api.pagination import PageIn, page_of
from api.positions import Crs
from core.ratelimits import client_ip, login_attempt, login_attempt_begin

from . import services
from .audit import audit_record
from .errors import CurrentPasswordWrong
from .models import AuditAction, Role
from .roster import roster_import, roster_template
from .schemas import (
    ConsentIn,
    ConsentOut,
    ImportOut,
    LogoutIn,
    LogoutOut,
    MeOut,
    PasswordChangeIn,
    PasswordResetOut,
    RefreshIn,
    RefreshOut,
    TokenIn,
    TokenOut,
    UserCreateIn,
    UserFilterIn,
    UserListItemOut,
    UserOut,
    UserPageOut,
    UserPatchIn,
)
from .scoping import ensure_role
from .selectors import me_detail, user_detail, users_page_out, users_visible
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
        "user": {"id": user.pk, "role": user.role, "name": user.name, "area_code": user.area_id,
                 "password_change_required": user.password_change_required},
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
def me(request: HttpRequest, crs: Crs = "wgs84"):
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


@router.get("/users", response=UserPageOut, summary="People I manage (county staff: their county; bureau: all)")
def users_list(request: HttpRequest, filters: Query[UserFilterIn], pager: Query[PageIn]):
    page = page_of(users_visible(request.auth, role=filters.role, area_code=filters.area, q=filters.q,
                                 active=filters.active), pager)
    return {"count": page["count"], "items": users_page_out(page["items"], viewer=request.auth)}


@router.patch("/users/{int:user_id}", response=UserListItemOut,
              summary="Change a person; is_active=false ends their sessions")
def user_patch(request: HttpRequest, user_id: int, payload: UserPatchIn):
    changes = payload.dict(exclude_unset=True)
    user = services.user_update(actor=request.auth, user=services.user_get(user_id), **changes)
    audit_record(request, action=AuditAction.ACCOUNT, subject="users.update", user_id=user.pk,
                 fields=sorted(changes))
    return users_page_out([user], viewer=request.auth)[0]


@router.post("/users/{int:user_id}/reset-password", response=PasswordResetOut,
             summary="Give a person a temporary password (to be changed at their next login)")
def user_reset_password(request: HttpRequest, user_id: int):
    raw = services.password_reset(actor=request.auth, user=services.user_get(user_id))
    audit_record(request, action=AuditAction.ACCOUNT, subject="users.reset_password", user_id=user_id)
    return {"temporary_password": raw}


@router.post("/users/import", response=ImportOut,
             summary="Import a roster (.xlsx/.csv: 手机号, 姓名, 角色, 区划代码, 专长); ?dry_run=1 only checks")
def users_import(request: HttpRequest, file: File[UploadedFile], dry_run: bool = False):
    answer = roster_import(actor=request.auth, upload=file, dry_run=dry_run)
    if not dry_run:
        audit_record(request, action=AuditAction.ACCOUNT, subject="users.import", created=answer["created"],
                     updated=answer["updated"], invalid=answer["invalid"], file=(file.name or "")[:100])
    return answer


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/users/import/template.xlsx", summary="The roster template to fill in",
            openapi_extra={"responses": {200: {"description": "The workbook", "content": {XLSX: {"schema": {
                "type": "string", "format": "binary"}}}}}})
def users_import_template(request: HttpRequest):
    ensure_role(request.auth, Role.COUNTY_STAFF, Role.BUREAU)
    response = HttpResponse(roster_template(), content_type=XLSX)
    # 人员导入模板.xlsx, percent-encoded (RFC 6266), with an ASCII name for old browsers.
    response["Content-Disposition"] = ("attachment; filename=\"roster-template.xlsx\"; "
                                       "filename*=UTF-8''%E4%BA%BA%E5%91%98%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx")
    return response
