"""`layani seed --customers N --conversations M`: large, realistic data fast, for benchmarks.

Bypasses the actions like the demo history does, and writes the rows they would have
written: customers with their identities and timeline; conversations told by
`conversation_story` (statuses from new to closed, assignment, waiting/due/response
moments, messages, tags, read markers and their timeline, see `volume_conversations`); and
the search index rows of all of them. Rows are tuples streamed through `bulk_load`
(COPY on PostgreSQL, executemany on SQLite) from precomputed pools, a chunk per
transaction. On PostgreSQL a load larger than what the tables hold drops their secondary
indexes first and builds them once at the end.
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
    ConversationRead,
    EventKind,
    Message,
    TimelineEvent,
)
from layani.customers.identities import normalise_name
from layani.customers.models import (
    Customer,
    CustomerIdentity,
    CustomerStatus,
    IdentityKind,
    MembershipTier,
)
from layani.demo.bulk_load import (
    ChunkWriter,
    indexes_built_after,
    relaxed_checks,
    reserve_ids,
    take_ids,
    write_rows,
)
from layani.demo.people import EMAIL_DOMAINS, WHAT_MATTERS, NamePool, given_name, mobile_number
from layani.demo.search_rows import SEARCH_COLUMNS, customer_row
from layani.demo.staff_roster import Roster
from layani.demo.volume_conversations import (
    CONVERSATION_COLUMNS,
    EVENT_COLUMNS,
    MESSAGE_COLUMNS,
    ConversationChunk,
    ConversationRows,
    Picked,
)
from layani.search.models import SearchDocument

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
# The tables a volume load writes, in the order it writes them.
LOADED_MODELS = (
    Customer,
    CustomerIdentity,
    Conversation,
    Message,
    TimelineEvent,
    Conversation.tags.through,
    ConversationRead,
    SearchDocument,
)
__all__ = [
    "CONVERSATION_COLUMNS",
    "CUSTOMER_COLUMNS",
    "EVENT_COLUMNS",
    "IDENTITY_COLUMNS",
    "MESSAGE_COLUMNS",
    "VolumeCounts",
    "generate_volume",
    "rows_written",
]


@dataclass
class VolumeCounts:
    customers: int = 0
    identities: int = 0
    conversations: int = 0
    messages: int = 0
    events: int = 0
    tags: int = 0
    reads: int = 0
    documents: int = 0
    indexes_rebuilt: int = 0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return (
            self.customers
            + self.identities
            + self.conversations
            + self.messages
            + self.events
            + self.tags
            + self.reads
            + self.documents
        )


def _moment(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@dataclass
class _Chunk:
    customers: list[tuple[Any, ...]] = field(default_factory=list)
    identities: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    documents: list[tuple[Any, ...]] = field(default_factory=list)


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
        self.labels = {kind: str(IdentityKind(kind).label) for kind in IdentityKind.values}
        self.taken = set(
            CustomerIdentity.objects.filter(
                kind__in=[IdentityKind.PHONE, IdentityKind.WHATSAPP, IdentityKind.EMAIL]
            ).values_list("value", flat=True)
        )
        self.customer_pool: tuple[int, int] | list[int] = (0, 0)
        self.customer_since: dict[int, float] | list[float] = []
        self.first_names: dict[int, str] | list[str] = []

    # --- customers -------------------------------------------------------------------------

    def customers(self, count: int, counts: VolumeCounts, progress: tqdm, *, search: bool) -> None:
        with transaction.atomic():
            first_id = reserve_ids(Customer, count)
        since: list[float] = []
        first_names: list[str] = []

        def write(chunk: _Chunk) -> None:
            with transaction.atomic(), relaxed_checks():
                counts.customers += write_rows(Customer, CUSTOMER_COLUMNS, chunk.customers)
                counts.identities += write_rows(
                    CustomerIdentity, IDENTITY_COLUMNS, chunk.identities
                )
                counts.events += write_rows(TimelineEvent, EVENT_COLUMNS, chunk.events)
                if search:
                    counts.documents += write_rows(SearchDocument, SEARCH_COLUMNS, chunk.documents)
            progress.update(len(chunk.customers))

        with ChunkWriter(write) as chunks:
            for start in range(0, count, CUSTOMER_CHUNK):
                chunk = _Chunk()
                for cid in range(first_id + start, first_id + min(start + CUSTOMER_CHUNK, count)):
                    created, first_name = self._customer(cid, chunk, search=search)
                    since.append(created)
                    first_names.append(first_name)
                chunks.submit(chunk)
        self.customer_pool = (first_id, count)
        self.customer_since = since
        self.first_names = first_names

    def _customer(self, cid: int, chunk: _Chunk, *, search: bool) -> tuple[float, str]:
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
        if search:
            document = customer_row(
                Customer(
                    pk=cid, full_name=full_name, membership_number=member_number, created_at=created
                ),
                [CustomerIdentity(kind=kind, value=value) for kind, value in identities],
            )
            if document is not None:
                chunk.documents.append(document)
        return created_ts, parts[0]

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
        rows = list(Customer.objects.values_list("id", "created_at", "full_name"))
        self.customer_pool = [r[0] for r in rows]
        self.customer_since = {r[0]: r[1].timestamp() for r in rows}
        self.first_names = {r[0]: given_name(r[2]) for r in rows}

    def _pick_customer(self) -> Picked:
        pool = self.customer_pool
        if isinstance(pool, tuple):
            first, count = pool
            index = self.rng.randrange(count)
            return Picked(first + index, self.customer_since[index], self.first_names[index])
        cid = self.rng.choice(pool)
        return Picked(cid, self.customer_since[cid], self.first_names[cid])

    def conversations(
        self,
        count: int,
        counts: VolumeCounts,
        progress: tqdm,
        *,
        messages_per_conversation: float | None,
        search: bool,
    ) -> None:
        rows = ConversationRows(
            self.rng,
            now=self.now,
            branch_ids=self.branch_ids,
            messages_per_conversation=messages_per_conversation,
        )
        with transaction.atomic():
            first_conversation = reserve_ids(Conversation, count)
            reserve_ids(Message, 0)

        def write(chunk: ConversationChunk) -> None:
            with transaction.atomic(), relaxed_checks():
                written = chunk.write(search=search)
            counts.conversations += written["conversations"]
            counts.messages += written["messages"]
            counts.events += written["events"]
            counts.tags += written["tags"]
            counts.reads += written["reads"]
            counts.documents += written.get("documents", 0)
            progress.update(written["conversations"])

        with ChunkWriter(write) as chunks:
            for start in range(0, count, CONVERSATION_CHUNK):
                size = min(CONVERSATION_CHUNK, count - start)
                told = [rows.tell(self._pick_customer()) for _ in range(size)]
                with transaction.atomic():
                    message_ids = iter(take_ids(Message, sum(t.story.messages for t in told)))
                chunk = ConversationChunk()
                first = first_conversation + start
                for offset, conversation in enumerate(told):
                    rows.rows(chunk, conversation, first + offset, message_ids)
                chunks.submit(chunk)


def generate_volume(
    roster: Roster,
    *,
    customers: int,
    conversations: int,
    rng: random.Random,
    now: datetime,
    messages_per_conversation: float | None = None,
    search_index: bool = True,
    defer_indexes: bool | None = None,
) -> VolumeCounts:
    """Add `customers` customers and `conversations` conversations (to new or, without
    customers, to the existing customers).

    `messages_per_conversation`: the average to reach (None: as the scripts go, about 3).
    `search_index`: write the search index rows too (as `layani reindex` would).
    `defer_indexes`: build the secondary indexes after the load (PostgreSQL); None decides
    by size: when the load is larger than what the tables already hold.
    """
    if messages_per_conversation is not None and messages_per_conversation < 1:
        raise ValueError("A conversation has at least one message.")
    counts = VolumeCounts()
    began = time.monotonic()
    generator = VolumeGenerator(rng, roster, now)
    if defer_indexes is None:
        defer_indexes = (
            conversations > Conversation.objects.count()
            if conversations
            else customers > Customer.objects.count()
        )
    with indexes_built_after(LOADED_MODELS, enabled=defer_indexes) as dropped:
        if customers:
            with tqdm(total=customers, desc="customers", unit="row", file=sys.stderr) as progress:
                generator.customers(customers, counts, progress, search=search_index)
        else:
            generator.use_existing_customers()
        if conversations:
            if not generator.customer_pool or generator.customer_pool == (0, 0):
                raise ValueError("Conversations need customers: pass --customers as well.")
            with tqdm(
                total=conversations, desc="conversations", unit="row", file=sys.stderr
            ) as progress:
                generator.conversations(
                    conversations,
                    counts,
                    progress,
                    messages_per_conversation=messages_per_conversation,
                    search=search_index,
                )
        counts.indexes_rebuilt = dropped
    counts.seconds = time.monotonic() - began
    return counts


def rows_written(counts: VolumeCounts) -> Iterator[tuple[str, int]]:
    yield "customers", counts.customers
    yield "identities", counts.identities
    yield "conversations", counts.conversations
    yield "messages", counts.messages
    yield "timeline events", counts.events
    yield "tags", counts.tags
    yield "read markers", counts.reads
    yield "search rows", counts.documents
