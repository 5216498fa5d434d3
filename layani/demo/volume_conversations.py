"""The volume mode's conversations: every row a conversation's story leaves, as tuples.

For each conversation: the conversation (status, team, assignee, `waiting_since`, `due_at`,
`first_response_at`, `resolved_at`, `closed_at` as the actions would have left them; see
`conversation_story`), its messages, its timeline rows, its tags, the assignee's read
marker, and the search index rows of its messages and subject. Streamed through
`bulk_load.write_rows` (COPY on PostgreSQL) a chunk per transaction.
"""

import html
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from layani.conversations.models import (
    PREVIEW_LENGTH,
    Conversation,
    ConversationRead,
    DeliveryStatus,
    Direction,
    EventKind,
    Message,
    TimelineEvent,
)
from layani.core.choices import Channel
from layani.demo import catalogue
from layani.demo import timeline_entries as entries
from layani.demo.bulk_load import as_json, write_rows
from layani.demo.conversation_story import (
    ASSIGNED,
    CHANNEL_WEIGHTS,
    DOCUMENTED,
    MESSAGE,
    PURPOSE_WEIGHTS,
    READ,
    READ_RECEIPTS,
    STATUS,
    TAGGED,
    Story,
    StoryTeller,
    choose_priority,
    final_status,
    message_count,
)
from layani.demo.message_texts import MessageTexts, joined
from layani.demo.search_rows import SEARCH_COLUMNS, IndexText, Row
from layani.demo.staff_pools import Person, StaffPools, ensure_tags
from layani.demo.texts import SCRIPTS
from layani.search.models import SearchDocument

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
    "last_preview",
    "last_inbound_at",
    "waiting_since",
    "due_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "tag_ids",
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
    "meta",
)
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
TAG_COLUMNS = ("conversation_id", "tag_id")
READ_COLUMNS = ("staff_id", "conversation_id", "read_at")
MESSAGE_EVENTS: dict[str, str] = {
    Direction.INBOUND: EventKind.MESSAGE_IN,
    Direction.OUTBOUND: EventKind.MESSAGE_OUT,
    Direction.NOTE: EventKind.NOTE,
}


def moment(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@dataclass
class ConversationChunk:
    conversations: list[Row] = field(default_factory=list)
    messages: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    tags: list[Row] = field(default_factory=list)
    reads: list[Row] = field(default_factory=list)
    documents: list[Row] = field(default_factory=list)

    def write(self, *, search: bool) -> dict[str, int]:
        written = {
            "conversations": write_rows(Conversation, CONVERSATION_COLUMNS, self.conversations),
            "messages": write_rows(Message, MESSAGE_COLUMNS, self.messages),
            "events": write_rows(TimelineEvent, EVENT_COLUMNS, self.events),
            "tags": write_rows(Conversation.tags.through, TAG_COLUMNS, self.tags),
            "reads": write_rows(ConversationRead, READ_COLUMNS, self.reads),
        }
        if search:
            written["documents"] = write_rows(SearchDocument, SEARCH_COLUMNS, self.documents)
        return written


@dataclass(frozen=True)
class Told:
    """A conversation told but not written yet (its ids are reserved per chunk)."""

    story: Story
    customer_id: int
    channel: str
    purpose: str
    priority: int
    subject: str
    team_id: int | None
    assignee: Person | None
    branch_id: int | None


@dataclass(frozen=True)
class Picked:
    """A customer to write: id, when they became a customer, first name for replies."""

    customer_id: int
    since: float
    first_name: str


class ConversationRows:
    """Tells conversations and turns them into rows, one conversation at a time."""

    def __init__(
        self,
        rng: random.Random,
        *,
        now: float,
        branch_ids: Sequence[int],
        messages_per_conversation: float | None,
    ) -> None:
        self.rng = rng
        self.now = now
        self.average = messages_per_conversation
        self.branch_ids = list(branch_ids)
        self.pools = StaffPools()
        self.teller = StoryTeller(rng, MessageTexts(rng), now)
        self.index = IndexText()
        self.channels, self.channel_weights = list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values())
        self.purposes, self.purpose_weights = list(PURPOSE_WEIGHTS), list(PURPOSE_WEIGHTS.values())
        self.tag_ids = ensure_tags()
        self.tag_names = {tag_id: name for name, tag_id in self.tag_ids.items()}
        self.conversations = 0
        self.messages = 0
        self._details: dict[tuple[object, ...], str] = {}

    # --- choosing --------------------------------------------------------------------------

    def _tags(self, purpose: str) -> list[int]:
        rng = self.rng
        names = [rng.choice(catalogue.TAGS_BY_PURPOSE[purpose])]
        if rng.random() < 0.3:
            names.append(rng.choice(catalogue.COMMON_TAGS))
        return [self.tag_ids[n] for n in dict.fromkeys(names)]

    # --- one conversation ------------------------------------------------------------------

    def tell(self, who: Picked) -> "Told":
        """Choose how the customer's next conversation goes, and tell it."""
        rng = self.rng
        channel = rng.choices(self.channels, self.channel_weights)[0]
        purpose = rng.choices(self.purposes, self.purpose_weights)[0]
        script = rng.choice(SCRIPTS[purpose])
        priority = choose_priority(rng, purpose)
        branch_id = rng.choice(self.branch_ids) if channel == Channel.IN_PERSON else None
        started = who.since + rng.random() * (self.now - 600 - who.since)
        status = final_status(rng, self.now - started)
        documented = channel in DOCUMENTED
        team_id, assignee = self.pools.handling(
            rng,
            purpose=purpose,
            channel=channel,
            branch_id=branch_id,
            status=status,
            documented=documented,
        )
        deficit = (
            self.average * self.conversations - self.messages if self.average is not None else 0.0
        )
        count = message_count(
            rng,
            average=self.average,
            script=script,
            status=status,
            documented=documented,
            deficit=deficit,
        )
        note = count >= 3 and (bool(script.note) if self.average is None else rng.random() < 0.3)
        story = self.teller.tell(
            script=script,
            channel=channel,
            priority=priority,
            started=started,
            status=status,
            messages=count,
            assigned=assignee is not None,
            first_name=who.first_name,
            note=note,
        )
        self.conversations += 1
        self.messages += story.messages
        return Told(
            story=story,
            customer_id=who.customer_id,
            channel=channel,
            purpose=purpose,
            priority=priority,
            subject=script.subject,
            team_id=team_id,
            assignee=assignee,
            branch_id=branch_id,
        )

    def rows(
        self,
        chunk: ConversationChunk,
        told: "Told",
        conversation_id: int,
        message_ids: Iterator[int],
    ) -> None:
        """The told conversation's rows, with its id, its messages' ids taken in order."""
        self._rows(
            chunk,
            told.story,
            conversation_id=conversation_id,
            message_ids=message_ids,
            customer_id=told.customer_id,
            channel=told.channel,
            purpose=told.purpose,
            priority=told.priority,
            subject=told.subject,
            team_id=told.team_id,
            assignee=told.assignee,
            branch_id=told.branch_id,
        )

    def _rows(
        self,
        chunk: ConversationChunk,
        story: Story,
        *,
        conversation_id: int,
        message_ids: Iterator[int],
        customer_id: int,
        channel: str,
        purpose: str,
        priority: int,
        subject: str,
        team_id: int | None,
        assignee: Person | None,
        branch_id: int | None,
    ) -> None:
        state = story.state
        started = moment(state.created_at)
        events = chunk.events
        staff_id = assignee.staff_id if assignee else None
        # The final state's values, in FACET_FIELDS order, on each of its index rows.
        facets = (state.status, channel, purpose, priority, branch_id, team_id, staff_id)
        staff_user = assignee.user_id if assignee else None
        creator = staff_user if channel in DOCUMENTED else None
        events.append(
            (
                EventKind.CONVERSATION_CREATED,
                started,
                customer_id,
                conversation_id,
                None,
                None,
                branch_id,
                creator,
                subject[:200],
                self._created(channel, purpose),
            )
        )
        email = channel == Channel.EMAIL
        for beat in story.beats:
            at = moment(beat.at)
            actor = staff_user if beat.by_staff else None
            if beat.kind == MESSAGE:
                message_id = next(message_ids)
                text = joined(beat.text)
                direction = beat.direction
                delivery, changed = self._delivery(direction, channel, beat.at)
                chunk.messages.append(
                    (
                        message_id,
                        conversation_id,
                        channel,
                        direction,
                        text,
                        f"<p>{html.escape(text)}</p>" if email else "",
                        self._external_id(channel, message_id)
                        if direction == Direction.INBOUND
                        else None,
                        delivery,
                        staff_id if beat.by_staff else None,
                        at,
                        changed,
                        "{}",
                    )
                )
                events.append(
                    (
                        MESSAGE_EVENTS[direction],
                        at,
                        customer_id,
                        conversation_id,
                        message_id,
                        None,
                        branch_id,
                        actor,
                        text.strip()[:200],
                        "{}",
                    )
                )
                document = self.index.message_row(
                    message_id=message_id,
                    conversation_id=conversation_id,
                    direction=direction,
                    parts=beat.text,
                    created_at=at,
                    facets=facets,
                )
                if document is not None:
                    chunk.documents.append(document)
            elif beat.kind == ASSIGNED and assignee is not None:
                events.append(
                    (
                        EventKind.ASSIGNED,
                        at,
                        customer_id,
                        conversation_id,
                        None,
                        None,
                        branch_id,
                        actor,
                        assignee.name,
                        self._assigned(assignee, team_id),
                    )
                )
            elif beat.kind == STATUS:
                events.append(
                    (
                        EventKind.STATUS_CHANGED,
                        at,
                        customer_id,
                        conversation_id,
                        None,
                        None,
                        branch_id,
                        actor,
                        f"{beat.before} → {beat.after}",
                        self._status(beat.before, beat.after),
                    )
                )
        rng = self.rng
        tag_ids: list[int] = []
        if assignee is not None and story.first_staff_at is not None and rng.random() < TAGGED:
            tag_ids = self._tags(purpose)
            chunk.tags.extend((conversation_id, tag_id) for tag_id in tag_ids)
            names = [self.tag_names[t] for t in tag_ids]
            events.append(
                (
                    EventKind.TAGS_CHANGED,
                    moment(story.first_staff_at),
                    customer_id,
                    conversation_id,
                    None,
                    None,
                    branch_id,
                    staff_user,
                    *self._tags_entry(names),
                )
            )
        if assignee is not None and story.last_staff_at is not None and rng.random() < READ:
            chunk.reads.append((staff_id, conversation_id, moment(story.last_staff_at)))
        chunk.conversations.append(
            (
                conversation_id,
                customer_id,
                channel,
                purpose,
                priority,
                state.status,
                subject,
                staff_id,
                team_id,
                branch_id,
                started,
                moment(state.updated_at),
                moment(state.last_message_at) if state.last_message_at is not None else None,
                joined(state.last_text)[:PREVIEW_LENGTH],
                moment(state.last_inbound_at) if state.last_inbound_at is not None else None,
                moment(state.waiting_since) if state.waiting_since is not None else None,
                moment(state.due_at),
                moment(state.first_response_at) if state.first_response_at is not None else None,
                moment(state.resolved_at) if state.resolved_at is not None else None,
                moment(state.closed_at) if state.closed_at is not None else None,
                as_json(sorted(tag_ids)),
            )
        )
        document = self.index.subject_row(
            conversation_id=conversation_id, subject=subject, created_at=started, facets=facets
        )
        if document is not None:
            chunk.documents.append(document)

    # --- row details -----------------------------------------------------------------------

    def _delivery(self, direction: str, channel: str, at: float) -> tuple[str, datetime | None]:
        """A reply's delivery status as the channel reported it, and when."""
        if direction != Direction.OUTBOUND:
            return DeliveryStatus.RECEIVED, None
        if self.now - at < 120:
            return DeliveryStatus.PENDING, None
        changed = moment(min(at + self.rng.uniform(2, 600), self.now))
        if channel in READ_RECEIPTS:
            read = self.rng.random() < 0.8
            return (DeliveryStatus.READ if read else DeliveryStatus.DELIVERED), changed
        return DeliveryStatus.SENT, changed

    @staticmethod
    def _external_id(channel: str, message_id: int) -> str | None:
        if channel == Channel.WHATSAPP:
            return f"wamid.HBgMNjI4{message_id:012d}"
        if channel == Channel.EMAIL:
            return f"<{message_id}.layani@mail.gmail.com>"
        return None

    def _tags_entry(self, names: list[str]) -> tuple[str, str]:
        _kind, summary, details = entries.tags_changed(names)
        return summary, json.dumps(details)

    # Details as JSON text in the shapes of `timeline_entries`, each distinct one built once.

    def _created(self, channel: str, purpose: str) -> str:
        key = ("created", channel, purpose)
        details = self._details.get(key)
        if details is None:
            details = json.dumps(entries.conversation_created("", channel, purpose)[2])
            self._details[key] = details
        return details

    def _assigned(self, person: Person, team_id: int | None) -> str:
        key = ("assigned", person.staff_id, team_id)
        details = self._details.get(key)
        if details is None:
            details = json.dumps(entries.assigned(person.staff_id, person.name, team_id)[2])
            self._details[key] = details
        return details

    def _status(self, before: str, after: str) -> str:
        key = ("status", before, after)
        details = self._details.get(key)
        if details is None:
            details = json.dumps(entries.status_changed(before, after)[2])
            self._details[key] = details
        return details
