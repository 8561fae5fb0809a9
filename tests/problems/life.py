"""A problem brought to each stage of its life through the API, for the conversation, closure and
library tests."""

from __future__ import annotations

from tests.fixtures_problems import problem_payload


def posted(api, staff, **overrides) -> dict:
    response = api.as_user(staff).post("/problems", problem_payload(**overrides))
    assert response.status_code == 201, response.content
    return response.json()


def claimed(api, commissioner, problem_id: int) -> dict:
    response = api.as_user(commissioner).post(f"/problems/{problem_id}/claims", {"message": "我来"})
    assert response.status_code == 201, response.content
    return response.json()


def in_progress(api, staff, commissioner, **overrides) -> dict:
    problem = posted(api, staff, **overrides)
    claim = claimed(api, commissioner, problem["id"])
    response = api.as_user(staff).post(f"/problems/{problem['id']}/claims/{claim['id']}/accept")
    assert response.status_code == 200, response.content
    return response.json()


def resolved(api, staff, commissioner, summary: str = "喷施咪鲜胺，十天后复查好转。", **overrides) -> dict:
    problem = in_progress(api, staff, commissioner, **overrides)
    response = api.as_user(commissioner).post(f"/problems/{problem['id']}/resolve", {"summary": summary})
    assert response.status_code == 200, response.content
    return response.json()


def closed(api, staff, commissioner, rating: int = 5, **overrides) -> dict:
    problem = resolved(api, staff, commissioner, **overrides)
    response = api.as_user(staff).post(f"/problems/{problem['id']}/confirm", {"rating": rating})
    assert response.status_code == 200, response.content
    return response.json()
