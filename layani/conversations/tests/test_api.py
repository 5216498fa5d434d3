import json

import pytest

from layani.branches.actions import check_in_visit
from layani.conversations.actions import (
    assign,
    receive_inbound_message,
)
from layani.conversations.models import (
    CannedReply,
    Conversation,
    EventKind,
    Message,
    TimelineEvent,
)
from layani.staff.models import Role
from layani.staff.tokens import issue_token

pytestmark = pytest.mark.django_db

URL = "/api/v1/conversations/"


@pytest.fixture
def api(client):
    def call(user, method, url, body=None):
        client.force_login(user)
        kwargs = {}
        if body is not None:
            kwargs = {"data": json.dumps(body), "content_type": "application/json"}
        return getattr(client, method)(url, **kwargs)

    return call


@pytest.fixture
def conversation(customer, team_x):
    conversation = receive_inbound_message(
        customer=customer, channel="whatsapp", body_text="Saldo saya terpotong", actor=None
    ).conversation
    assign(conversation, team=team_x, actor=None)
    return conversation


def fields(response):
    return response.json()["error"].get("fields", {})


def test_the_inbox_lists_filters_and_pages(api, agent_x, customer, conversation):
    other = receive_inbound_message(
        customer=customer, channel="email", body_text="Minta e-statement", actor=None
    ).conversation
    response = api(agent_x, "get", f"{URL}?view=all&limit=1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [i["id"] for i in body["items"]] == [conversation.pk]
    item = body["items"][0]
    assert item["unread"] is True
    assert item["last_message_preview"] == "Saldo saya terpotong"
    assert item["team"]["name"] == "Contact centre"
    assert item["customer"]["full_name"] == "Wulan Sari"
    second = api(agent_x, "get", f"{URL}?view=all&limit=1&cursor={body['next_cursor']}").json()
    assert [i["id"] for i in second["items"]] == [other.pk]
    assert second["next_cursor"] is None
    emails = api(agent_x, "get", f"{URL}?channel=email").json()
    assert [i["id"] for i in emails["items"]] == [other.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("view=semua", "view"),
        ("status=archived", "status"),
        ("channel=pigeon", "channel"),
        ("priority=9", "priority"),
        ("cursor=rusak", "cursor"),
        ("limit=500", "limit"),
    ],
)
def test_bad_inbox_filters_are_field_errors(api, agent_x, query, field):
    response = api(agent_x, "get", f"{URL}?{query}")
    assert response.status_code == 422, response.content
    assert field in fields(response)


def test_open_a_conversation_and_bad_input_stores_nothing(api, agent_x, customer, team_x):
    response = api(
        agent_x,
        "post",
        URL,
        {
            "customer_id": customer.pk,
            "channel": "phone",
            "purpose": "complaint",
            "subject": "Telepon masuk: kartu tertelan",
            "team_id": team_x.pk,
            "assignee_id": agent_x.staff.pk,
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["reference"] == f"L-{created['id']}"
    assert created["assignee"]["display_name"] == "Sari Agen"
    assert created["status"] == "new"
    before = Conversation.objects.count()
    for body, field in [
        ({"customer_id": 999999, "channel": "phone"}, "customer_id"),
        ({"customer_id": customer.pk, "channel": "merpati"}, "channel"),
        ({"customer_id": customer.pk, "channel": "phone", "team_id": 999}, "team_id"),
        ({"customer_id": customer.pk, "channel": "phone", "priority": 7}, "priority"),
        ({"customer_id": customer.pk, "channel": "phone", "colour": "red"}, "colour"),
        ({"customer_id": customer.pk}, "channel"),
    ]:
        response = api(agent_x, "post", URL, body)
        assert response.status_code == 422, (body, response.content)
        assert field in fields(response), (body, response.json())
    assert Conversation.objects.count() == before


def test_an_integration_posts_a_customers_message(client, agent_x, customer):
    token = issue_token(agent_x, name="WA gateway").secret
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def post(body):
        return client.post(
            f"{URL}inbound", data=json.dumps(body), content_type="application/json", **headers
        )

    body = {
        "customer_id": customer.pk,
        "channel": "whatsapp",
        "body_text": "Halo, saldo saya terpotong",
        "external_id": "wamid.1",
    }
    first = post(body)
    assert first.status_code == 201, first.content
    assert first.json()["outcome"] == "created"
    again = post({**body, "external_id": "wamid.2", "body_text": "Tolong dibantu"})
    assert again.json()["outcome"] == "appended"
    assert again.json()["conversation"]["id"] == first.json()["conversation"]["id"]
    duplicate = post(body)
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "duplicate_message"
    assert Message.objects.count() == 2
    assert (
        client.post(
            f"{URL}inbound", data=json.dumps(body), content_type="application/json"
        ).status_code
        == 401
    )


def test_read_a_thread_with_the_customer_panel(api, agent_x, conversation, customer):
    api(agent_x, "post", f"{URL}{conversation.pk}/notes", {"body_text": "Cek mutasi"})
    response = api(agent_x, "get", f"{URL}{conversation.pk}")
    assert response.status_code == 200, response.content
    thread = response.json()
    kinds = [
        (e["kind"], (e["message"] or {}).get("body_text") or e["event"]["kind"])
        for e in thread["entries"]
    ]
    assert kinds == [
        ("event", "conversation_created"),
        ("message", "Saldo saya terpotong"),
        ("event", "assigned"),
        ("message", "Cek mutasi"),
    ]
    assert thread["entries"][3]["message"]["author"]["display_name"] == "Sari Agen"
    assert thread["customer"]["customer"]["full_name"] == "Wulan Sari"
    assert thread["customer"]["open_conversations"][0]["id"] == conversation.pk
    assert thread["reply_channels"][0] == "whatsapp"
    assert api(agent_x, "get", f"{URL}999999").status_code == 404


def test_reply_note_and_their_errors(api, agent_x, agent_in, team_x, conversation):
    colleague = agent_in(team_x, name="Rina")
    reply = api(agent_x, "post", f"{URL}{conversation.pk}/replies", {"body_text": "Kami cek ya"})
    assert reply.status_code == 201, reply.content
    assert reply.json()["direction"] == "out"
    assert reply.json()["channel"] == "whatsapp"
    bad = api(
        agent_x,
        "post",
        f"{URL}{conversation.pk}/replies",
        {"body_text": "x", "channel": "telegram"},
    )
    assert bad.status_code == 422
    assert fields(bad) == {"channel": [bad.json()["error"]["message"]]}
    empty = api(agent_x, "post", f"{URL}{conversation.pk}/replies", {"body_text": ""})
    assert empty.status_code == 422 and "body_text" in fields(empty)
    note = api(
        agent_x,
        "post",
        f"{URL}{conversation.pk}/notes",
        {"body_text": f"@{colleague.username} tolong bantu"},
    )
    assert note.status_code == 201, note.content
    assert note.json()["mentioned"] == [colleague.username]
    assert note.json()["not_notified"] == []
    mine = api(colleague, "get", f"{URL}mentions?unseen=true").json()
    assert [m["conversation_id"] for m in mine["items"]] == [conversation.pk]
    assert Message.objects.filter(conversation=conversation).count() == 3


def test_taking_a_conversation_someone_took_meanwhile_is_a_conflict(
    api, agent_x, agent_in, team_x, conversation
):
    """`held_by`: who the client saw holding it; someone else took it since: 409."""
    url = f"{URL}{conversation.pk}/assignment"
    quicker = agent_in(team_x, name="Budi Cepat")
    assign(conversation, assignee=quicker.staff, actor=quicker)
    mine = {"assignee_id": agent_x.staff.pk, "held_by": None}
    taken = api(agent_x, "post", url, mine)
    assert taken.status_code == 409, taken.content
    assert taken.json()["error"]["code"] == "taken" and "held_by" in fields(taken)
    conversation.refresh_from_db()
    assert conversation.assignee == quicker.staff
    over = api(agent_x, "post", url, {**mine, "held_by": quicker.staff.pk})
    assert over.status_code == 200 and over.json()["assignee"]["id"] == agent_x.staff.pk


def test_assign_status_purpose_priority_tags(api, agent_x, agent_y, team_y, conversation):
    url = f"{URL}{conversation.pk}"
    response = api(agent_x, "post", f"{url}/assignment", {"assignee_id": agent_x.staff.pk})
    assert response.status_code == 200, response.content
    assert response.json()["assignee"]["id"] == agent_x.staff.pk
    assert response.json()["team"]["name"] == "Contact centre"  # kept
    assert api(agent_x, "post", f"{url}/assignment", {"reason": "x"}).status_code == 422
    outside = api(
        agent_x,
        "post",
        f"{url}/assignment",
        {"assignee_id": agent_x.staff.pk, "team_id": team_y.pk},
    )
    assert outside.status_code == 422 and "assignee_id" in fields(outside)
    assert outside.json()["error"]["code"] == "not_in_team"
    unknown = api(agent_x, "post", f"{url}/assignment", {"assignee_id": 99999})
    assert unknown.status_code == 422 and "assignee_id" in fields(unknown)

    opened = api(agent_x, "post", f"{url}/status", {"status": "open"})
    assert opened.json()["status"] == "open"
    back = api(agent_x, "post", f"{url}/status", {"status": "new"})
    assert back.status_code == 409
    assert back.json()["error"]["code"] == "invalid_transition"

    no_reason = api(agent_x, "post", f"{url}/purpose", {"purpose": "complaint", "reason": ""})
    assert no_reason.status_code == 422 and "reason" in fields(no_reason)
    purpose = api(agent_x, "post", f"{url}/purpose", {"purpose": "complaint", "reason": "Marah"})
    assert purpose.json()["purpose"] == "complaint"
    priority = api(agent_x, "post", f"{url}/priority", {"priority": 4, "reason": "Saldo besar"})
    assert priority.json()["priority"] == 4

    tags = api(agent_x, "post", f"{url}/tags", {"add": ["Saldo", "VIP"], "remove": []})
    assert tags.json() == {"tags": ["saldo", "vip"]}

    # Handing it to another team: the agent no longer sees it, the answer still comes back.
    handed = api(agent_x, "post", f"{url}/assignment", {"assignee_id": None, "team_id": team_y.pk})
    assert handed.status_code == 200
    assert api(agent_x, "get", url).status_code == 404
    assert api(agent_y, "get", url).status_code == 200
    kinds = set(
        TimelineEvent.objects.filter(conversation=conversation).values_list("kind", flat=True)
    )
    assert {EventKind.PURPOSE_CHANGED, EventKind.PRIORITY_CHANGED, EventKind.TAGS_CHANGED} <= kinds


def test_merge_link_visit_and_mark_read(
    api, agent_x, customer, other_customer, conversation, branch, service, team_x
):
    other = receive_inbound_message(
        customer=customer, channel="email", body_text="Saldo terpotong (email)", actor=None
    ).conversation
    assign(other, team=team_x, actor=None)
    merged = api(agent_x, "post", f"{URL}{other.pk}/merge", {"into": conversation.pk})
    assert merged.status_code == 200, merged.content
    assert merged.json()["id"] == conversation.pk
    assert Conversation.objects.get(pk=other.pk).merged_into_id == conversation.pk
    stranger = receive_inbound_message(
        customer=other_customer, channel="whatsapp", body_text="Halo", actor=None
    ).conversation
    refused = api(agent_x, "post", f"{URL}{stranger.pk}/merge", {"into": conversation.pk})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "different_customers"
    assert (
        api(agent_x, "post", f"{URL}{conversation.pk}/merge", {"into": 999999}).status_code == 422
    )

    visit = check_in_visit(branch=branch, service=service, customer=customer, actor=None)
    linked = api(agent_x, "post", f"{URL}{conversation.pk}/visit", {"visit_id": visit.pk})
    assert linked.json()["visit_id"] == visit.pk
    unlinked = api(agent_x, "post", f"{URL}{conversation.pk}/visit", {"visit_id": None})
    assert unlinked.json()["visit_id"] is None

    assert api(agent_x, "get", URL).json()["items"][0]["unread"] is True
    assert api(agent_x, "post", f"{URL}{conversation.pk}/read").status_code == 204
    assert api(agent_x, "get", URL).json()["items"][0]["unread"] is False


def test_canned_replies_crud_and_render(api, make_person, branch, agent_x, conversation, team_x):
    supervisor = make_person(Role.SUPERVISOR, branches=[branch])
    created = api(
        supervisor,
        "post",
        f"{URL}canned-replies",
        {
            "title": "Salam",
            "body": "Halo {nama_pelanggan}, tiket {nomor_tiket}. {nama_agen}",
            "team_id": team_x.pk,
            "shortcut": "salam",
        },
    )
    assert created.status_code == 201, created.content
    reply_id = created.json()["id"]
    assert (
        api(agent_x, "post", f"{URL}canned-replies", {"title": "x", "body": "y"}).status_code == 403
    )
    listed = api(agent_x, "get", f"{URL}canned-replies?language=id").json()
    assert [r["id"] for r in listed] == [reply_id]
    rendered = api(
        agent_x,
        "post",
        f"{URL}canned-replies/{reply_id}/render",
        {"conversation_id": conversation.pk},
    )
    assert rendered.json() == {"text": f"Halo Wulan Sari, tiket L-{conversation.pk}. Sari Agen"}
    patched = api(supervisor, "patch", f"{URL}canned-replies/{reply_id}", {"language": "en"})
    assert patched.json()["language"] == "en"
    assert api(supervisor, "patch", f"{URL}canned-replies/{reply_id}", {}).status_code == 422
    assert (
        api(supervisor, "patch", f"{URL}canned-replies/{reply_id}", {"language": "fr"}).status_code
        == 422
    )
    assert api(supervisor, "delete", f"{URL}canned-replies/{reply_id}").status_code == 204
    assert not CannedReply.objects.exists()


def test_the_openapi_schema_describes_the_conversation_api(client, agent_x):
    client.force_login(agent_x)
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/conversations/",
        "/api/v1/conversations/{conversation_id}",
        "/api/v1/conversations/{conversation_id}/replies",
        "/api/v1/conversations/{conversation_id}/merge",
        "/api/v1/conversations/canned-replies",
    ):
        assert path in paths


def test_the_inbox_api_costs_the_same_queries_for_one_row_or_many(api, agent_x, customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = api(agent_x, "get", f"{URL}?view=all&limit=50")
        assert response.status_code == 200
        return len(ctx.captured_queries)

    receive_inbound_message(customer=customer, channel="whatsapp", body_text="Satu", actor=None)
    queries_for_page()  # warm: per-process configuration is loaded on the first request
    one = queries_for_page()
    for n in range(12):
        receive_inbound_message(
            customer=customer,
            channel=["email", "sms", "telegram"][n % 3],
            body_text="Lagi",
            actor=None,
        )
    assert len(api(agent_x, "get", f"{URL}?view=all&limit=50").json()["items"]) > 1
    assert queries_for_page() == one
