"""The e-signature lockout (21 CFR 11.300(d)) counts durable security events, not a cache that can vanish."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clients.models import SecurityEvent, SecurityEventKind
from projects.baselines import services as baseline_services
from projects.change_requests import services as change_request_services
from projects.models import ChangeRequest, ChangeRequestStatus, Signature
from projects.signatures.services import SIGNATURE_MAX_FAILURES, signature_lockout_active
from tests.clients.factories import PASSWORD

LOCKED = "Too many wrong passwords: signing is locked for 15 minutes. Nothing was signed."


def submitted_change(world, title="Extra run") -> ChangeRequest:
    change = change_request_services.change_request_create(
        actor=world.pm, project=world.project_a, title=title, schedule_impact_days=7
    )
    return change_request_services.change_request_submit(actor=world.pm, change=change)


def decide(world, change, password):
    return change_request_services.change_request_decide(
        actor=world.approver_a, change=change, password=password, approve=True
    )


def failed_attempts(user):
    return SecurityEvent.objects.filter(kind=SecurityEventKind.SIGNATURE_FAILED, user=user)


@pytest.mark.django_db(transaction=True)  # real transactions: the service's rollback really happens
def test_failed_attempts_outlive_the_rolled_back_transaction_and_lock_signing(world):
    change = submitted_change(world)
    for attempt in range(1, SIGNATURE_MAX_FAILURES + 1):
        with pytest.raises(ValidationError) as error:
            decide(world, change, "guess")
        assert error.value.message_dict["password"] == ["The password is not correct; nothing was signed."]
        assert failed_attempts(world.approver_a).count() == attempt  # committed although the service rolled back

    with pytest.raises(ValidationError) as error:
        decide(world, change, PASSWORD)
    assert error.value.message_dict["password"] == [LOCKED]
    assert not Signature.objects.exists()
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeRequestStatus.SUBMITTED
    event = failed_attempts(world.approver_a).first()
    assert (event.username, event.detail["record"]) == ("approver_a", f"projects.changerequest:{change.pk}")
    # The lockout is the signer's own and lasts 15 minutes from the attempts.
    assert not signature_lockout_active(world.approver_b)
    assert signature_lockout_active(world.approver_a, now=timezone.now() + dt.timedelta(minutes=14))
    assert not signature_lockout_active(world.approver_a, now=timezone.now() + dt.timedelta(minutes=15, seconds=1))


@pytest.mark.parametrize("service", ["change_request_decide", "baseline_decide"])
def test_each_wrong_password_is_one_security_event(world, service):
    if service == "change_request_decide":
        record = {"change": submitted_change(world)}
        sign = change_request_services.change_request_decide
    else:
        record = {"baseline": baseline_services.baseline_propose(actor=world.pm, project=world.project_a, reason="Re")}
        sign = baseline_services.baseline_decide
    with pytest.raises(ValidationError):
        sign(actor=world.approver_a, password="guess", approve=True, **record)
    assert failed_attempts(world.approver_a).count() == 1  # signature_sign inside the service does not add one


def test_a_successful_signature_starts_the_count_again(world):
    first, second = submitted_change(world, "First"), submitted_change(world, "Second")
    for _ in range(SIGNATURE_MAX_FAILURES - 1):
        with pytest.raises(ValidationError):
            decide(world, first, "guess")
    decide(world, first, PASSWORD)
    for _ in range(SIGNATURE_MAX_FAILURES - 1):
        with pytest.raises(ValidationError):
            decide(world, second, "guess")
    decide(world, second, PASSWORD)  # 8 failures in 15 minutes, but only 4 since the last signature
    assert Signature.objects.filter(signer=world.approver_a).count() == 2
    assert failed_attempts(world.approver_a).count() == 2 * (SIGNATURE_MAX_FAILURES - 1)
