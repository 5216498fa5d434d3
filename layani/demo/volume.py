"""`layani seed --customers N --conversations M`: large, realistic data fast, for benchmarks.

Bypasses the actions like the demo history does, and writes the same rows they would
(customer, identities and their timeline; conversation, one or two messages and their
timeline), but as tuples streamed through `bulk_load` (COPY on PostgreSQL, executemany on
SQLite) from precomputed pools, in chunks of one transaction each.
"""

import json
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from tqdm import tqdm

from layani.branches.models import Branch
from layani.conversations.models import (
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    EventKind,
    Message,
    TimelineEvent,
)
from layani.core.choices import Channel, Purpose
from layani.customers.identities import normalise_name
from layani.customers.models import (
    Customer,
    CustomerIdentity,
    CustomerStatus,
    IdentityKind,
    MembershipTier,
)
from layani.demo import catalogue
from layani.demo.bulk_load import relaxed_checks, reserve_ids, write_rows
from layani.demo.demo_conversations import CHANNEL_WEIGHTS, PURPOSE_WEIGHTS
from layani.demo.people import EMAIL_DOMAINS, WHAT_MATTERS, NamePool, mobile_number
from layani.demo.staff_roster import Roster
from layani.demo.texts import SCRIPTS
from layani.staff.models import Team

CUSTOMER_CHUNK = 20_000
CONVERSATION_CHUNK = 20_000
DAY = 86_400.0
ALTERNATE_NUMBERS = 2 * 10**9  # a second, disjoint range of demo numbers for collisions

CUSTOMER_COLUMNS = (
    "id",
    "full_name",
    "search_name",
    "status",
    "membership_number",
    "tier",
    "member_since",
    "language",
    "what_matters",
    "what_matters_tags",
    "what_matters_updated_at",
    "preferred_staff_id",
    "created_at",
    "updated_at",
)
IDENTITY_COLUMNS = ("customer_id", "kind", "value", "is_primary", "created_at")
EVENT_COLUMNS = (
    "kind",
    "occurred_at",
    "customer_id",
    "conversation_id",
    "message_id",
    "visit_id",
    "branch_id",
    "actor_id",
    "summary",
    "details",
)
CONVERSATION_COLUMNS = (
    "id",
    "customer_id",
    "channel",
    "purpose",
    "priority",
    "status",
    "subject",
    "assignee_id",
    "team_id",
    "branch_id",
    "created_at",
    "updated_at",
    "last_message_at",
)
MESSAGE_COLUMNS = (
    "id",
    "conversation_id",
    "channel",
    "direction",
    "body_text",
    "body_html",
    "external_id",
    "delivery_status",
    "author_id",
    "created_at",
    "status_changed_at",
)
LIVE_CHANNELS = {Channel.WHATSAPP, Channel.TELEGRAM, Channel.MESSENGER, Channel.INSTAGRAM}


@dataclass
class VolumeCounts:
    customers: int = 0
    identities: int = 0
    conversations: int = 0
    messages: int = 0
    events: int = 0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return self.customers + self.identities + self.conversations + self.messages + self.events


def _moment(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@dataclass
class _Chunk:
    customers: list[tuple[Any, ...]] = field(default_factory=list)
    identities: list[tuple[Any, ...]] = field(default_factory=list)
    conversations: list[tuple[Any, ...]] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)


class VolumeGenerator:
    def __init__(self, rng: random.Random, roster: Roster, now: datetime) -> None:
        self.rng = rng
        self.now = now.timestamp()
        self.names = NamePool()
        self.slugs = {
            n: normalise_name(n).replace(" ", "").replace("'", "")
            for n in self.names.first + self.names.last
        }
        self.agents = [(s.pk, s.user_id, s.display_name) for s in roster.agents] or [
            (s.pk, s.user_id, s.display_name) for s in roster.supervisors
        ]
        self.branch_ids = list(Branch.objects.filter(is_active=True).values_list("id", flat=True))
        self.team_ids = dict(Team.objects.values_list("name", "id"))
        self.labels = {kind: str(IdentityKind(kind).label) for kind in IdentityKind.values}
        self.channels, self.channel_weights = list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values())
        self.purposes, self.purpose_weights = list(PURPOSE_WEIGHTS), list(PURPOSE_WEIGHTS.values())
        self.taken = set(
            CustomerIdentity.objects.filter(
                kind__in=[IdentityKind.PHONE, IdentityKind.WHATSAPP, IdentityKind.EMAIL]
            ).values_list("value", flat=True)
        )
        self.customer_pool: tuple[int, int] | list[int] = (0, 0)
        self.customer_since: dict[int, float] | list[float] = []

    # --- customers -------------------------------------------------------------------------

    def customers(self, count: int, counts: VolumeCounts, progress: tqdm) -> None:
        with transaction.atomic():
            first_id = reserve_ids(Customer, count)
        since: list[float] = []
        for start in range(0, count, CUSTOMER_CHUNK):
            chunk = _Chunk()
            for cid in range(first_id + start, first_id + min(start + CUSTOMER_CHUNK, count)):
                since.append(self._customer(cid, chunk))
            with transaction.atomic(), relaxed_checks():
                counts.customers += write_rows(Customer, CUSTOMER_COLUMNS, chunk.customers)
                counts.identities += write_rows(
                    CustomerIdentity, IDENTITY_COLUMNS, chunk.identities
                )
                counts.events += write_rows(TimelineEvent, EVENT_COLUMNS, chunk.events)
            progress.update(len(chunk.customers))
        self.customer_pool = (first_id, count)
        self.customer_since = since

    def _customer(self, cid: int, chunk: _Chunk) -> float:
        rng = self.rng
        parts = self.names.parts(rng)
        full_name = " ".join(parts)
        created_ts = self.now - rng.uniform(30, 730) * DAY
        created = _moment(created_ts)
        roll = rng.random()
        status = CustomerStatus.PROSPECT if roll < 0.1 else CustomerStatus.CUSTOMER
        member_number = tier = member_since = None
        if roll > 0.75:
            tier = (
                MembershipTier.PLATINUM
                if roll > 0.975
                else MembershipTier.GOLD
                if roll > 0.9
                else MembershipTier.SILVER
            )
            member_number = f"SN{cid:010d}"
            member_since = _moment(created_ts - rng.uniform(0, 3650) * DAY).date()
        what_matters, tags, wm_at = "", "[]", None
        actor = None
        if rng.random() < 0.2:
            what_matters, tag_list = rng.choice(WHAT_MATTERS)
            tags = json.dumps(tag_list)
            wm_at = _moment(created_ts + rng.uniform(0, self.now - created_ts))
            actor = rng.choice(self.agents)
        chunk.customers.append(
            (
                cid,
                full_name,
                normalise_name(full_name),
                status,
                member_number,
                tier or "",
                member_since,
                "id",
                what_matters,
                tags,
                wm_at,
                None,
                created,
                wm_at or created,
            )
        )
        events = chunk.events
        phone = self._unique(lambda k: mobile_number(cid + k * ALTERNATE_NUMBERS))
        identities = [(IdentityKind.PHONE, phone)]
        if rng.random() < 0.4:
            identities.append((IdentityKind.WHATSAPP, phone))
        if rng.random() < 0.5:
            local = ".".join(self.slugs[p] for p in parts[:: max(len(parts) - 1, 1)])
            domain = rng.choice(EMAIL_DOMAINS)
            identities.append(
                (IdentityKind.EMAIL, self._unique(lambda k: f"{local}{cid}{'x' * k}@{domain}"))
            )
        for kind, value in identities:
            chunk.identities.append((cid, kind, value, True, created))
            events.append(
                (
                    EventKind.IDENTITY_ADDED,
                    created,
                    cid,
                    None,
                    None,
                    None,
                    None,
                    None,
                    f"{self.labels[kind]}: {value}",
                    f'{{"kind": "{kind}", "value": "{value}"}}',
                )
            )
        events.append(
            (
                EventKind.CUSTOMER_CREATED,
                created,
                cid,
                None,
                None,
                None,
                None,
                None,
                full_name,
                f'{{"status": "{status}"}}',
            )
        )
        if wm_at is not None:
            details = json.dumps(
                {
                    "before": {"text": "", "tags": []},
                    "after": {"text": what_matters, "tags": json.loads(tags)},
                }
            )
            events.append(
                (
                    EventKind.WHAT_MATTERS_CHANGED,
                    wm_at,
                    cid,
                    None,
                    None,
                    None,
                    None,
                    actor[1] if actor else None,
                    what_matters[:200],
                    details,
                )
            )
        return created_ts

    def _unique(self, make) -> str:
        k = 0
        value = make(k)
        while value in self.taken:
            k += 1
            value = make(k)
        if k:
            self.taken.add(value)
        return value

    # --- conversations ---------------------------------------------------------------------

    def use_existing_customers(self) -> None:
        rows = list(Customer.objects.values_list("id", "created_at"))
        self.customer_pool = [r[0] for r in rows]
        self.customer_since = {r[0]: r[1].timestamp() for r in rows}

    def _pick_customer(self) -> tuple[int, float]:
        pool = self.customer_pool
        if isinstance(pool, tuple):
            first, count = pool
            index = self.rng.randrange(count)
            return first + index, self.customer_since[index]
        cid = self.rng.choice(pool)
        return cid, self.customer_since[cid]

    def conversations(self, count: int, counts: VolumeCounts, progress: tqdm) -> None:
        for start in range(0, count, CONVERSATION_CHUNK):
            size = min(CONVERSATION_CHUNK, count - start)
            replies = [self.rng.random() < 0.6 for _ in range(size)]
            with transaction.atomic():
                first_conversation = reserve_ids(Conversation, size)
                first_message = reserve_ids(Message, size + sum(replies))
            chunk = _Chunk()
            message_id = first_message
            for i, replied in enumerate(replies):
                message_id = self._conversation(first_conversation + i, message_id, replied, chunk)
            with transaction.atomic(), relaxed_checks():
                counts.conversations += write_rows(
                    Conversation, CONVERSATION_COLUMNS, chunk.conversations
                )
                counts.messages += write_rows(Message, MESSAGE_COLUMNS, chunk.messages)
                counts.events += write_rows(TimelineEvent, EVENT_COLUMNS, chunk.events)
            progress.update(size)

    def _conversation(
        self, conversation_id: int, message_id: int, replied: bool, chunk: _Chunk
    ) -> int:
        rng = self.rng
        customer_id, since = self._pick_customer()
        channel = rng.choices(self.channels, self.channel_weights)[0]
        purpose = rng.choices(self.purposes, self.purpose_weights)[0]
        script = rng.choice(SCRIPTS[purpose])
        branch_id = rng.choice(self.branch_ids) if channel == Channel.IN_PERSON else None
        team_id = self.team_ids.get(
            catalogue.COMPLAINTS_TEAM
            if purpose == Purpose.COMPLAINT
            else catalogue.CONTACT_CENTRE_TEAM
        )
        started_ts = since + rng.random() * (self.now - 600 - since)
        started = _moment(started_ts)
        events = chunk.events
        details = f'{{"channel": "{channel}", "purpose": "{purpose}"}}'
        events.append(
            (
                EventKind.CONVERSATION_CREATED,
                started,
                customer_id,
                conversation_id,
                None,
                None,
                branch_id,
                None,
                script.subject[:200],
                details,
            )
        )
        html = f"<p>{script.opening}</p>" if channel == Channel.EMAIL else ""
        chunk.messages.append(
            (
                message_id,
                conversation_id,
                channel,
                Direction.INBOUND,
                script.opening,
                html,
                None,
                DeliveryStatus.RECEIVED,
                None,
                started,
                None,
            )
        )
        events.append(
            (
                EventKind.MESSAGE_IN,
                started,
                customer_id,
                conversation_id,
                message_id,
                None,
                branch_id,
                None,
                script.opening[:200],
                "{}",
            )
        )
        message_id += 1
        last_ts, updated_ts = started_ts, started_ts
        status, assignee_id = ConversationStatus.NEW, None
        if replied:
            agent_id, user_id, agent_name = rng.choice(self.agents)
            assignee_id = agent_id
            assigned_ts = min(started_ts + rng.uniform(60, 1_200), self.now)
            events.append(
                (
                    EventKind.ASSIGNED,
                    _moment(assigned_ts),
                    customer_id,
                    conversation_id,
                    None,
                    None,
                    branch_id,
                    user_id,
                    agent_name,
                    f'{{"assignee": {agent_id}}}',
                )
            )
            last_ts = min(assigned_ts + rng.uniform(60, 7_200), self.now)
            replied_at = _moment(last_ts)
            text = script.reply.replace("{name}", "Bapak/Ibu")
            delivery = DeliveryStatus.READ if channel in LIVE_CHANNELS else DeliveryStatus.SENT
            chunk.messages.append(
                (
                    message_id,
                    conversation_id,
                    channel,
                    Direction.OUTBOUND,
                    text,
                    f"<p>{text}</p>" if html else "",
                    None,
                    delivery,
                    agent_id,
                    replied_at,
                    _moment(min(last_ts + 30, self.now)),
                )
            )
            events.append(
                (
                    EventKind.MESSAGE_OUT,
                    replied_at,
                    customer_id,
                    conversation_id,
                    message_id,
                    None,
                    branch_id,
                    user_id,
                    text[:200],
                    "{}",
                )
            )
            message_id += 1
            roll = rng.random()
            status = (
                ConversationStatus.CLOSED
                if roll < 0.35
                else ConversationStatus.RESOLVED
                if roll < 0.85
                else ConversationStatus.OPEN
            )
            updated_ts = min(last_ts + rng.uniform(60, 3_600), self.now)
            events.append(
                (
                    EventKind.STATUS_CHANGED,
                    _moment(updated_ts),
                    customer_id,
                    conversation_id,
                    None,
                    None,
                    branch_id,
                    user_id,
                    f"{ConversationStatus.NEW} → {status}",
                    f'{{"before": "{ConversationStatus.NEW}", "after": "{status}"}}',
                )
            )
        chunk.conversations.append(
            (
                conversation_id,
                customer_id,
                channel,
                purpose,
                2,
                status,
                script.subject,
                assignee_id,
                team_id,
                branch_id,
                started,
                _moment(updated_ts),
                _moment(last_ts),
            )
        )
        return message_id


def generate_volume(
    roster: Roster, *, customers: int, conversations: int, rng: random.Random, now: datetime
) -> VolumeCounts:
    counts = VolumeCounts()
    began = time.monotonic()
    generator = VolumeGenerator(rng, roster, now)
    if customers:
        with tqdm(total=customers, desc="customers", unit="row", file=sys.stderr) as progress:
            generator.customers(customers, counts, progress)
    else:
        generator.use_existing_customers()
    if conversations:
        if not generator.customer_pool or generator.customer_pool == (0, 0):
            raise ValueError("Conversations need customers: pass --customers as well.")
        with tqdm(
            total=conversations, desc="conversations", unit="row", file=sys.stderr
        ) as progress:
            generator.conversations(conversations, counts, progress)
    counts.seconds = time.monotonic() - began
    return counts


def rows_written(counts: VolumeCounts) -> Iterator[tuple[str, int]]:
    yield "customers", counts.customers
    yield "identities", counts.identities
    yield "conversations", counts.conversations
    yield "messages", counts.messages
    yield "timeline events", counts.events
