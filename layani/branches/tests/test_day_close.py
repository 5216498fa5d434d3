from datetime import timedelta

import pytest

from layani.branches.actions import check_in_visit
from layani.branches.day_close import close_past_days
from layani.branches.models import Visit, VisitStatus

pytestmark = pytest.mark.django_db


def test_yesterdays_unserved_visitors_are_recorded_as_abandoned(branch, service):
    old = check_in_visit(branch=branch, service=service, customer=None, actor=None)
    Visit.objects.filter(pk=old.pk).update(service_day=old.service_day - timedelta(days=1))
    today = check_in_visit(branch=branch, service=service, customer=None, actor=None)
    assert close_past_days() == 1
    old.refresh_from_db()
    today.refresh_from_db()
    assert (old.status, old.outcome_note) == (VisitStatus.CANCELLED, "abandoned")
    assert today.status == VisitStatus.WAITING
    assert close_past_days() == 0
