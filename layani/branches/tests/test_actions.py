from datetime import UTC, datetime
from unittest import mock

import pytest
from django.utils import timezone

from layani.branches.actions import check_in_visit
from layani.branches.models import Service, Visit
from layani.conversations.models import EventKind, TimelineEvent
from layani.core.choices import Purpose
from layani.core.errors import InvalidInput
from layani.customers.actions import CustomerDetails, create_customer
from layani.testing.realtime import GroupListener

pytestmark = pytest.mark.django_db(transaction=True)


def test_tickets_count_per_service_and_day(branch, service):
    other = Service.objects.create(
        purpose=Purpose.COMPLAINT,
        code="keluhan",
        name_id="Keluhan",
        name_en="Complaint",
        ticket_prefix="C",
    )
    branch.services.add(other)
    tickets = [
        check_in_visit(branch=branch, service=s, customer=None, actor=None).ticket_number
        for s in (service, service, other, service)
    ]
    assert tickets == ["B001", "B002", "C001", "B003"]


def test_the_day_is_the_branch_day_not_utc(branch, service):
    # 23:30 UTC on 22 Nov is already 06:30 on 23 Nov in Jakarta: a new day, a new sequence.
    late = datetime(2026, 11, 22, 16, 30, tzinfo=UTC)  # 23:30 WIB on the 22nd
    early = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)  # 06:30 WIB on the 23rd
    with mock.patch.object(timezone, "now", return_value=late):
        first = check_in_visit(branch=branch, service=service, customer=None, actor=None)
    with mock.patch.object(timezone, "now", return_value=early):
        second = check_in_visit(branch=branch, service=service, customer=None, actor=None)
    assert (str(first.service_day), first.ticket_number) == ("2026-11-22", "B001")
    assert (str(second.service_day), second.ticket_number) == ("2026-11-23", "B001")


def test_check_in_of_a_known_customer_lands_on_their_timeline_and_the_branch_hears_it(
    branch, service
):
    customer = create_customer(CustomerDetails.from_values({"full_name": "Andi"}), actor=None)
    listener = GroupListener(f"branch-{branch.pk}")
    visit = check_in_visit(
        branch=branch, service=service, customer=customer, note=" kartu hilang ", actor=None
    )
    assert visit.note == "kartu hilang"
    assert visit.purpose == Purpose.ROUTINE
    event = TimelineEvent.objects.get(kind=EventKind.VISIT_CHECKED_IN)
    assert (event.customer, event.visit, event.branch) == (customer, visit, branch)
    assert listener.events() == ["visit.checked_in"]


def test_a_service_the_branch_does_not_offer_is_refused(branch, other_branch, service):
    with pytest.raises(InvalidInput) as excinfo:
        check_in_visit(branch=other_branch, service=service, customer=None, actor=None)
    assert excinfo.value.code == "unknown_service"
    assert not Visit.objects.exists()


def test_a_closed_branch_is_refused(branch, service):
    branch.is_active = False
    branch.save()
    with pytest.raises(InvalidInput) as excinfo:
        check_in_visit(branch=branch, service=service, customer=None, actor=None)
    assert excinfo.value.code == "branch_closed"
