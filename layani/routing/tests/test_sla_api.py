"""/api/v1/sla-policies, /api/v1/calendars and /api/v1/conversations/{id}/sla: what each role
may do, field errors, and that a denied call changes nothing."""

import json

import pytest

from layani.branches.models import Branch
from layani.conversations.actions import assign, change_status, receive_inbound_message, reply
from layani.routing.models import BusinessCalendar, ClosedDay, SlaPolicy
from layani.routing.sla_sweep import run_sla_sweep
from layani.routing.tests.conftest import OFFICE_HOURS, wib
from layani.staff.models import Role
from layani.staff.tokens import issue_token

pytestmark = pytest.mark.django_db

POLICIES = "/api/v1/sla-policies/"
CALENDARS = "/api/v1/calendars/"


@pytest.fixture
def call(client):
    def call(user, method, url, body=None, **params):
        kwargs = {}
        if user is not None:
            token = issue_token(user, name="uji").secret
            kwargs["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        if body is not None:
            kwargs["data"] = json.dumps(body, default=str)
            kwargs["content_type"] = "application/json"
        elif params:
            kwargs["data"] = params
        return getattr(client, method)(url, **kwargs)

    return call


@pytest.fixture
def people(make_person):
    jakarta = Branch.objects.create(code="jkt", name="Jakarta")
    surabaya = Branch.objects.create(code="sby", name="Surabaya")
    return {
        "jakarta": jakarta,
        "surabaya": surabaya,
        "admin": make_person(Role.ADMIN),
        "supervisor": make_person(Role.SUPERVISOR, branches=[jakarta]),
        "agent": make_person(Role.AGENT, branches=[jakarta]),
        "kiosk": make_person(Role.KIOSK, branches=[jakarta]),
    }


def test_an_admin_sets_up_a_calendar_with_closed_days_and_a_policy(call, people, clock):
    admin = people["admin"]
    response = call(
        admin,
        "post",
        CALENDARS,
        {"name": "Kantor pusat", "weekly_hours": OFFICE_HOURS, "is_default": True},
    )
    assert response.status_code == 201, response.content
    calendar = response.json()
    assert calendar["timezone"] == "Asia/Jakarta"
    assert calendar["use_indonesian_holidays"] is True
    response = call(
        admin,
        "post",
        f"{CALENDARS}{calendar['id']}/closed-days",
        {"date": "2025-03-11", "reason": "Ulang tahun perusahaan"},
    )
    assert response.status_code == 201, response.content
    response = call(
        admin,
        "post",
        POLICIES,
        {
            "name": "Keluhan",
            "order": 1,
            "purposes": ["complaint"],
            "first_response_minutes": 60,
            "resolution_minutes": 480,
            "calendar_id": calendar["id"],
            "branch_ids": [people["jakarta"].pk],
            "raise_priority": True,
        },
    )
    assert response.status_code == 201, response.content
    policy = response.json()
    assert policy["branch_ids"] == [people["jakarta"].pk]
    assert policy["warn_before_minutes"] == 30

    read = call(admin, "get", f"{CALENDARS}{calendar['id']}").json()
    assert [d["date"] for d in read["closed_days"]] == ["2025-03-11"]
    listed = call(people["agent"], "get", POLICIES).json()
    assert [p["name"] for p in listed["items"]] == ["Keluhan"]

    # Monday 16:30 + 60 business minutes: Tuesday is closed, so Wednesday 08:30.
    clock.set(wib(2025, 3, 10, 16, 30))
    expected = call(
        people["agent"],
        "get",
        f"{POLICIES}expected-answer",
        channel="email",
        purpose="complaint",
        branch_id=people["jakarta"].pk,
    ).json()
    assert expected["policy"] == "Keluhan"
    assert expected["expected_at"].startswith("2025-03-12T01:30")  # 08:30 WIB

    patched = call(admin, "patch", f"{POLICIES}{policy['id']}", {"first_response_minutes": 30})
    assert patched.json()["first_response_minutes"] == 30
    in_use = call(admin, "delete", f"{CALENDARS}{calendar['id']}")
    assert in_use.status_code == 409
    assert in_use.json()["error"]["code"] == "calendar_in_use"
    assert call(admin, "delete", f"{POLICIES}{policy['id']}").status_code == 204
    assert call(admin, "delete", f"{CALENDARS}{calendar['id']}").status_code == 204
    assert not BusinessCalendar.objects.exists()


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (
            CALENDARS,
            {"name": "X", "weekly_hours": {"monday": [["17:00", "08:00"]]}},
            "weekly_hours",
        ),
        (CALENDARS, {"name": "X", "weekly_hours": {"senin": [["08:00", "17:00"]]}}, "weekly_hours"),
        (CALENDARS, {"name": "X"}, "weekly_hours"),
        (CALENDARS, {"name": "X", "always_open": True, "timezone": "Mars/Olympus"}, "timezone"),
        (CALENDARS, {"name": "X", "always_open": True, "branch_id": 999999}, "branch_id"),
        (POLICIES, {"name": "X", "channels": ["merpati"], "first_response_minutes": 5}, "channels"),
        (POLICIES, {"name": "X", "tiers": ["emas"], "first_response_minutes": 5}, "tiers"),
        (POLICIES, {"name": "X"}, "first_response_minutes"),
        (POLICIES, {"name": "X", "resolution_minutes": 60, "calendar_id": 999999}, "calendar_id"),
        (POLICIES, {"name": "X", "resolution_minutes": 60, "branch_ids": [999999]}, "branch_ids"),
    ],
)
def test_bad_values_are_field_errors_and_store_nothing(call, people, url, body, field):
    response = call(people["admin"], "post", url, body)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    assert not BusinessCalendar.objects.exists()
    assert not SlaPolicy.objects.exists()


def test_who_may_change_what(call, people):
    jakarta, surabaya = people["jakarta"], people["surabaya"]
    supervisor, agent = people["supervisor"], people["agent"]
    hours = {"weekly_hours": OFFICE_HOURS}
    # A supervisor keeps the calendar of their own branch, not another's, not the default.
    own = call(supervisor, "post", CALENDARS, {"name": "Jakarta", "branch_id": jakarta.pk, **hours})
    assert own.status_code == 201, own.content
    other = call(
        supervisor, "post", CALENDARS, {"name": "Surabaya", "branch_id": surabaya.pk, **hours}
    )
    assert other.status_code == 403
    default = call(supervisor, "post", CALENDARS, {"name": "Pusat", "is_default": True, **hours})
    assert default.status_code == 403
    moved = call(supervisor, "patch", f"{CALENDARS}{own.json()['id']}", {"branch_id": surabaya.pk})
    assert moved.status_code == 403
    closed = call(
        supervisor, "post", f"{CALENDARS}{own.json()['id']}/closed-days", {"date": "2025-08-18"}
    )
    assert closed.status_code == 201
    # Policies are an admin's.
    policy = {"name": "Standar", "first_response_minutes": 60}
    assert call(supervisor, "post", POLICIES, policy).status_code == 403
    assert call(agent, "post", POLICIES, policy).status_code == 403
    assert (
        call(agent, "post", CALENDARS, {"name": "A", "branch_id": jakarta.pk, **hours}).status_code
        == 403
    )
    # Agents read, kiosks and strangers do not.
    assert call(agent, "get", POLICIES).status_code == 200
    assert call(agent, "get", CALENDARS).status_code == 200
    assert call(people["kiosk"], "get", POLICIES).status_code == 403
    assert call(None, "get", POLICIES).status_code == 401
    assert (
        call(
            agent,
            "get",
            f"{POLICIES}compliance",
            start="2025-01-01T00:00:00Z",
            end="2025-12-31T00:00:00Z",
        ).status_code
        == 403
    )
    # Nothing denied was stored or changed.
    assert list(BusinessCalendar.objects.values_list("name", "branch_id")) == [
        ("Jakarta", jakarta.pk)
    ]
    assert ClosedDay.objects.count() == 1
    assert not SlaPolicy.objects.exists()


def test_a_conversation_sla_is_read_by_those_who_see_the_conversation(
    call, people, clock, office_calendar, make_policy, sla_customer, make_person
):
    make_policy(warn_before_minutes=15)
    conversation = receive_inbound_message(
        customer=sla_customer, channel="whatsapp", body_text="Halo", actor=None
    ).conversation
    assign(conversation, assignee=people["agent"].staff, actor=None)
    clock.advance(minutes=50)
    url = f"/api/v1/conversations/{conversation.pk}/sla"
    response = call(people["agent"], "get", url)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["policy"] == "Standar"
    first = next(t for t in body["targets"] if t["target"] == "first_response")
    assert first["status"] == "running"
    assert first["colour"] == "warning"
    assert first["time_left_seconds"] == 10 * 60
    stranger = make_person(Role.BRANCH_STAFF, branches=[people["surabaya"]])
    assert call(stranger, "get", url).status_code == 404

    clock.advance(minutes=20)
    run_sla_sweep(now=clock.now)
    first = next(
        t
        for t in call(people["agent"], "get", url).json()["targets"]
        if t["target"] == "first_response"
    )
    assert (first["status"], first["colour"]) == ("breached", "breached")
    assert first["late_by_seconds"] == 10 * 60
    assert first["breached_at"] is not None


def test_compliance_per_policy_and_channel(
    call, people, clock, office_calendar, make_policy, make_person
):
    from layani.customers.actions import CustomerDetails, create_customer

    make_policy("Standar", warn_before_minutes=0)
    admin = people["admin"]
    agent = people["agent"]
    customers = [
        create_customer(
            CustomerDetails.from_values(
                {"full_name": f"Nasabah {i}", "whatsapp": f"08123456780{i}"}
            ),
            actor=None,
        )
        for i in range(3)
    ]
    conversations = [
        receive_inbound_message(
            customer=c, channel=channel, body_text="Halo", actor=None
        ).conversation
        for c, channel in zip(customers, ["whatsapp", "whatsapp", "email"], strict=True)
    ]
    clock.advance(minutes=10)
    reply(conversations[0], body_text="Siap", actor=agent)  # on time
    clock.advance(minutes=60)
    run_sla_sweep(now=clock.now)  # the other two breach their first response
    change_status(conversations[0], status="resolved", actor=agent)
    period = {"start": "2025-03-01T00:00:00Z", "end": "2025-04-01T00:00:00Z"}
    by_policy = call(admin, "get", f"{POLICIES}compliance", **period).json()
    [row] = by_policy["rows"]
    assert row["label"] == "Standar"
    assert (row["conversations"], row["met"], row["breached"]) == (3, 1, 2)
    assert (row["first_response_met"], row["first_response_breached"]) == (1, 2)
    assert row["compliance_percent"] == pytest.approx(33.3)
    by_channel = call(admin, "get", f"{POLICIES}compliance", by="channel", **period).json()
    assert {r["key"]: (r["met"], r["breached"]) for r in by_channel["rows"]} == {
        "email": (0, 1),
        "whatsapp": (1, 1),
    }
    bad = call(admin, "get", f"{POLICIES}compliance", by="colour", **period)
    assert bad.status_code == 422
