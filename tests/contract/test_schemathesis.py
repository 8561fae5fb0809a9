"""Contract fuzzing: schemathesis against the served OpenAPI schema, as each of the four roles.

Every operation of `/api/v1/openapi.json` is called with a bounded, deterministic set of generated
requests (schema-valid and schema-invalid ones, and ones whose path ids name real records) under each
role's token. Each response must not be a 5xx, must carry a documented status code and content type,
and its body must fit the documented schema.

The requests go through Django's own WSGI handler in the test's thread, so they see the test's
transaction (rolled back after each test) on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tokens import access_token_for
from api.api import api
from tests.client import error_code
from tests.factories import PASSWORD

from .conftest import ROLES, VILLAGE

SCHEMA_URL = "/api/v1/openapi.json"
# Per operation and role (46 operations × 4 roles × 25 ≈ 4,600 requests); a deeper hunt sets CONTRACT_FUZZ_EXAMPLES.
MAX_EXAMPLES = int(os.environ.get("CONTRACT_FUZZ_EXAMPLES", "25"))
# The whole city's workbook takes a second or so to build: fewer examples of it.
EXAMPLES_OF = {"GET /api/v1/stats/export.xlsx": 5}
# Binary answers (photos, the workbook): called and checked for status and content type, body not parsed.
BINARY = {"GET /api/v1/photos/{photo_id}", "GET /api/v1/photos/{photo_id}/thumbnail",
          "GET /api/v1/stats/export.xlsx"}
# Path parameters pointed at real records (the rest of the time they are generated).
KNOWN_IDS = {
    "problem_id": ("problem_open", "problem_in_progress", "problem_resolved"),
    "claim_id": ("claim", "accepted_claim"),
    "checkin_id": ("checkin",),
    "training_id": ("training",),
    "photo_id": ("photo",),
    "notification_id": ("notification",),
}
# Served over TLS in production (DEBUG off redirects plain HTTP): say the proxy terminated it. Identity
# encoding: reads are gzipped for clients that accept it (core/compression.py), and schemathesis's WSGI
# transport hands the bytes to its checks undecoded (compression has tests of its own).
HTTPS = {"X-Forwarded-Proto": "https", "Accept-Encoding": "identity"}

APP = WSGIHandler()
SERVED = schemathesis.openapi.from_wsgi(SCHEMA_URL, APP, headers=HTTPS)
SCHEMA = SERVED
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}
# What ran, for the session's summary (tests/contract/conftest.py): examples per role, statuses per operation.
EXAMPLES: Counter[str] = Counter()
STATUSES: dict[str, Counter[int]] = {label: Counter() for label in OPERATIONS}


def test_the_served_schema_is_the_api_schema():
    assert SERVED.raw_schema == json.loads(json.dumps(api.get_openapi_schema()))
    assert len(OPERATIONS) == sum(len(ops) for ops in SERVED.raw_schema["paths"].values())


def test_every_operation_documents_the_error_shape():
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in SERVED.raw_schema["paths"].items()
        for method, operation in operations.items()
        if not any(str(code).upper().startswith("4") for code in operation["responses"])
    ]
    assert undocumented == []


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, minus the connection closing a real request ends with: here the
    connection holds the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield APP
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _realistic(world, role: str) -> dict[str, Any]:
    """Body fields that name real things, so that valid requests also reach the success paths."""
    from villages.models import Area

    village = Area.objects.get(code=VILLAGE)
    now = timezone.now()
    return {
        "village_code": VILLAGE, "category": "fruit-trees", "commissioner_id": world.id("commissioner_id"),
        "phone": world.people[role].phone, "password": PASSWORD, "kind": "location",
        "lat": village.lat, "lng": village.lng, "occurred_at": (now - timedelta(hours=1)).isoformat(),
        "started_at": (now - timedelta(days=1)).isoformat(), "duration_hours": 2, "headcount": 30,
        "female_count": 12, "poverty_household_count": 3,
    }


def _strategy(operation, world, role: str) -> st.SearchStrategy:
    """Schema-valid requests, schema-invalid ones, valid ones naming real things, and ones whose path
    ids are real records: a quarter each, or a third each where the path names no record."""
    realistic = _realistic(world, role)

    def with_real_names(case):
        if isinstance(case.body, dict):
            case.body = {**case.body, **{k: v for k, v in realistic.items() if k in case.body}}
        return case

    known = {
        name: [world.id(record) for record in records]
        for name, records in KNOWN_IDS.items()
        if any(p.name == name for p in operation.path_parameters)
    }
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
        operation.as_strategy(GenerationMode.POSITIVE).map(with_real_names),
    ]
    if known:
        pinned = st.fixed_dictionaries({name: st.sampled_from(ids) for name, ids in known.items()})
        strategies.append(pinned.flatmap(lambda ids: operation.as_strategy(path_parameters=ids).map(with_real_names)))
    return st.one_of(strategies)


@pytest.mark.parametrize("label", sorted(OPERATIONS))
@pytest.mark.parametrize("role", ROLES)
def test_operation_honours_its_schema(role, label, world, wsgi_app):
    operation = OPERATIONS[label]
    headers = {**HTTPS, "Authorization": f"Bearer {access_token_for(world.people[role])}"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance]
    if label not in BINARY:
        checks.append(response_schema_conformance)

    examples = min(MAX_EXAMPLES, EXAMPLES_OF.get(label, MAX_EXAMPLES))

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None, print_blob=False,
              phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @given(case=_strategy(operation, world, role))
    def fuzz(case):
        response = case.call(headers=headers)
        EXAMPLES[role] += 1
        STATUSES[label][response.status_code] += 1
        case.validate_response(response, checks=checks, headers=headers)

    fuzz()


# What deeper runs found (CONTRACT_FUZZ_EXAMPLES=100–200), kept as fixed cases: each answered 500.
HUGE = 10**30
FOUND = [
    # ids past the database's integers, as filters on a foreign key (SQLite: OverflowError; PostgreSQL: DataError)
    ("GET", f"/api/v1/dispatches?commissioner={HUGE}", None),
    ("GET", f"/api/v1/checkins?commissioner={HUGE}", None),
    ("GET", f"/api/v1/trainings?commissioner={-HUGE}", None),
    # days at the ends of the calendar, turned into Shanghai or UTC instants (OverflowError)
    ("GET", "/api/v1/stats/commissioners?from=0001-01-01", None),
    ("GET", "/api/v1/stats/coverage?to=9999-12-31", None),
    ("GET", "/api/v1/stats/export.xlsx?from=0001-01-01", None),
    ("GET", "/api/v1/checkins?to=9999-12-31", None),
    ("GET", "/api/v1/trainings?from=0001-01-01T00:00:00%2B08:00", None),
    ("GET", "/api/v1/trainings?to=9999-12-31", None),
    ("POST", "/api/v1/checkins", "0001-01-01T00:00:00+08:00"),
    ("POST", "/api/v1/checkins/batch", "9999-12-31T23:59:59-08:00"),
]


@pytest.mark.parametrize(("method", "url", "occurred_at"), FOUND, ids=[f"{m} {u} {t or ''}" for m, u, t in FOUND])
def test_what_the_fuzzer_found_is_refused_as_invalid(method, url, occurred_at, world):
    user = world.people["commissioner" if method == "POST" else "bureau"]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
    if method == "GET":
        response = client.get(url, secure=True)
    else:
        world.get("checkin")  # an earlier check-in: the travel check compares the two times
        item = {"client_id": str(uuid.uuid4()), "village_code": VILLAGE, "lat": 23.9, "lng": 106.6,
                "occurred_at": occurred_at}
        body = {"items": [item]} if url.endswith("/batch") else item
        response = client.post(url, body, content_type="application/json", secure=True)

    if url.endswith("/batch"):  # one bad item does not sink the batch: it is answered `invalid`
        assert response.status_code == 200, response.content
        assert response.json()["results"][0]["status"] == "invalid"
    else:
        assert response.status_code == 422, response.content
        assert error_code(response) == "invalid"
