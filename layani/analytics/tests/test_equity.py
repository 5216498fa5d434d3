"""The equity report: flags groups served worse than the policy intends, and only those."""

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from layani.analytics.equity import equity_report
from layani.analytics.stats import percentile
from layani.branches.models import Branch, Service, Visit
from layani.conversations.models import Conversation, ConversationStatus
from layani.core.choices import Purpose
from layani.core.errors import InvalidInput, PermissionDenied
from layani.customers.models import Customer, CustomerStatus
from layani.routing.models import ConversationSla, PriorityPolicy
from layani.staff.models import Role

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)
PERIOD = {"start": "2026-01-05T00:00:00Z", "end": "2026-01-12T00:00:00Z"}
_tickets = count(1)


@pytest.fixture
def equal_segments(db):
    """The business policy treats every segment and tier alike."""
    return PriorityPolicy.objects.create(
        team=None, segment_weights={}, tier_weights={}, purpose_weights={}
    )


def customer(segment: str) -> Customer:
    now = timezone.now()
    if segment == "prospect":
        return Customer.objects.create(full_name="Calon", status=CustomerStatus.PROSPECT)
    if segment == "loyal":
        return Customer.objects.create(full_name="Anggota", tier="gold")
    created = now - timedelta(days=10 if segment == "new" else 400)
    return Customer.objects.create(full_name="Nasabah", created_at=created)


def conversations(
    person: Customer,
    n: int,
    *,
    answer_minutes: float,
    branch: Branch | None = None,
    breached: bool = False,
    tags: list[str] | None = None,
) -> None:
    if tags is not None:
        person.what_matters_tags = tags
        person.save(update_fields=["what_matters_tags"])
    for i in range(n):
        created = START + timedelta(hours=1, minutes=i)
        conversation = Conversation.objects.create(
            customer=person,
            channel="whatsapp",
            purpose=Purpose.ROUTINE,
            status=ConversationStatus.RESOLVED,
            branch=branch,
            created_at=created,
            first_response_at=created + timedelta(minutes=answer_minutes),
        )
        ConversationSla.objects.create(
            conversation=conversation,
            first_contact_at=created,
            first_response_breached_at=created + timedelta(minutes=30) if breached else None,
        )


def visits(branch: Branch, service: Service, n: int, *, wait_minutes: float, tier: str = ""):
    for _ in range(n):
        number = next(_tickets)
        arrived = START + timedelta(hours=2)
        Visit.objects.create(
            branch=branch,
            service=service,
            purpose=service.purpose,
            service_day=arrived.date(),
            ticket_sequence=number,
            ticket_number=f"B{number:04d}",
            status="done",
            customer_tier=tier,
            checked_in_at=arrived,
            queue_since=arrived,
            called_at=arrived + timedelta(minutes=wait_minutes),
        )


def rows_by_key(report):
    return {row.key: row for row in report.rows}


def test_nearest_rank_percentile():
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([float(i) for i in range(1, 11)], 0.5) == 5.0
    assert percentile([float(i) for i in range(1, 11)], 0.9) == 9.0


def test_a_segment_treated_equally_but_waiting_longer_is_flagged(equal_segments, admin_user):
    conversations(customer("customer"), 40, answer_minutes=10)
    conversations(customer("new"), 25, answer_minutes=45, breached=True)
    conversations(customer("prospect"), 3, answer_minutes=300)  # too few to judge
    report = equity_report(admin_user, start=START, end=END, by="segment")
    rows = rows_by_key(report)
    assert rows["new"].flagged
    assert "waits_far_longer" in rows["new"].flags
    assert "less_compliant" in rows["new"].flags
    assert rows["new"].first_response_p90_seconds == 45 * 60
    assert rows["new"].compliance_percent == 0.0
    assert not rows["customer"].flagged
    assert rows["customer"].compliance_percent == 100.0
    assert rows["prospect"].too_few and not rows["prospect"].flagged
    assert report.overall.conversations == 68


def test_a_moderately_slower_equal_group_is_flagged_but_a_deprioritised_one_is_not(admin_user, db):
    # Default weights: loyal 15, new 10, prospect 5, customer 0.
    conversations(customer("loyal"), 30, answer_minutes=10)
    conversations(customer("new"), 30, answer_minutes=10)
    conversations(customer("customer"), 30, answer_minutes=15)  # weight 0: behind by policy
    report = equity_report(admin_user, start=START, end=END, by="segment")
    rows = rows_by_key(report)
    assert rows["loyal"].policy_weight > rows["customer"].policy_weight
    assert not any(row.flagged for row in report.rows)

    Conversation.objects.filter(customer__tier="gold").update(
        first_response_at=F("created_at") + timedelta(minutes=25)
    )  # favoured by the policy, yet slower than those it ranks below
    rows = rows_by_key(equity_report(admin_user, start=START, end=END, by="segment"))
    assert rows["loyal"].flags == ["waits_longer"]
    assert not rows["customer"].flagged
    assert not rows["new"].flagged


def test_a_prioritised_group_waiting_less_is_not_flagged(admin_user, branch, service):
    visits(branch, service, 30, wait_minutes=20)
    visits(branch, service, 25, wait_minutes=5, tier="gold")
    conversations(customer("loyal"), 25, answer_minutes=5)
    conversations(customer("customer"), 30, answer_minutes=20)
    rows = rows_by_key(equity_report(admin_user, start=START, end=END, by="tier"))
    gold = rows["gold"]
    assert gold.policy_weight > 0
    assert (gold.visits, gold.conversations) == (25, 25)
    assert gold.wait_p90_seconds == 5 * 60
    assert not gold.flagged
    # The policy puts non-members behind members, but not this far: 4x their wait is past
    # the basic-respect bound (2x), so they are flagged whatever their weight.
    assert rows[""].flags == ["waits_far_longer"]


def test_groups_with_too_few_samples_are_never_flagged(equal_segments, admin_user):
    conversations(customer("customer"), 40, answer_minutes=5)
    conversations(customer("new"), 19, answer_minutes=600, breached=True)
    rows = rows_by_key(equity_report(admin_user, start=START, end=END, by="segment"))
    assert rows["new"].too_few
    assert rows["new"].flags == []


def test_what_matters_tags_and_branches(equal_segments, admin_user, branch, other_branch):
    conversations(customer("customer"), 30, answer_minutes=5, branch=branch, tags=["cepat"])
    conversations(
        customer("customer"), 30, answer_minutes=40, branch=other_branch, tags=["ramah", "cepat"]
    )
    by_tag = rows_by_key(equity_report(admin_user, start=START, end=END, by="what_matters_tag"))
    assert (by_tag["cepat"].conversations, by_tag["ramah"].conversations) == (60, 30)
    assert by_tag["ramah"].flagged
    by_branch = equity_report(admin_user, start=START, end=END, by="branch")
    rows = rows_by_key(by_branch)
    assert rows[str(other_branch.pk)].label == "Makassar"
    assert rows[str(other_branch.pk)].flagged
    assert not rows[str(branch.pk)].flagged
    assert by_branch.overall.conversations == 60


def test_supervisor_sees_only_their_branch_and_agents_are_refused(
    equal_segments, make_person, admin_user, agent, branch, other_branch, service
):
    other_branch.services.add(service)
    conversations(customer("customer"), 3, answer_minutes=5, branch=branch)
    conversations(customer("customer"), 4, answer_minutes=5, branch=other_branch)
    visits(branch, service, 2, wait_minutes=5)
    visits(other_branch, service, 6, wait_minutes=5)
    supervisor = make_person(Role.SUPERVISOR, branches=[branch])
    report = equity_report(supervisor, start=START, end=END, by="branch")
    assert [row.key for row in report.rows] == [str(branch.pk)]
    assert (report.overall.conversations, report.overall.visits) == (3, 2)
    everything = equity_report(admin_user, start=START, end=END, by="branch")
    assert (everything.overall.conversations, everything.overall.visits) == (7, 8)
    with pytest.raises(PermissionDenied):
        equity_report(agent, start=START, end=END, by="branch")


def test_bad_grouping_or_period_is_invalid(admin_user):
    with pytest.raises(InvalidInput):
        equity_report(admin_user, start=START, end=END, by="religion")
    with pytest.raises(InvalidInput):
        equity_report(admin_user, start=END, end=START, by="segment")


@pytest.mark.parametrize("by", ["segment", "tag", "what_matters_tag", "branch", "channel"])
def test_query_count_does_not_grow_with_data(by, equal_segments, admin_user, branch, service):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            equity_report(admin_user, start=START, end=END, by=by)
        return len(captured)

    conversations(customer("customer"), 2, answer_minutes=5, branch=branch)
    visits(branch, service, 2, wait_minutes=5)
    small = queries()
    conversations(customer("new"), 40, answer_minutes=5, branch=branch, tags=["a", "b"])
    conversations(customer("loyal"), 40, answer_minutes=5, branch=branch)
    visits(branch, service, 40, wait_minutes=5, tier="gold")
    assert queries() == small


def test_api_report_and_errors(client, equal_segments, make_person, agent, branch):
    conversations(customer("customer"), 40, answer_minutes=10, branch=branch)
    conversations(customer("new"), 25, answer_minutes=45, branch=branch)
    supervisor = make_person(Role.SUPERVISOR, branches=[branch])
    client.force_login(supervisor)
    url = "/api/v1/reports/equity"
    response = client.get(url, {**PERIOD, "by": "segment"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["overall"]["conversations"] == 65
    flagged = {row["key"]: row["flagged"] for row in body["rows"]}
    assert flagged == {"customer": False, "new": True}
    new = next(row for row in body["rows"] if row["key"] == "new")
    assert new["first_response_p90_seconds"] == 45 * 60
    assert "waits_far_longer" in new["flags"]

    bad_by = client.get(url, {**PERIOD, "by": "religion"})
    assert bad_by.status_code == 422
    assert bad_by.json()["error"]["fields"]
    assert client.get(url, {"start": "kemarin", "end": PERIOD["end"]}).status_code == 422
    backwards = {"start": PERIOD["end"], "end": PERIOD["start"]}
    assert client.get(url, backwards).status_code == 422
    client.force_login(agent)
    assert client.get(url, PERIOD).status_code == 403
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/reports/equity" in schema["paths"]


def test_page_highlights_flagged_groups(client, equal_segments, make_person, branch):
    conversations(customer("customer"), 40, answer_minutes=10, branch=branch)
    conversations(customer("new"), 25, answer_minutes=45, branch=branch)
    supervisor = make_person(Role.SUPERVISOR, branches=[branch])
    client.force_login(supervisor)
    home = client.get("/")
    assert b"/reports/equity/" in home.content
    page = client.get("/reports/equity/", {"start": "2026-01-05", "end": "2026-01-11"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-by="segment"' in html
    assert 'class="flagged" data-key="new" data-flagged="1"' in html
    assert 'data-key="customer" data-flagged="0"' in html
    assert client.get("/reports/equity/", {"start": "besok"}).status_code == 422
