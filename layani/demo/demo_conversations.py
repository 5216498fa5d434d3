"""The demo bank's contacts over every channel: conversations, messages and their timeline.

Each conversation follows one script from `texts.py` through the lifecycle the agent
workspace writes (`conversation_story`): the customer writes, the team or the shared pool
holds it, an agent takes it, answers, waits on the customer, resolves, and three days later
it closes. Recent ones are still being worked, so the inbox has work in every state, in the
order of `due_at`. Rows match what the actions record (`timeline_entries` has the shapes),
including tags and the assignee's read marker. The search index is built afterwards by
`layani reindex` (see `demo_seed`).
"""

import html
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from layani.conversations.models import (
    PREVIEW_LENGTH,
    Conversation,
    ConversationRead,
    DeliveryStatus,
    Direction,
    Message,
    TimelineEvent,
)
from layani.conversations.recipients import ADDRESSED_CHANNELS
from layani.core.choices import Channel, Purpose
from layani.customers.models import Customer, CustomerIdentity, CustomerStatus, IdentityKind
from layani.demo import catalogue
from layani.demo import timeline_entries as entries
from layani.demo.bulk_load import insert_objects
from layani.demo.business import Business
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
from layani.demo.demo_customers import Window
from layani.demo.message_texts import MessageTexts, joined
from layani.demo.people import given_name
from layani.demo.staff_pools import Person, StaffPools, ensure_tags
from layani.demo.staff_roster import Roster
from layani.demo.texts import SCRIPTS

BATCH = 1_000
__all__ = ["CHANNEL_WEIGHTS", "PURPOSE_WEIGHTS", "ConversationGenerator"]


def _moment(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@dataclass
class _Written:
    """One conversation's rows, waiting for the batch insert."""

    conversation: Conversation
    messages: list[Message] = field(default_factory=list)
    events: list[tuple[entries.Entry, datetime, int | None, Message | None]] = field(
        default_factory=list
    )
    tag_ids: list[int] = field(default_factory=list)
    read: tuple[int, datetime] | None = None  # the assignee's read marker


K = TypeVar("K", bound=str)


def _weighted(rng: random.Random, weights: Mapping[K, int]) -> K:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class ConversationGenerator:
    def __init__(
        self,
        rng: random.Random,
        window: Window,
        business: Business,
        roster: Roster,
        customers: list[Customer],
        *,
        messages_per_conversation: float | None = None,
    ) -> None:
        self.rng = rng
        self.window = window
        self.now = window.now.timestamp()
        self.business = business
        self.roster = roster
        self.prospects = [c for c in customers if c.status == CustomerStatus.PROSPECT]
        self.known = [c for c in customers if c.status == CustomerStatus.CUSTOMER]
        # What each customer can be written to at: a conversation comes in by a channel the
        # customer has an address on, so the reply box can answer through it.
        self.kinds: dict[int, set[str]] = {}
        for customer_id, kind in CustomerIdentity.objects.filter(
            customer__in=[c.pk for c in customers]
        ).values_list("customer_id", "kind"):
            self.kinds.setdefault(customer_id, set()).add(kind)
        self.branches = list(business.branches.values())
        self.pools = StaffPools()
        self.teller = StoryTeller(rng, MessageTexts(rng), self.now)
        self.average = messages_per_conversation
        self.tag_ids = ensure_tags()
        self.conversations = 0
        self.messages = 0
        self.external_ids = 0

    def generate(self, count: int) -> int:
        """Write `count` conversations; return how many messages were written."""
        messages = 0
        through = Conversation.tags.through
        for start in range(0, count, BATCH):
            written = [self._conversation() for _ in range(min(BATCH, count - start))]
            insert_objects(Conversation, [w.conversation for w in written])
            for w in written:
                for message in w.messages:
                    message.conversation = w.conversation
            batch = [m for w in written for m in w.messages]
            insert_objects(Message, batch)
            insert_objects(
                TimelineEvent, [self._event(w, *event) for w in written for event in w.events]
            )
            insert_objects(
                through,
                [
                    through(conversation_id=w.conversation.pk, tag_id=tag_id)
                    for w in written
                    for tag_id in w.tag_ids
                ],
            )
            insert_objects(
                ConversationRead,
                [
                    ConversationRead(
                        staff_id=w.read[0], conversation=w.conversation, read_at=w.read[1]
                    )
                    for w in written
                    if w.read is not None
                ],
            )
            messages += len(batch)
        return messages

    def _event(
        self,
        written: _Written,
        entry: entries.Entry,
        at: datetime,
        actor_id: int | None,
        message: Message | None,
    ) -> TimelineEvent:
        kind, summary, details = entry
        conversation = written.conversation
        return TimelineEvent(
            kind=kind,
            occurred_at=at,
            customer=conversation.customer,
            conversation=conversation,
            message=message,
            branch=conversation.branch,
            actor_id=actor_id,
            summary=summary[:500],
            details=details,
        )

    # --- choosing who, where, when ---------------------------------------------------------

    def _customer(self, purpose: str) -> Customer | None:
        if purpose == Purpose.PROSPECT and self.prospects and self.rng.random() < 0.8:
            return self.rng.choice(self.prospects)
        if self.rng.random() < 0.03:
            return None  # an anonymous web visitor who never left a contact
        return self.rng.choice(self.known)

    def _reachable(self, customer: Customer, channel: Channel) -> Channel:
        """`channel`, or when it needs an address the customer has not given (an email
        without an email address), WhatsApp or a phone call instead."""
        kinds = self.kinds.get(customer.pk, set())
        wanted = ADDRESSED_CHANNELS.get(channel)
        if wanted is None or kinds.intersection(wanted):
            return channel
        return Channel.WHATSAPP if IdentityKind.WHATSAPP in kinds else Channel.PHONE

    def _started_at(self, customer: Customer | None) -> datetime:
        rng, window = self.rng, self.window
        earliest = max(window.start, customer.created_at) if customer else window.start
        moment = window.moment_between(rng, earliest, window.now - timedelta(minutes=10))
        local_hour = (moment.hour + 7) % 24  # most contacts come in waking hours (WIB)
        if local_hour < 6 or local_hour > 22:
            moment -= timedelta(hours=rng.randint(6, 9))
        return max(moment, earliest)

    # --- one conversation ------------------------------------------------------------------

    def _conversation(self) -> _Written:
        rng = self.rng
        purpose = _weighted(rng, PURPOSE_WEIGHTS)
        channel = _weighted(rng, CHANNEL_WEIGHTS)
        customer = self._customer(purpose)
        if customer is None:
            channel = rng.choice([Channel.WEBCHAT, Channel.ASSISTANT])
        else:
            channel = self._reachable(customer, channel)
        branch = rng.choice(self.branches) if channel == Channel.IN_PERSON else None
        script = rng.choice(SCRIPTS[purpose])
        started = self._started_at(customer)
        priority = choose_priority(rng, purpose)
        status = final_status(rng, self.now - started.timestamp())
        documented = channel in DOCUMENTED
        team_id, assignee = self.pools.handling(
            rng,
            purpose=purpose,
            channel=channel,
            branch_id=branch.pk if branch else None,
            status=status,
            documented=documented,
        )
        deficit = self.average * self.conversations - self.messages if self.average else 0.0
        count = message_count(
            rng,
            average=self.average,
            script=script,
            status=status,
            documented=documented,
            deficit=deficit,
        )
        note = count >= 3 and (bool(script.note) if self.average is None else rng.random() < 0.3)
        first_name = given_name(customer.full_name) if customer else "Kak"
        story = self.teller.tell(
            script=script,
            channel=channel,
            priority=priority,
            started=started.timestamp(),
            status=status,
            messages=count,
            assigned=assignee is not None,
            first_name=first_name,
            note=note,
        )
        self.conversations += 1
        self.messages += story.messages
        state = story.state
        conversation = Conversation(
            customer=customer,
            channel=channel,
            purpose=purpose,
            priority=priority,
            status=state.status,
            subject=script.subject,
            branch=branch,
            team_id=team_id,
            assignee_id=assignee.staff_id if assignee else None,
            created_at=_moment(state.created_at),
            updated_at=_moment(state.updated_at),
            last_message_at=_optional(state.last_message_at),
            last_preview=joined(state.last_text)[:PREVIEW_LENGTH],
            last_inbound_at=_optional(state.last_inbound_at),
            waiting_since=_optional(state.waiting_since),
            due_at=_moment(state.due_at),
            first_response_at=_optional(state.first_response_at),
            resolved_at=_optional(state.resolved_at),
            closed_at=_optional(state.closed_at),
        )
        written = _Written(conversation)
        creator = assignee.user_id if documented and assignee else None
        written.events.append(
            (
                entries.conversation_created(script.subject, channel, purpose),
                conversation.created_at,
                creator,
                None,
            )
        )
        self._beats(written, story, assignee, team_id)
        if assignee is not None and story.first_staff_at is not None and rng.random() < TAGGED:
            names = list(dict.fromkeys(self._tag_names(purpose)))
            written.tag_ids = [self.tag_ids[n] for n in names]
            conversation.tag_ids = sorted(written.tag_ids)
            written.events.append(
                (
                    entries.tags_changed(names),
                    _moment(story.first_staff_at),
                    assignee.user_id,
                    None,
                )
            )
        if assignee is not None and story.last_staff_at is not None and rng.random() < READ:
            written.read = (assignee.staff_id, _moment(story.last_staff_at))
        return written

    def _tag_names(self, purpose: str) -> list[str]:
        rng = self.rng
        names = [rng.choice(catalogue.TAGS_BY_PURPOSE[purpose])]
        if rng.random() < 0.3:
            names.append(rng.choice(catalogue.COMMON_TAGS))
        return names

    def _beats(
        self, written: _Written, story: Story, assignee: Person | None, team_id: int | None
    ) -> None:
        channel = written.conversation.channel
        for beat in story.beats:
            at = _moment(beat.at)
            actor = assignee.user_id if beat.by_staff and assignee else None
            if beat.kind == MESSAGE:
                text = joined(beat.text)
                message = Message(
                    channel=channel,
                    direction=beat.direction,
                    body_text=text,
                    created_at=at,
                    author_id=assignee.staff_id if beat.by_staff and assignee else None,
                    body_html=f"<p>{html.escape(text)}</p>" if channel == Channel.EMAIL else "",
                    delivery_status=self._delivery(beat.direction, channel, beat.at),
                    external_id=(
                        self._external_id(channel) if beat.direction == Direction.INBOUND else None
                    ),
                )
                if message.delivery_status not in (DeliveryStatus.RECEIVED, DeliveryStatus.PENDING):
                    message.status_changed_at = _moment(
                        min(beat.at + self.rng.randint(2, 600), self.now)
                    )
                written.messages.append(message)
                written.events.append((entries.message(beat.direction, text), at, actor, message))
            elif beat.kind == ASSIGNED and assignee is not None:
                entry = entries.assigned(assignee.staff_id, assignee.name, team_id)
                written.events.append((entry, at, actor, None))
            elif beat.kind == STATUS:
                entry = entries.status_changed(beat.before, beat.after)
                written.events.append((entry, at, actor, None))

    def _delivery(self, direction: str, channel: str, at: float) -> str:
        if direction != Direction.OUTBOUND:
            return DeliveryStatus.RECEIVED
        if self.now - at < 120:
            return DeliveryStatus.PENDING
        if channel in READ_RECEIPTS:
            return DeliveryStatus.READ if self.rng.random() < 0.8 else DeliveryStatus.DELIVERED
        return DeliveryStatus.SENT

    def _external_id(self, channel: str) -> str | None:
        self.external_ids += 1
        if channel == Channel.WHATSAPP:
            return f"wamid.HBgLNjI4{self.external_ids:012d}"
        if channel == Channel.EMAIL:
            return f"<demo.{self.external_ids:08d}@mail.gmail.com>"
        return None


def _optional(ts: float | None) -> datetime | None:
    return _moment(ts) if ts is not None else None
