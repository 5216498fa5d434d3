"""The demo bank's contacts over every channel: conversations, messages and their timeline.

Each conversation follows one script from `texts.py` through the lifecycle the agent
workspace writes: started, assigned, replied, resolved, closed. Rows match what
`conversations.actions.start_conversation` / `add_message` record; the status and
assignment events use the shape in `timeline_entries`.
"""

import html
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from django.contrib.auth.models import User

from layani.branches.models import Branch
from layani.conversations.models import (
    Conversation,
    ConversationStatus,
    DeliveryStatus,
    Direction,
    Message,
    Priority,
    TimelineEvent,
)
from layani.core.choices import Channel, Purpose
from layani.customers.models import Customer, CustomerStatus
from layani.demo import catalogue
from layani.demo import timeline_entries as entries
from layani.demo.bulk_load import insert_objects
from layani.demo.business import Business
from layani.demo.demo_customers import Window
from layani.demo.staff_roster import Roster
from layani.demo.texts import SCRIPTS, Script
from layani.staff.models import Staff

BATCH = 1_000
CHANNEL_WEIGHTS = {
    Channel.WHATSAPP: 30,
    Channel.PHONE: 16,
    Channel.EMAIL: 15,
    Channel.IN_PERSON: 7,
    Channel.WEBCHAT: 8,
    Channel.INSTAGRAM: 5,
    Channel.TELEGRAM: 4,
    Channel.MESSENGER: 3,
    Channel.CALLBACK: 5,
    Channel.PORTAL: 4,
    Channel.ASSISTANT: 3,
}
PURPOSE_WEIGHTS = {
    Purpose.ROUTINE: 55,
    Purpose.COMPLAINT: 22,
    Purpose.SPECIAL_REQUEST: 13,
    Purpose.PROSPECT: 10,
}
# Channels where staff document the contact as notes rather than exchange messages.
DOCUMENTED = {Channel.PHONE, Channel.CALLBACK, Channel.IN_PERSON}
# How long a first reply typically takes, in minutes, by channel.
REPLY_MINUTES: dict[str, tuple[int, int]] = {Channel.EMAIL: (30, 600), Channel.PORTAL: (60, 900)}
LIVE_REPLY = (1, 25)


@dataclass
class _Story:
    """One conversation being written, with its messages and events in time order."""

    conversation: Conversation
    messages: list[Message] = field(default_factory=list)
    events: list[tuple[entries.Entry, datetime, User | None, Message | None]] = field(
        default_factory=list
    )


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
    ) -> None:
        self.rng = rng
        self.window = window
        self.business = business
        self.roster = roster
        self.prospects = [c for c in customers if c.status == CustomerStatus.PROSPECT]
        self.known = [c for c in customers if c.status == CustomerStatus.CUSTOMER]
        self.branches = list(business.branches.values())
        self.external_ids = 0

    def generate(self, count: int) -> int:
        """Write `count` conversations; return how many messages were written."""
        messages = 0
        for start in range(0, count, BATCH):
            stories = [self._story() for _ in range(min(BATCH, count - start))]
            insert_objects(Conversation, [s.conversation for s in stories])
            batch = [m for s in stories for m in s.messages]
            for story in stories:
                for message in story.messages:
                    message.conversation = story.conversation
            insert_objects(Message, batch)
            insert_objects(
                TimelineEvent, [self._event(story, *e) for story in stories for e in story.events]
            )
            messages += len(batch)
        return messages

    def _event(
        self,
        story: _Story,
        entry: entries.Entry,
        at: datetime,
        actor: User | None,
        message: Message | None,
    ) -> TimelineEvent:
        kind, summary, details = entry
        conversation = story.conversation
        return TimelineEvent(
            kind=kind,
            occurred_at=at,
            customer=conversation.customer,
            conversation=conversation,
            message=message,
            branch=conversation.branch,
            actor=actor,
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

    def _assignee(self, purpose: str, channel: str, branch: Branch | None) -> Staff:
        rng = self.rng
        if branch is not None and self.roster.branch_servers.get(branch.code):
            return rng.choice(self.roster.branch_servers[branch.code])
        if purpose == Purpose.COMPLAINT and self.roster.complaint_agents and rng.random() < 0.6:
            return rng.choice(self.roster.complaint_agents)
        return rng.choice(self.roster.agents)

    def _team_name(self, purpose: str, branch: Branch | None) -> str:
        if branch is not None:
            return catalogue.branch_team_name(branch.code)
        if purpose == Purpose.COMPLAINT:
            return catalogue.COMPLAINTS_TEAM
        if purpose == Purpose.SPECIAL_REQUEST:
            return catalogue.PRIORITY_TEAM
        return catalogue.CONTACT_CENTRE_TEAM

    def _started_at(self, customer: Customer | None) -> datetime:
        rng, window = self.rng, self.window
        earliest = max(window.start, customer.created_at) if customer else window.start
        moment = window.moment_between(rng, earliest, window.now - timedelta(minutes=10))
        local_hour = (moment.hour + 7) % 24  # most contacts come in waking hours (WIB)
        if local_hour < 6 or local_hour > 22:
            moment -= timedelta(hours=rng.randint(6, 9))
        return max(moment, earliest)

    def _final_status(self, age: timedelta) -> str:
        rng, S = self.rng.random(), ConversationStatus
        if age > timedelta(days=14):
            return S.CLOSED if rng < 0.7 else S.RESOLVED if rng < 0.98 else S.PENDING
        if age > timedelta(days=3):
            return (
                S.RESOLVED
                if rng < 0.5
                else S.CLOSED
                if rng < 0.7
                else S.PENDING
                if rng < 0.85
                else S.OPEN
                if rng < 0.95
                else S.NEW
            )
        return (
            S.NEW
            if rng < 0.25
            else S.OPEN
            if rng < 0.55
            else S.PENDING
            if rng < 0.75
            else S.RESOLVED
        )

    # --- writing one story -----------------------------------------------------------------

    def _story(self) -> _Story:
        rng = self.rng
        purpose = _weighted(rng, PURPOSE_WEIGHTS)
        channel = _weighted(rng, CHANNEL_WEIGHTS)
        customer = self._customer(purpose)
        if customer is None:
            channel = rng.choice([Channel.WEBCHAT, Channel.ASSISTANT])
        branch = rng.choice(self.branches) if channel == Channel.IN_PERSON else None
        script = rng.choice(SCRIPTS[purpose])
        started = self._started_at(customer)
        priority = (
            Priority.HIGH
            if purpose == Purpose.COMPLAINT and rng.random() < 0.3
            else (Priority.URGENT if rng.random() < 0.02 else Priority.NORMAL)
        )
        conversation = Conversation(
            customer=customer,
            channel=channel,
            purpose=purpose,
            priority=priority,
            subject=script.subject,
            branch=branch,
            created_at=started,
            team=self.business.teams.get(self._team_name(purpose, branch)),
        )
        story = _Story(conversation)
        status = self._final_status(self.window.now - started)
        assignee = self._assignee(purpose, channel, branch)
        creator = assignee.user if channel in DOCUMENTED else None
        story.events.append(
            (entries.conversation_created(script.subject, channel, purpose), started, creator, None)
        )
        first_name = customer.full_name.split()[0] if customer else "Kak"
        self._play(story, script, status, assignee, first_name.title(), started)
        return story

    def _play(
        self,
        story: _Story,
        script: Script,
        status: str,
        assignee: Staff,
        first_name: str,
        started: datetime,
    ) -> None:
        rng, now, S = self.rng, self.window.now, ConversationStatus
        conversation = story.conversation
        channel = conversation.channel
        at = started
        self._message(story, Direction.INBOUND, script.opening, at, None)
        if status == S.NEW and rng.random() < 0.7:
            self._finish(story, S.NEW, at)
            return
        at = self._later(at, minutes=rng.randint(1, 20))
        conversation.assignee = assignee
        story.events.append(
            (entries.assigned(assignee.pk, assignee.display_name), at, assignee.user, None)
        )
        if status == S.NEW:
            self._finish(story, S.NEW, at)
            return
        low, high = REPLY_MINUTES.get(channel, LIVE_REPLY)
        at = self._later(at, minutes=rng.randint(low, high))
        self._status(story, S.NEW, S.OPEN, at, assignee.user)
        if script.note:
            self._message(story, Direction.NOTE, script.note, at, assignee)
            at = self._later(at, minutes=1)
        if status == S.OPEN and rng.random() < 0.5:
            self._finish(story, S.OPEN, at)
            return
        self._message(story, Direction.OUTBOUND, script.reply.format(name=first_name), at, assignee)
        if status in (S.OPEN, S.PENDING):
            if status == S.PENDING:
                self._status(story, S.OPEN, S.PENDING, at, assignee.user)
            self._finish(story, status, at)
            return
        if script.follow_up:
            at = self._later(at, minutes=rng.randint(3, 240))
            self._message(story, Direction.INBOUND, script.follow_up, at, None)
        if script.closing:
            at = self._later(at, minutes=rng.randint(1, 30))
            self._message(
                story, Direction.OUTBOUND, script.closing.format(name=first_name), at, assignee
            )
        at = self._later(at, minutes=rng.randint(1, 60))
        self._status(story, S.OPEN, S.RESOLVED, at, assignee.user)
        closes_at = at + timedelta(days=3)  # closed automatically unless the customer reopens
        if status == S.CLOSED and closes_at < now:
            self._status(story, S.RESOLVED, S.CLOSED, closes_at, None)
            self._finish(story, S.CLOSED, closes_at)
        else:
            self._finish(story, S.RESOLVED, at)

    def _later(self, at: datetime, *, minutes: int) -> datetime:
        return min(at + timedelta(minutes=minutes), self.window.now)

    def _finish(self, story: _Story, status: str, at: datetime) -> None:
        conversation = story.conversation
        conversation.status = status
        conversation.updated_at = at
        conversation.last_message_at = max(m.created_at for m in story.messages)

    def _status(
        self, story: _Story, before: str, after: str, at: datetime, actor: User | None
    ) -> None:
        story.events.append((entries.status_changed(before, after), at, actor, None))

    def _message(
        self, story: _Story, direction: str, text: str, at: datetime, author: Staff | None
    ) -> None:
        conversation = story.conversation
        channel = conversation.channel
        if channel in DOCUMENTED:
            prefixes: dict[str, str] = {
                Channel.IN_PERSON: "Nasabah datang ke cabang: ",
                Channel.CALLBACK: "Telepon balik: ",
            }
            prefix = prefixes.get(channel, "Nasabah menelepon: ")
            text = (
                (prefix + text)
                if direction == Direction.INBOUND
                else f"Dijawab: {text}"
                if direction == Direction.OUTBOUND
                else text
            )
            direction = Direction.NOTE
            author = author or conversation.assignee
        message = Message(
            channel=channel,
            direction=direction,
            body_text=text,
            created_at=at,
            author=author,
            body_html=f"<p>{html.escape(text)}</p>" if channel == Channel.EMAIL else "",
            delivery_status=self._delivery(direction, channel, at),
            external_id=self._external_id(channel) if direction == Direction.INBOUND else None,
        )
        if message.delivery_status not in (DeliveryStatus.RECEIVED, DeliveryStatus.PENDING):
            message.status_changed_at = min(
                at + timedelta(seconds=self.rng.randint(2, 600)), self.window.now
            )
        story.messages.append(message)
        story.events.append(
            (entries.message(direction, text), at, author.user if author else None, message)
        )

    def _delivery(self, direction: str, channel: str, at: datetime) -> str:
        if direction != Direction.OUTBOUND:
            return DeliveryStatus.RECEIVED
        if self.window.now - at < timedelta(minutes=2):
            return DeliveryStatus.PENDING
        if channel in (Channel.WHATSAPP, Channel.TELEGRAM, Channel.MESSENGER, Channel.INSTAGRAM):
            return DeliveryStatus.READ if self.rng.random() < 0.8 else DeliveryStatus.DELIVERED
        return DeliveryStatus.SENT

    def _external_id(self, channel: str) -> str | None:
        self.external_ids += 1
        if channel == Channel.WHATSAPP:
            return f"wamid.HBgLNjI4{self.external_ids:012d}"
        if channel == Channel.EMAIL:
            return f"<demo.{self.external_ids:08d}@mail.gmail.com>"
        return None
