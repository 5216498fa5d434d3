"""Call-next keeps each counter's configuration in memory; every change must reach it."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from layani.branches import actions
from layani.branches.models import QueuePolicy, Visit, VisitStatus
from layani.core.errors import Conflict
from layani.staff.models import Role, SkillKind, StaffSkill

pytestmark = pytest.mark.django_db(transaction=True)


def walk_in(branch, service, *, minutes_ago=0, **kwargs):
    visit = actions.check_in_visit(
        branch=branch, service=service, customer=None, actor=None, **kwargs
    )
    earlier = timezone.now() - timedelta(minutes=minutes_ago)
    Visit.objects.filter(pk=visit.pk).update(queue_since=earlier, checked_in_at=earlier)
    return visit


def call_and_finish(counter, user):
    visit = actions.call_next(counter, actor=user)
    actions.finish_service(visit, outcome_note="", actor=user)
    return visit


def test_a_new_skill_is_used_on_the_very_next_call(branch, service, complaint_service, clerk_at):
    user, counter = clerk_at(1, [service])
    walk_in(branch, service, minutes_ago=1)
    complaint = walk_in(branch, complaint_service, minutes_ago=10)
    call_and_finish(counter, user)  # loads and keeps the configuration: service only
    with pytest.raises(Conflict):
        actions.call_next(counter, actor=user)
    StaffSkill.objects.create(
        staff=user.staff, kind=SkillKind.SERVICE, value=complaint_service.code, level=1
    )
    assert actions.call_next(counter, actor=user).pk == complaint.pk


def test_a_removed_skill_and_counter_services_are_honoured(
    branch, service, complaint_service, clerk_at, make_person
):
    supervisor = make_person(Role.SUPERVISOR, branches=[branch])
    user, counter = clerk_at(1, [service, complaint_service])
    walk_in(branch, service, minutes_ago=1)
    call_and_finish(counter, user)
    complaint = walk_in(branch, complaint_service, minutes_ago=5)
    walk_in(branch, service, minutes_ago=1)
    StaffSkill.objects.filter(staff=user.staff, value=complaint_service.code).delete()
    assert actions.call_next(counter, actor=user).service_id == service.pk
    actions.finish_service(
        Visit.objects.get(counter=counter, status="called"), outcome_note="", actor=user
    )
    # The counter is then restricted to complaints (a supervisor's choice wins over skills).
    actions.set_counter_services(counter, [complaint_service], actor=supervisor)
    assert actions.call_next(counter, actor=user).pk == complaint.pk


def test_a_policy_change_applies_at_once(branch, service, clerk_at):
    user, counter = clerk_at(1, [service])
    walk_in(branch, service, minutes_ago=1)
    call_and_finish(counter, user)
    normal = walk_in(branch, service, minutes_ago=10)
    elder = walk_in(branch, service, minutes_ago=1, priority_category="elderly")
    policy = QueuePolicy.objects.get(branch=branch)
    policy.category_weights = {"elderly": 0}
    policy.save()
    assert actions.call_next(counter, actor=user).pk == normal.pk
    actions.finish_service(normal, outcome_note="", actor=user)
    assert actions.call_next(counter, actor=user).pk == elder.pk


def test_call_next_costs_the_same_few_queries_whatever_the_queue(branch, service, clerk_at):
    user, counter = clerk_at(1, [service])
    walk_in(branch, service, minutes_ago=1)
    call_and_finish(counter, user)  # warm: the configuration is loaded once

    def queries_for_one_call() -> list[str]:
        # The outer transaction holds back the after-commit work (the display push and the
        # background job), so only the call's own statements are counted.
        with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
            visit = actions.call_next(counter, actor=user)
        actions.finish_service(visit, outcome_note="", actor=user)
        skip = ("SAVEPOINT", "RELEASE", "BEGIN")
        return [q["sql"][:80] for q in ctx.captured_queries if not q["sql"].startswith(skip)]

    for _ in range(3):
        walk_in(branch, service, minutes_ago=2)
    small = queries_for_one_call()
    for minutes in range(60):
        walk_in(
            branch,
            service,
            minutes_ago=minutes % 30,
            priority_category=["", "elderly"][minutes % 2],
        )
    large = queries_for_one_call()
    assert len(small) == len(large)
    # lock + checks, candidates, mark called, re-read it, advance the ratio turn
    assert len(large) == 5, large
    assert Visit.objects.filter(status=VisitStatus.CALLED).count() == 0
