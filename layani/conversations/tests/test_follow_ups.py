"""Many follow-ups at once (`append_follow_ups`) write what `receive_inbound_message` writes
for the same messages, one at a time: messages, moments, status, SLA, timeline, index
rows, pushes and webhook deliveries; and decline what is not a follow-up."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from layani.conversations.actions import change_status, receive_inbound_message, reply
from layani.conversations.actions.follow_ups import FollowUp, append_follow_ups
from layani.conversations.models import Conversation, ConversationStatus, Message, TimelineEvent
from layani.customers.actions import CustomerDetails, create_customer
from layani.routing.models import BusinessCalendar, SlaPolicy
from layani.routing.sla_config import forget
from layani.search.models import SearchDocument
from layani.testing.realtime import GroupListener
from layani.webhooks.models import WebhookDelivery
from layani.webhooks.tests.conftest import make_endpoint, receiver  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

JAKARTA = ZoneInfo("Asia/Jakarta")
START = datetime(2025, 3, 10, 9, 0, tzinfo=JAKARTA)  # a Monday morning


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fixed = Clock()
    monkeypatch.setattr(timezone, "now", fixed)
    return fixed


@pytest.fixture
def sla_policy(db: Any) -> Any:
    BusinessCalendar.objects.create(
        name="Kantor",
        timezone="Asia/Jakarta",
        weekly_hours={
            day: [["08:00", "17:00"]]
            for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
        },
        is_default=True,
    )
    forget()
    policy = SlaPolicy.objects.create(
        name="Standar",
        first_response_minutes=60,
        next_response_minutes=120,
        resolution_minutes=480,
        warn_before_minutes=15,
    )
    yield policy
    forget()


def world(tag: str, agent: Any, clock: Clock) -> dict[str, Conversation]:
    """Four customers whose WhatsApp conversations stand where follow-ups find them:
    waiting on us, pending on the customer, answered but open, and resolved."""
    clock.now = START
    conversations = {}
    for n, state in enumerate(("waiting", "pending", "answered", "resolved")):
        customer = create_customer(
            CustomerDetails.from_values(
                {"full_name": f"{state} {tag}", "whatsapp": f"0812{tag}{n:04d}"}
            ),
            actor=None,
        )
        conversation = receive_inbound_message(
            customer=customer,
            channel="whatsapp",
            body_text=f"Halo, saya {state}",
            external_id=f"{tag}-first-{n}",
            actor=None,
        ).conversation
        clock.now += timedelta(minutes=1)
        if state != "waiting":
            reply(conversation, body_text="Baik, kami cek dulu", actor=agent)
        if state == "pending":
            change_status(conversation, status=ConversationStatus.PENDING, actor=agent)
        if state == "resolved":
            change_status(conversation, status=ConversationStatus.RESOLVED, actor=agent)
        conversations[state] = conversation
    return conversations


def follow_ups(tag: str, conversations: dict[str, Conversation]) -> list[FollowUp]:
    items = []
    for n, state in enumerate(("waiting", "pending", "waiting", "answered", "pending")):
        conversation = conversations[state]
        items.append(
            FollowUp(
                key=n,
                group=n,
                customer_id=conversation.customer_id,
                channel="whatsapp",
                body_text=f"Saldo saya berkurang ({state} {n})",
                external_id=f"{tag}-next-{n}",
                received_at=START + timedelta(minutes=30, seconds=n),
                channel_account_id=None,
                meta={"kind": "text"},
            )
        )
    return items


def snapshot(conversations: dict[str, Conversation]) -> dict[str, Any]:
    """What an agent, the search and a webhook receiver would see, without row ids."""
    seen: dict[str, Any] = {}
    for state, conversation in conversations.items():
        conversation.refresh_from_db()
        messages = list(conversation.messages.order_by("created_at", "id"))
        seen[state] = {
            "conversation": {
                name: getattr(conversation, name)
                for name in (
                    "status",
                    "waiting_since",
                    "last_message_at",
                    "due_at",
                    "first_response_at",
                    "updated_at",
                    "resolved_at",
                )
            },
            "sla": list(
                conversation.__class__.objects.filter(pk=conversation.pk).values_list(
                    "sla__next_response_since",
                    "sla__next_response_due_at",
                    "sla__resolution_due_at",
                    "sla__paused_since",
                    "sla__pauses",
                    "sla__next_responses",
                )
            ),
            "messages": [
                (m.direction, m.body_text, m.delivery_status, m.created_at, m.meta, m.channel)
                for m in messages
            ],
            "timeline": sorted(
                (e.occurred_at, e.kind, e.summary, str(e.details), e.message_id is not None)
                for e in TimelineEvent.objects.filter(conversation=conversation)
            ),
            "index": sorted(
                (d.kind, d.content, d.status, d.channel, d.purpose, d.priority)
                for d in SearchDocument.objects.filter(conversation=conversation)
            ),
        }
    return seen


def deliveries() -> list[tuple[str, list[str], str | None]]:
    return [
        (d.event, d.payload["changes"], d.payload.get("message", {}).get("direction"))
        for d in WebhookDelivery.objects.order_by("id")
    ]


def test_a_batch_writes_what_one_message_at_a_time_writes(
    clock,
    sla_policy,
    make_person,
    make_endpoint,  # noqa: F811
):
    from layani.staff.models import Role

    agent = make_person(Role.ADMIN)
    make_endpoint(events=["message.created"])

    one_by_one = world("11", agent, clock)
    together = world("22", agent, clock)
    clock.now = START + timedelta(minutes=40)
    WebhookDelivery.objects.all().delete()
    listener = GroupListener("inbox-all")
    for item in follow_ups("11", one_by_one):
        receive_inbound_message(
            customer=one_by_one_customer(one_by_one, item.customer_id),
            channel=item.channel,
            body_text=item.body_text,
            external_id=item.external_id,
            received_at=item.received_at,
            meta=item.meta,
            actor=None,
        )
    heard_one_by_one = listener.events()
    delivered_one_by_one = deliveries()
    WebhookDelivery.objects.all().delete()

    listener = GroupListener("inbox-all")  # a fresh one: a Redis listener reads on one loop
    done = append_follow_ups(follow_ups("22", together))
    heard_together = listener.events()

    assert sorted(done.messages) == [0, 1, 2, 3, 4]
    assert done.duplicates == set() and done.declined_groups == set()
    assert snapshot(together)["pending"]["conversation"]["status"] == ConversationStatus.OPEN
    assert snapshot(together)["answered"]["conversation"]["waiting_since"] is not None
    assert snapshot(together) == snapshot(one_by_one)
    assert heard_together == heard_one_by_one == ["message.created"] * 5
    assert deliveries() == delivered_one_by_one
    assert [changes for _e, changes, _d in deliveries()] == [[], ["status"], [], [], []]


def one_by_one_customer(conversations: dict[str, Conversation], customer_id: int) -> Any:
    return next(c.customer for c in conversations.values() if c.customer_id == customer_id)


def item(key: Any, conversation: Conversation | None, *, group: Any = None, **values: Any):
    return FollowUp(
        key=key,
        group=key if group is None else group,
        customer_id=conversation.customer_id if conversation else None,
        channel="whatsapp",
        body_text=values.pop("body_text", f"Pesan {key}"),
        external_id=values.pop("external_id", f"wamid.{key}"),
        **values,
    )


def test_what_is_not_a_follow_up_is_declined_whole_and_nothing_of_it_is_written(clock, make_person):
    from layani.staff.models import Role

    agent = make_person(Role.ADMIN)
    conversations = world("33", agent, clock)
    waiting, resolved = conversations["waiting"], conversations["resolved"]
    before = Message.objects.count()

    done = append_follow_ups(
        [
            item("resolved", resolved),  # reopens: the one-at-a-time way
            item("unknown", None),  # a sender not on file yet
            item("with-unknown", waiting, group="unknown"),  # in the same request
            item("later", waiting),  # the same customer after: keeps the order
            item("pending", conversations["pending"]),
        ]
    )

    assert done.declined_groups == {"resolved", "unknown", "later"}
    assert list(done.messages) == ["pending"]
    assert Message.objects.count() == before + 1
    resolved.refresh_from_db()
    assert resolved.status == ConversationStatus.RESOLVED


def test_an_id_seen_before_or_twice_in_the_batch_is_written_once(clock, make_person):
    from layani.staff.models import Role

    conversations = world("44", make_person(Role.ADMIN), clock)
    waiting = conversations["waiting"]

    done = append_follow_ups(
        [
            item("old", waiting, external_id="44-first-0"),  # the world's first message
            item("a", waiting, external_id="wamid.same"),
            item("b", waiting, external_id="wamid.same"),
        ]
    )

    assert done.duplicates == {"old", "b"}
    assert list(done.messages) == ["a"]
    assert waiting.messages.filter(external_id="wamid.same").count() == 1


def test_the_statements_do_not_grow_with_the_batch(clock, make_person):
    from layani.staff.models import Role

    agent = make_person(Role.ADMIN)
    waiting = [world(f"{n:02d}", agent, clock)["waiting"] for n in range(50, 56)]

    def count(batch: list[FollowUp]) -> int:
        with CaptureQueriesContext(connection) as queries:
            done = append_follow_ups(batch)
        assert len(done.messages) == len(batch)
        return len(queries.captured_queries)

    small = count([item(f"s{n}", c) for n, c in enumerate(waiting[:2])])
    large = count([item(f"l{n}-{k}", c) for n, c in enumerate(waiting) for k in range(5)])
    assert small == large
    assert large <= 12
