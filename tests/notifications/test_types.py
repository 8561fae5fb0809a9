import pytest
from django.db import IntegrityError

from notifications.models import Notification
from notifications.types import REGISTRY, payload_validated
from tests.factories import CommissionerFactory

CONTRACT_TYPES = {
    "problem.posted", "claim.created", "claim.accepted", "claim.declined", "problem.resolved", "problem.escalated",
    # v1.1, a problem's whole life
    "problem.message", "problem.rejected", "problem.referred", "problem.closed",
}


def test_every_type_the_contract_names_is_registered():
    assert set(REGISTRY) >= CONTRACT_TYPES


def test_a_valid_payload_is_normalised_to_json_values():
    payload = {"problem_id": "7", "reason": "deadline", "village_code": "451002001001"}
    assert payload_validated("problem.escalated", payload) == {
        "problem_id": 7, "reason": "deadline", "village_code": "451002001001",
    }


def test_an_unknown_field_is_refused():
    with pytest.raises(ValueError, match="colour"):
        payload_validated("claim.accepted", {"problem_id": 1, "claim_id": 2, "colour": "red"})


def test_an_escalation_reason_outside_the_two_is_refused():
    with pytest.raises(ValueError, match="reason"):
        payload_validated("problem.escalated", {"problem_id": 1, "reason": "boredom", "village_code": "451002001001"})


@pytest.mark.django_db
def test_the_database_refuses_a_type_outside_the_registry():
    user = CommissionerFactory()
    with pytest.raises(IntegrityError):
        Notification.objects.create(recipient=user, type="problem.exploded", payload={})
