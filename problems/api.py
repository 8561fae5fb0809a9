"""Problems (基层出题、特派员揭榜): every `/problems…` path, one router.

The operation ids are the ones these routes had when two routers served them (villages' and
commissioners'): clients generated from the schema keep their method names.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from api.auth import jwt_auth
from api.pagination import PageIn, page_of
from api.positions import Crs
from commissioners.selectors import expertise_of
from core.errors import Invalid
from core.positions import parse_near, point_in
from media.schemas import PhotoOut
from media.selectors import photo_out
from villages.selectors import village_get

from . import claims, closure, messages, services
from .access import ensure_can_manage, visible_problem
from .library import solved_search, solved_similar
from .matching import Match, ranked_for
from .messages import ensure_may_converse, message_photos, messages_for
from .schemas import (
    ClaimCreatedOut,
    ClaimIn,
    ConfirmIn,
    MatchesOut,
    MessageIn,
    MessageOut,
    MessagePage,
    ProblemDetailOut,
    ProblemFilters,
    ProblemIn,
    ProblemPage,
    ReasonIn,
    ResolveIn,
    SolvedFilters,
    SolvedPage,
    WithdrawIn,
    match_out,
    message_out,
    problem_detail_out,
    problem_out,
    solved_out,
    team_match_out,
)
from .selectors import problem_get, problems_list

router = Router(tags=["problems"], auth=jwt_auth)

DETAIL_SIMILAR = 3  # solved problems shown in a problem's detail: one indexed query, bounded


@router.post("/problems", response={201: ProblemDetailOut, 200: ProblemDetailOut},
             summary="Post a problem (township staff, a village of their township)",
             operation_id="villages_api_problem_create")
def problem_create(request: HttpRequest, payload: ProblemIn):
    village = village_get(payload.village_code)
    position = None
    if payload.lat is not None or payload.lng is not None:
        if payload.lat is None or payload.lng is None:
            raise Invalid(_("Send lat and lng together."), fields={"lng": _("both or neither")})
        position = point_in(payload.lat, payload.lng, payload.crs)
    posted = services.problem_post(
        staff=request.auth, client_id=payload.client_id, village=village, category_code=payload.category,
        title=payload.title, description=payload.description, urgency=payload.urgency, position=position,
        deadline=payload.deadline,
    )
    return Status(201 if posted.created else 200, problem_detail_out(posted.problem, payload.crs, viewer=request.auth))


@router.get("/problems", response=ProblemPage, summary="Problems: filter, or nearest first with `near`",
            operation_id="villages_api_problem_list")
def problem_list(request: HttpRequest, filters: Query[ProblemFilters], pager: Query[PageIn]):
    near = point_in(*parse_near(filters.near), filters.crs) if filters.near else None
    count, rows = problems_list(
        user=request.auth, status=filters.status, category=filters.category, village=filters.village,
        near=near, radius_km=filters.radius_km, offset=pager.offset, limit=pager.limit,
    )
    return {"count": count, "items": [problem_out(p, filters.crs, d) for p, d in rows]}


@router.get("/problems/solved", response=SolvedPage,
            summary="Solved problems: closed ones with their resolution and rating, best match first")
def solved_list(request: HttpRequest, filters: Query[SolvedFilters], pager: Query[PageIn]):
    """Closed problems with how they were solved and their rating, found by Chinese substrings without word
    segmentation (`炭疽` finds 芒果炭疽病): every space-separated term must occur in the title, description or
    resolution. Titles holding every term first, then the closest, then the most recently closed. Names no
    person. Anyone signed in."""
    count, found = solved_search(q=filters.q, category=filters.category, offset=pager.offset, limit=pager.limit)
    return {"count": count, "items": [solved_out(p) for p in found]}


@router.get("/problems/{problem_id}", response=ProblemDetailOut, summary="A problem, photos, claims, history",
            operation_id="villages_api_problem_read")
def problem_read(request: HttpRequest, problem_id: int, crs: Crs = "wgs84"):
    problem = visible_problem(request.auth, problem_id)
    similar = [solved_out(p) for p in solved_similar(problem, limit=DETAIL_SIMILAR)]
    return {**problem_detail_out(problem, crs, viewer=request.auth), "similar": similar}


@router.post("/problems/{problem_id}/photos", response={201: PhotoOut, 200: PhotoOut},
             summary="Add a photo (multipart `photo`)", operation_id="villages_api_problem_photo")
def problem_photo(request: HttpRequest, problem_id: int, photo: File[UploadedFile]):
    problem = visible_problem(request.auth, problem_id)
    stored, created = services.problem_photo_add(user=request.auth, problem=problem, upload=photo)
    return Status(201 if created else 200, photo_out(stored))


@router.post("/problems/{problem_id}/withdraw", response=ProblemDetailOut,
             summary="Withdraw an open problem (its staff)", operation_id="villages_api_problem_withdraw")
def problem_withdraw(request: HttpRequest, problem_id: int, payload: WithdrawIn):
    problem = visible_problem(request.auth, problem_id)
    return problem_detail_out(services.problem_withdraw(staff=request.auth, problem=problem, reason=payload.reason),
                              viewer=request.auth)


@router.post("/problems/{problem_id}/confirm", response=ProblemDetailOut,
             summary="Confirm a resolved problem with a 1–5 rating: closed",
             operation_id="villages_api_problem_confirm")
def problem_confirm(request: HttpRequest, problem_id: int, payload: ConfirmIn):
    problem = visible_problem(request.auth, problem_id)
    closed = services.problem_confirm(staff=request.auth, problem=problem, rating=payload.rating,
                                      comment=payload.comment)
    return problem_detail_out(closed, viewer=request.auth)


@router.post("/problems/{problem_id}/claims", response={201: ClaimCreatedOut}, summary="Claim a problem (揭榜)",
             description="With `team_id`, a member claims for their team: once accepted, every member may check "
                         "in against the problem and resolve it, and every member is told.",
             operation_id="commissioners_api_claim")
def claim(request: HttpRequest, problem_id: int, payload: ClaimIn):
    problem = visible_problem(request.auth, problem_id)
    created = claims.claim_create(commissioner=request.auth, problem=problem, message=payload.message,
                                  team_id=payload.team_id)
    team = created.team
    return Status(201, {"id": created.pk, "status": created.status, "problem_id": problem.pk,
                        "team": {"id": team.pk, "name": team.name} if team else None,
                        "created_at": created.created_at})


@router.post("/problems/{problem_id}/claims/{claim_id}/accept", response=ProblemDetailOut,
             summary="Accept a claim: the problem is in progress, other claims declined",
             operation_id="commissioners_api_claim_accept")
def claim_accept(request: HttpRequest, problem_id: int, claim_id: int):
    problem = visible_problem(request.auth, problem_id)
    return problem_detail_out(claims.claim_accept(staff=request.auth, problem=problem, claim_id=claim_id),
                              viewer=request.auth)


@router.post("/problems/{problem_id}/resolve", response=ProblemDetailOut,
             summary="Resolve a problem (the accepted commissioner)",
             operation_id="commissioners_api_problem_resolve")
def problem_resolve(request: HttpRequest, problem_id: int, payload: ResolveIn):
    problem = visible_problem(request.auth, problem_id)
    return problem_detail_out(claims.problem_resolve(commissioner=request.auth, problem=problem,
                                                     summary=payload.summary), viewer=request.auth)


@router.get("/problems/{problem_id}/matches", response=MatchesOut,
            summary="Commissioners and teams ranked for a problem, with the reasons",
            operation_id="commissioners_api_problem_matches")
def problem_matches(request: HttpRequest, problem_id: int, limit: int = Query(10, ge=1, le=50)):
    problem = problem_get(problem_id)
    ensure_can_manage(request.auth, problem)
    found = ranked_for(problem, limit=limit)
    expertise = expertise_of([m.commissioner_id for m in found if isinstance(m, Match)])
    items = [match_out(m, expertise.get(m.commissioner_id, [])) if isinstance(m, Match) else team_match_out(m)
             for m in found]
    return {"count": len(items), "items": items}


@router.get("/problems/{problem_id}/similar", response=SolvedPage,
            summary="Solved problems like this one (by title), its own category first")
def problem_similar(request: HttpRequest, problem_id: int, limit: int = Query(5, ge=1, le=20)):
    """Closed problems whose title is like this one's (trigram similarity at least 0.4), its own category
    first, then the most similar, then the most recent. For whoever may see the problem."""
    found = solved_similar(visible_problem(request.auth, problem_id), limit=limit)
    return {"count": len(found), "items": [solved_out(p) for p in found]}


# The conversation ----------------------------------------------------------------------------------


@router.get("/problems/{problem_id}/messages", response=MessagePage,
            summary="A problem's conversation, oldest first (its staff, claimants and commissioner)")
def message_list(request: HttpRequest, problem_id: int, pager: Query[PageIn]):
    """Staff in scope read every message; a claimant (pending or accepted) reads the staff's and their own.
    Others: 403 (`outside_scope` where the problem is not theirs to see, else `not_in_conversation`)."""
    problem = visible_problem(request.auth, problem_id)
    ensure_may_converse(request.auth, problem)
    page = page_of(messages_for(request.auth, problem), pager)
    photos = message_photos(page["items"])
    return {"count": page["count"], "items": [message_out(m, photos) for m in page["items"]]}


@router.post("/problems/{problem_id}/messages", response={201: MessageOut, 200: MessageOut},
             summary="Write in a problem's conversation (idempotent on `client_id`)")
def message_send(request: HttpRequest, problem_id: int, payload: MessageIn):
    """201 with the message; the same `client_id` again answers 200 with the first message. Tells the others
    who may read it (`problem.message`). 409 `problem_wrong_status` once the problem is closed or withdrawn;
    422 for a blank body or a photo that is not the author's own of this problem."""
    problem = visible_problem(request.auth, problem_id)
    sent = messages.message_post(author=request.auth, problem=problem, client_id=payload.client_id,
                                 body=payload.body, photo_ids=payload.photo_ids)
    return Status(201 if sent.created else 200, message_out(sent.message, message_photos([sent.message])))


# Honest closure ------------------------------------------------------------------------------------


@router.post("/problems/{problem_id}/reject", response=ProblemDetailOut,
             summary="Not fixed: a resolved problem goes back to its commissioner (township staff)")
def problem_reject(request: HttpRequest, problem_id: int, payload: ReasonIn):
    """A `resolved` problem goes back to `in_progress` with the same accepted claim; its resolution is cleared
    (the history keeps it) and the commissioner is told why (`problem.rejected`). A repeat answers 409."""
    problem = visible_problem(request.auth, problem_id)
    return problem_detail_out(closure.problem_reject(staff=request.auth, problem=problem, reason=payload.reason),
                              viewer=request.auth)


@router.post("/problems/{problem_id}/refer", response=ProblemDetailOut,
             summary="Cannot solve it: the problem is open to claims again, the county is told "
                     "(the accepted commissioner, or staff)")
def problem_refer(request: HttpRequest, problem_id: int, payload: ReasonIn):
    """An `in_progress` or `resolved` problem is `open` again; the accepted claim becomes `referred` (that
    commissioner may not claim it again: 409 `claim_referred`); the county's staff are told
    (`problem.referred`). A repeat answers 409."""
    problem = visible_problem(request.auth, problem_id)
    return problem_detail_out(closure.problem_refer(user=request.auth, problem=problem, reason=payload.reason),
                              viewer=request.auth)
