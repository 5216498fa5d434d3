"""/api/v1/routing: rules, agent status and working hours, team settings, running assignment
and the priority policy; who may call what, and a denied call changes nothing."""

import json

import pytest
from django.utils import translation

from layani.conversations.models import Conversation
from layani.routing.models import (
    AgentPresence,
    AgentStatusChange,
    PriorityPolicy,
    RoutingRule,
    TeamAssignment,
)
from layani.routing.tests.assignment_world import in_team, make_agent, make_team, write_in
from layani.staff.models import Role
from layani.staff.tokens import issue_token

pytestmark = pytest.mark.django_db

URL = "/api/v1/routing"


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def api(client):
    def call(user, method, url, body=None):
        client.logout()
        if user is not None:
            client.force_login(user)
        kwargs = {}
        if body is not None:
            kwargs = {"data": json.dumps(body), "content_type": "application/json"}
        return getattr(client, method)(f"{URL}{url}", HTTP_ACCEPT_LANGUAGE="en", **kwargs)

    return call


@pytest.fixture
def world(branch, other_branch, make_person):
    team = make_team("Keluhan")
    team.branches.add(branch)
    ayu = make_agent(team, "Ayu", skills={("purpose", "complaint"): 4})
    budi = make_agent(team, "Budi")
    return {
        "team": team,
        "ayu": ayu,
        "budi": budi,
        "admin": make_person(Role.ADMIN),
        "supervisor": make_person(Role.SUPERVISOR, branches=[branch]),
        "far_supervisor": make_person(Role.SUPERVISOR, branches=[other_branch]),
        "kiosk": make_person(Role.KIOSK, branches=[branch]),
    }


RULE = {
    "name": "Keluhan kartu",
    "position": 5,
    "channels": ["chat"],
    "purposes": ["complaint"],
    "keywords": ["kartu hilang"],
    "required_skills": [{"kind": "purpose", "value": "complaint", "min_level": 3}],
}


def test_admins_write_rules_supervisors_read_them_agents_do_not(api, world, branch):
    body = {**RULE, "team_id": world["team"].pk, "branch_ids": [branch.pk]}
    for user, status in [(world["ayu"].user, 403), (world["supervisor"], 403), (None, 401)]:
        assert api(user, "post", "/rules", body).status_code == status
    assert not RoutingRule.objects.exists()

    created = api(world["admin"], "post", "/rules", body)
    assert created.status_code == 201, created.content
    rule = created.json()
    assert rule["team_id"] == world["team"].pk and rule["branch_ids"] == [branch.pk]
    assert rule["required_skills"] == RULE["required_skills"]

    assert [r["name"] for r in api(world["supervisor"], "get", "/rules").json()] == [
        "Keluhan kartu"
    ]
    assert api(world["ayu"].user, "get", "/rules").status_code == 403

    changed = api(world["admin"], "patch", f"/rules/{rule['id']}", {"is_active": False})
    assert changed.status_code == 200 and changed.json()["is_active"] is False
    assert changed.json()["keywords"] == ["kartu hilang"]  # untouched
    assert api(world["supervisor"], "delete", f"/rules/{rule['id']}").status_code == 403
    assert api(world["admin"], "delete", f"/rules/{rule['id']}").status_code == 204
    assert api(world["admin"], "get", f"/rules/{rule['id']}").status_code == 404


def test_bad_rule_values_are_field_errors(api, world):
    bad = api(world["admin"], "post", "/rules", {**RULE, "channels": ["fax"]})
    assert bad.status_code == 422
    assert "channels" in bad.json()["error"]["fields"]
    bad = api(world["admin"], "post", "/rules", {**RULE, "team_id": 999_999})
    assert bad.status_code == 422 and "team_id" in bad.json()["error"]["fields"]
    bad = api(world["admin"], "post", "/rules", {**RULE, "colour": "red"})
    assert bad.status_code == 422 and "colour" in bad.json()["error"]["fields"]
    for purpose in ("routine", "angry"):
        bad = api(world["admin"], "post", "/rules", {**RULE, "set_purpose": purpose})
        assert bad.status_code == 422 and bad.json()["error"]["fields"] == {
            "set_purpose": ["Choose complaint, special_request or prospect, or leave it empty."]
        }
    assert not RoutingRule.objects.exists()


NEVER_GIVES = (
    "This rule matches only conversations whose purpose is already set, so it would never "
    "give one: add routine to its purposes, or leave this empty."
)


def test_a_rule_may_give_a_purpose_and_a_patch_may_clear_it(api, world):
    body = {**RULE, "purposes": [], "set_purpose": "complaint"}
    created = api(world["admin"], "post", "/rules", body)
    assert created.status_code == 201, created.content
    rule = created.json()
    assert rule["set_purpose"] == "complaint"
    assert RoutingRule.objects.get(pk=rule["id"]).set_purpose == "complaint"
    cleared = api(world["admin"], "patch", f"/rules/{rule['id']}", {"set_purpose": ""})
    assert cleared.status_code == 200 and cleared.json()["set_purpose"] == ""
    assert cleared.json()["keywords"] == ["kartu hilang"]  # untouched


def test_a_rule_that_could_never_give_its_purpose_is_refused(api, world):
    """Only routine conversations are given a purpose: a rule for complaints only never
    would, whether the conflict comes in one call or from a patch of either field."""
    bad = api(world["admin"], "post", "/rules", {**RULE, "set_purpose": "special_request"})
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"] == {"set_purpose": [NEVER_GIVES]}
    assert not RoutingRule.objects.exists()

    giving = api(
        world["admin"],
        "post",
        "/rules",
        {**RULE, "purposes": ["routine"], "set_purpose": "complaint"},
    ).json()
    url = f"/rules/{giving['id']}"
    bad = api(world["admin"], "patch", url, {"purposes": ["complaint"]})
    assert bad.status_code == 422 and "set_purpose" in bad.json()["error"]["fields"]
    matching = api(world["admin"], "post", "/rules", {**RULE, "name": "Keluhan saja"}).json()
    bad = api(world["admin"], "patch", f"/rules/{matching['id']}", {"set_purpose": "prospect"})
    assert bad.status_code == 422 and "set_purpose" in bad.json()["error"]["fields"]
    assert RoutingRule.objects.get(pk=giving["id"]).purposes == ["routine"]
    assert RoutingRule.objects.get(pk=matching["id"]).set_purpose == ""


def test_agents_set_their_own_status(api, world):
    ayu = world["ayu"]
    response = api(ayu.user, "put", "/status", {"status": "away", "reason": "Rapat"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "away"
    assert api(ayu.user, "get", "/status").json()["status"] == "away"
    bad = api(ayu.user, "put", "/status", {"status": "asleep"})
    assert bad.status_code == 422 and bad.json()["error"]["fields"] == {
        "status": ["Unknown status."]
    }


def test_supervisors_set_the_status_of_their_staff_only(api, world, branch):
    ayu, budi = world["ayu"], world["budi"]
    ayu.branches.add(branch)
    url = f"/agents/{ayu.pk}/status"
    assert api(world["supervisor"], "put", url, {"status": "on_break"}).status_code == 200
    for user in (world["far_supervisor"], budi.user, world["kiosk"]):
        response = api(user, "put", url, {"status": "offline"})
        assert response.status_code == 403, (user, response.content)
    assert AgentPresence.objects.get(staff=ayu).status == "on_break"
    assert AgentStatusChange.objects.filter(staff=ayu).count() == 1
    assert api(world["admin"], "get", url).json()["status"] == "on_break"
    assert api(world["admin"], "get", "/agents/999999/status").status_code == 404


def test_working_hours_through_the_api(api, world):
    ayu = world["ayu"]
    url = f"/agents/{ayu.pk}/working-hours"
    body = {
        "timezone": "Asia/Makassar",
        "intervals": [{"weekday": 0, "starts": "08:00", "ends": "16:00"}],
    }
    response = api(ayu.user, "put", url, body)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "staff_id": ayu.pk,
        "timezone": "Asia/Makassar",
        "intervals": [{"weekday": 0, "starts": "08:00:00", "ends": "16:00:00"}],
    }
    overnight = {"intervals": [{"weekday": 0, "starts": "22:00", "ends": "06:00"}]}
    assert api(ayu.user, "put", url, overnight).status_code == 422
    assert api(world["budi"].user, "put", url, body).status_code == 403


def test_team_settings_by_its_supervisors(api, world):
    team = world["team"]
    url = f"/teams/{team.pk}/assignment"
    response = api(
        world["supervisor"],
        "patch",
        url,
        {"mode": "least_loaded", "is_paused": True, "capacity_overrides": {"chat": 2}},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["mode"] == "least_loaded" and body["is_paused"] is True
    assert body["paused_at"] is not None and body["capacity_overrides"] == {"chat": 2}
    state = TeamAssignment.objects.get(pk=team.pk)
    assert state.paused_by == world["supervisor"]

    # Members read the settings; they and other branches' supervisors do not change them.
    assert api(world["ayu"].user, "get", url).json()["is_paused"] is True
    assert api(world["ayu"].user, "patch", url, {"is_paused": False}).status_code == 403
    assert api(world["far_supervisor"], "patch", url, {"is_paused": False}).status_code == 404
    bad = api(world["admin"], "patch", url, {"mode": "lottery"})
    assert bad.status_code == 422 and "mode" in bad.json()["error"]["fields"]
    bad = api(world["admin"], "patch", url, {"capacity_overrides": {"chat": -1}})
    assert bad.status_code == 422
    assert TeamAssignment.objects.get(pk=team.pk).is_paused is True


def test_the_team_board_shows_status_load_and_capacity(api, world):
    team = world["team"]
    TeamAssignment.objects.create(team=team, capacity_overrides={"chat": 2})
    conversation = in_team(write_in(), team)
    Conversation.objects.filter(pk=conversation.pk).update(assignee=world["budi"])
    board = api(world["ayu"].user, "get", f"/teams/{team.pk}/agents")
    assert board.status_code == 200, board.content
    by_name = {a["display_name"]: a for a in board.json()}
    assert by_name["Budi"]["load"] == {"phone": 0, "chat": 1, "email": 0}
    assert by_name["Budi"]["capacity"] == {"phone": 1, "chat": 2, "email": 10}
    assert by_name["Ayu"]["status"] == "online"
    assert api(world["far_supervisor"], "get", f"/teams/{team.pk}/agents").status_code == 404


def test_running_assignment_explains_and_dry_run_changes_nothing(api, world):
    team = world["team"]
    conversation = in_team(write_in(), team)
    url = f"/conversations/{conversation.pk}/assign"
    dry = api(world["ayu"].user, "post", url, {"dry_run": True})
    assert dry.status_code == 200, dry.content
    assert dry.json()["outcome"] == "assigned" and dry.json()["dry_run"] is True
    assert dry.json()["explanation"].startswith("Assigned to Ayu:")
    assert Conversation.objects.get(pk=conversation.pk).assignee is None

    done = api(world["ayu"].user, "post", url, {})
    assert done.json()["assignee_id"] == world["ayu"].pk
    assert Conversation.objects.get(pk=conversation.pk).assignee == world["ayu"]
    again = api(world["ayu"].user, "post", url, {})
    assert again.json()["outcome"] == "skipped"


def test_a_dry_run_says_which_purpose_the_rule_would_give(api, world):
    conversation = in_team(write_in(text="Kartu saya hilang"), world["team"])
    plain = in_team(write_in(text="Jam buka kantor?"), world["team"])
    # Made after they arrived (a rule gives its purpose on arrival too).
    RoutingRule.objects.create(
        name="Kartu hilang", keywords=["kartu hilang"], set_purpose="complaint"
    )
    url = f"/conversations/{conversation.pk}/assign"
    dry = api(world["ayu"].user, "post", url, {"dry_run": True})
    assert dry.status_code == 200 and dry.json()["purpose"] == "complaint"
    assert Conversation.objects.get(pk=conversation.pk).purpose == "routine"
    done = api(world["ayu"].user, "post", url, {})
    assert done.json()["purpose"] == "complaint"
    assert Conversation.objects.get(pk=conversation.pk).purpose == "complaint"
    dry = api(world["ayu"].user, "post", f"/conversations/{plain.pk}/assign", {"dry_run": True})
    assert dry.json()["purpose"] == ""


def test_running_assignment_needs_the_conversation_in_scope(api, world):
    conversation = in_team(write_in(), world["team"])
    url = f"/conversations/{conversation.pk}/assign"
    assert api(world["far_supervisor"], "post", url, {}).status_code == 404
    assert api(world["kiosk"], "post", url, {}).status_code == 403
    assert api(None, "post", url, {}).status_code == 401
    assert Conversation.objects.get(pk=conversation.pk).assignee is None


def test_priority_policy_is_data_only_admins_change(api, world):
    default = api(world["ayu"].user, "get", "/priority-policy")
    assert default.status_code == 200 and default.json()["stored"] is False
    assert default.json()["purpose_weights"]["complaint"] == 25
    body = {"segment_weights": {"prospect": 20, "loyal": 5}, "max_wait_minutes": 45}
    assert api(world["supervisor"], "put", "/priority-policy", body).status_code == 403
    saved = api(world["admin"], "put", "/priority-policy", body)
    assert saved.status_code == 200, saved.content
    assert saved.json()["stored"] is True and saved.json()["max_wait_minutes"] == 45
    team_policy = api(
        world["admin"], "put", f"/priority-policy?team_id={world['team'].pk}", {"sla_weight": 0}
    )
    assert team_policy.json()["team_id"] == world["team"].pk
    assert PriorityPolicy.objects.count() == 2
    bad = api(world["admin"], "put", "/priority-policy", {"aging_per_minute": -1})
    assert bad.status_code == 422


def test_an_integration_token_works_too(client, world):
    token = issue_token(world["admin"], name="crm")
    response = client.get(f"{URL}/rules", HTTP_AUTHORIZATION=f"Bearer {token.secret}")
    assert response.status_code == 200


def test_the_routes_are_in_the_openapi_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/routing/rules",
        "/api/v1/routing/status",
        "/api/v1/routing/agents/{staff_id}/status",
        "/api/v1/routing/teams/{team_id}/assignment",
        "/api/v1/routing/conversations/{conversation_id}/assign",
        "/api/v1/routing/priority-policy",
    ):
        assert path in paths
