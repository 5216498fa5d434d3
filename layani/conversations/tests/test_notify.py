"""Who hears about a conversation change: only those who may see it; and webhooks go out."""

import json

import pytest
from django.db import transaction

from layani.conversations.actions import assign, change_status, receive_inbound_message
from layani.conversations.models import ConversationStatus
from layani.conversations.notify import groups_for_scope
from layani.conversations.queries import scope_of
from layani.testing.realtime import GroupListener
from layani.webhooks.models import WebhookDelivery
from layani.webhooks.signing import verify_signature
from layani.webhooks.tests.conftest import make_endpoint, receiver  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def inbound(customer, text="Halo"):
    return receive_inbound_message(
        customer=customer, channel="whatsapp", body_text=text, actor=None
    ).conversation


def test_a_team_conversation_is_heard_by_its_team_and_not_by_another(
    customer, agent_x, agent_y, team_x, team_y, make_person
):
    from layani.staff.models import Role

    admin = make_person(Role.ADMIN)
    conversation = inbound(customer)
    groups_x = groups_for_scope(scope_of(agent_x))
    groups_y = groups_for_scope(scope_of(agent_y))
    assert "inbox-all" in groups_for_scope(scope_of(admin))
    assert "inbox-all" not in groups_x and "inbox-all" not in groups_y

    listen_x = [GroupListener(g) for g in groups_x]
    listen_y = [GroupListener(g) for g in groups_y if g not in groups_x]
    assign(conversation, team=team_x, actor=admin)
    heard_x = [e for listener in listen_x for e in listener.events()]
    heard_y = [e for listener in listen_y for e in listener.events()]
    assert "conversation.updated" in heard_x
    assert heard_y == []  # team Y's own groups; the shared pool both hear is left out

    listen_y = [GroupListener(g) for g in groups_y if g not in groups_x]
    change_status(conversation, status=ConversationStatus.OPEN, actor=agent_x)
    assert [e for listener in listen_y for e in listener.events()] == []


def test_a_purpose_given_on_arrival_is_in_the_creation_event_not_an_update_before_it(
    customer, make_person
):
    from layani.routing.models import RoutingRule
    from layani.staff.models import Role

    make_person(Role.ADMIN)
    RoutingRule.objects.create(name="Kata kecewa", keywords=["kecewa"], set_purpose="complaint")
    listener = GroupListener("inbox-all")
    conversation = inbound(customer, "Saya kecewa")
    assert conversation.purpose == "complaint"
    heard = listener.messages()
    assert [m["event"] for m in heard] == ["conversation.created", "message.created"]
    assert heard[0]["payload"]["purpose"] == "complaint"


def test_reassigning_tells_the_team_it_leaves(customer, agent_x, team_x, team_y, make_person):
    from layani.staff.models import Role

    admin = make_person(Role.ADMIN)
    conversation = inbound(customer)
    assign(conversation, team=team_x, actor=admin)
    old_team = GroupListener(f"inbox-team-{team_x.pk}")
    new_team = GroupListener(f"inbox-team-{team_y.pk}")
    assign(conversation, team=team_y, actor=admin)
    assert old_team.events() == ["conversation.updated"]
    assert new_team.events() == ["conversation.updated"]


def test_conversation_changes_go_out_as_signed_webhooks_and_not_on_rollback(
    customer,
    agent_x,
    make_endpoint,  # noqa: F811
    receiver,  # noqa: F811
):
    issued = make_endpoint(events=["conversation.created", "conversation.updated"])
    conversation = inbound(customer, "Kartu saya tertelan")
    with pytest.raises(RuntimeError), transaction.atomic():
        change_status(conversation, status=ConversationStatus.OPEN, actor=None)
        raise RuntimeError("rolled back")
    change_status(conversation, status=ConversationStatus.PENDING, actor=None)
    events = list(WebhookDelivery.objects.order_by("id").values_list("event", "status"))
    assert events == [("conversation.created", "delivered"), ("conversation.updated", "delivered")]
    last = receiver.received[-1]
    assert verify_signature(issued.secret, last.headers["X-Layani-Signature"], last.body)
    body = json.loads(last.body)
    assert body["data"]["id"] == conversation.pk
    assert body["data"]["status"] == "pending"
    assert "Kartu" not in last.body.decode()  # no message text leaves in a webhook
