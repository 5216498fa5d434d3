"""How one demo conversation went, from its first message until now (pure, no database).

The loaders bypass the actions for speed, so this module replays what the actions would
have done: every message and status change in time order (`Beat`), and the lifecycle
moments the actions store on the conversation (`Lifecycle`: status, `waiting_since`,
`due_at`, `first_response_at`, `resolved_at`, `closed_at`), by the same rules as
`conversations.actions` (store_message, apply_status, reply opening a new conversation,
a customer's message taking a pending one back to open) and with the response targets of
`conversations.due`. Times are epoch seconds: the volume loader writes millions of them.

Both the demo history (`demo_conversations`) and the volume mode (`volume_conversations`)
tell their conversations here, and turn the beats into their own rows.
"""

import math
import random
from dataclasses import dataclass, field

from layani.conversations.due import response_target
from layani.conversations.models import ConversationStatus, Direction, Priority
from layani.core.choices import Channel, Purpose
from layani.demo.message_texts import MessageTexts, Text, documented
from layani.demo.texts import Script

S = ConversationStatus
MINUTE = 60.0
HOUR = 3_600.0
DAY = 86_400.0
ACTIVE = (S.NEW, S.OPEN, S.PENDING)
MAX_MESSAGES = 60
AUTO_CLOSE_AFTER = 3 * DAY

# Staff document calls, callbacks and walk-ins as notes instead of exchanging messages.
DOCUMENTED = frozenset({Channel.PHONE, Channel.CALLBACK, Channel.IN_PERSON})
# Chat channels, where customers write short and informal.
CHAT = frozenset(
    {
        Channel.WHATSAPP,
        Channel.TELEGRAM,
        Channel.MESSENGER,
        Channel.INSTAGRAM,
        Channel.WEBCHAT,
        Channel.ASSISTANT,
    }
)
# Minutes until an agent answers, and until the customer writes back, by channel.
AGENT_MINUTES: dict[str, tuple[float, float]] = {
    Channel.EMAIL: (30, 600),
    Channel.PORTAL: (60, 900),
}
LIVE_AGENT_MINUTES = (1, 25)
CUSTOMER_MINUTES: dict[str, tuple[float, float]] = {
    Channel.EMAIL: (60, 1_440),
    Channel.PORTAL: (60, 1_440),
}
LIVE_CUSTOMER_MINUTES = (3, 240)

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
# Replies on these channels come back with read receipts.
READ_RECEIPTS = frozenset(
    {Channel.WHATSAPP, Channel.TELEGRAM, Channel.MESSENGER, Channel.INSTAGRAM}
)
TAGGED = 0.3  # share of handled conversations an agent tags
READ = 0.85  # share of handled conversations whose assignee's read marker is kept

MESSAGE = "message"
ASSIGNED = "assigned"
STATUS = "status"


def target_seconds() -> dict[int, float]:
    """The response target per priority (`conversations.due.response_target`), in seconds."""
    return {p.value: response_target(p.value).total_seconds() for p in Priority}


def final_status(rng: random.Random, age: float) -> str:
    """Where a conversation started `age` seconds ago stands now: recent ones are still
    being worked, older ones resolved or closed, a few old ones forgotten."""
    roll = rng.random()
    if age < DAY:
        return (
            S.NEW
            if roll < 0.3
            else S.OPEN
            if roll < 0.6
            else S.PENDING
            if roll < 0.75
            else S.RESOLVED
        )
    if age < 3 * DAY:
        return (
            S.NEW
            if roll < 0.08
            else S.OPEN
            if roll < 0.28
            else S.PENDING
            if roll < 0.5
            else S.RESOLVED
        )
    if age < 14 * DAY:
        return (
            S.NEW
            if roll < 0.01
            else S.OPEN
            if roll < 0.05
            else S.PENDING
            if roll < 0.15
            else S.RESOLVED
            if roll < 0.6
            else S.CLOSED
        )
    return (
        S.PENDING
        if roll < 0.002
        else S.OPEN
        if roll < 0.003
        else S.RESOLVED
        if roll < 0.3
        else S.CLOSED
    )


def millis(seconds: float) -> float:
    """Seconds rounded to the millisecond: sums of such times convert to the same
    microsecond whichever way they are added (datetime + timedelta or float + float)."""
    return round(seconds, 3)


def choose_priority(rng: random.Random, purpose: str) -> int:
    """Most contacts are normal; a third of complaints high; a few urgent, a few low."""
    roll = rng.random()
    if purpose == Purpose.COMPLAINT and roll < 0.3:
        return Priority.HIGH
    if roll > 0.98:
        return Priority.URGENT
    if roll > 0.95:
        return Priority.LOW
    return Priority.NORMAL


def geometric(rng: random.Random, mean: float) -> int:
    """0, 1, 2, ... with the given mean, falling off geometrically (a long tail)."""
    if mean <= 0:
        return 0
    p = 1.0 / (1.0 + mean)
    return int(math.log(1.0 - rng.random()) / math.log(1.0 - p))


@dataclass
class Lifecycle:
    """The conversation's stored moments, changed as the actions change them."""

    target: float  # response target of the priority, seconds
    status: str = S.NEW
    created_at: float = 0.0
    waiting_since: float | None = None
    due_at: float = 0.0
    first_response_at: float | None = None
    resolved_at: float | None = None
    closed_at: float | None = None
    last_message_at: float | None = None
    updated_at: float = 0.0
    last_text: Text = ()  # the last message to or from the customer (not a note)
    last_inbound_at: float | None = None

    def _refresh_due(self, now: float) -> None:  # actions._common.refresh_due
        self.due_at = (self.waiting_since if self.waiting_since is not None else now) + self.target

    def start(self, at: float) -> None:  # lifecycle._create
        self.created_at = self.updated_at = at
        self._refresh_due(at)

    def message(self, direction: str, at: float, text: Text, *, authored: bool) -> None:
        """lifecycle.store_message"""
        self.last_message_at = at
        if direction != Direction.NOTE:
            self.last_text = text
        if direction == Direction.INBOUND:
            self.last_inbound_at = at
        if direction == Direction.INBOUND and self.waiting_since is None:
            self.waiting_since = at
            self._refresh_due(at)
        elif direction == Direction.OUTBOUND:
            self.waiting_since = None
            if authored and self.first_response_at is None:
                self.first_response_at = at
            self._refresh_due(at)
        self.updated_at = at

    def set_status(self, status: str, at: float) -> None:
        """lifecycle.apply_status"""
        before = self.status
        self.status = status
        if status == S.RESOLVED:
            self.resolved_at = at
            self.waiting_since = None
        elif status == S.CLOSED:
            self.closed_at = at
            self.waiting_since = None
        elif status == S.PENDING:
            self.waiting_since = None
        if status in ACTIVE and before in (S.RESOLVED, S.CLOSED):
            self.resolved_at = self.closed_at = None
        self.updated_at = at
        self._refresh_due(at)

    def touch(self, at: float) -> None:
        self.updated_at = max(self.updated_at, at)


@dataclass
class Beat:
    """One thing that happened: a message, the assignment, or a status change."""

    at: float
    kind: str
    direction: str = ""
    text: Text = ()
    by_staff: bool = False  # the assignee did it (author, actor); else the customer/system
    before: str = ""
    after: str = ""


@dataclass
class Story:
    state: Lifecycle
    beats: list[Beat] = field(default_factory=list)
    first_staff_at: float | None = None  # the assignee's first action
    last_staff_at: float | None = None  # ... and their last: when they last read it
    messages: int = 0


def message_count(
    rng: random.Random,
    *,
    average: float | None,
    script: Script,
    status: str,
    documented: bool,
    deficit: float,
) -> int:
    """How many messages a conversation gets.

    `average` None: as its script goes (opening, reply, then the script's follow-up and
    closing for finished cases; an unanswered one may have a second message). Otherwise
    drawn around `average` with a long tail, short for documented calls and visits;
    `deficit` (messages still owed to reach the average over what was written so far)
    nudges the draws so the total lands on it.
    """
    if average is None:
        if status == S.NEW:
            return 1 + (rng.random() < 0.3)
        count = 2 + bool(script.note)
        if status in (S.RESOLVED, S.CLOSED):
            count += bool(script.follow_up) + bool(script.follow_up and script.closing)
        return count
    if status == S.NEW:
        return 1 + geometric(rng, 0.5)
    if documented:
        return min(1 + geometric(rng, 0.6), 3)  # a call or a visit is written down briefly
    floor = 2 if average >= 2 else 1
    extra = min(max(average - floor + deficit / 50.0, 0.0), 3 * average) / 2
    # Two geometric draws: most conversations have a few turns, some go on for long.
    return min(floor + geometric(rng, extra) + geometric(rng, extra), MAX_MESSAGES)


class StoryTeller:
    """Tells conversations in time order up to `now`, by the rules of the actions."""

    def __init__(self, rng: random.Random, texts: MessageTexts, now: float) -> None:
        self.rng = rng
        self.texts = texts
        self.now = millis(now)
        self.targets = target_seconds()

    def _later(self, at: float, minutes: tuple[float, float]) -> float:
        return millis(min(at + self.rng.uniform(*minutes) * MINUTE, self.now))

    def tell(
        self,
        *,
        script: Script,
        channel: str,
        priority: int,
        started: float,
        status: str,
        messages: int,
        assigned: bool,
        first_name: str,
        note: bool,
    ) -> Story:
        """The story of a conversation that ends (for now) in `status` with `messages`
        messages; `assigned`: an agent took it (else it stays with its team or the pool);
        `note`: one of the messages is an internal note."""
        state = Lifecycle(target=self.targets[priority])
        state.start(millis(started))
        story = Story(state)
        if channel in DOCUMENTED:
            self._documented(story, script, channel, status, messages, first_name)
        else:
            self._written(story, script, channel, status, messages, assigned, first_name, note=note)
        story.messages = sum(1 for b in story.beats if b.kind == MESSAGE)
        return story

    # --- beats -----------------------------------------------------------------------------

    def _message(
        self, story: Story, direction: str, at: float, text: Text, *, by_staff: bool
    ) -> None:
        story.state.message(direction, at, text, authored=by_staff)
        story.beats.append(Beat(at, MESSAGE, direction=direction, text=text, by_staff=by_staff))
        if by_staff:
            self._staff_acted(story, at)

    def _status(self, story: Story, after: str, at: float, *, by_staff: bool) -> None:
        before = story.state.status
        if before == after:
            return
        story.state.set_status(after, at)
        story.beats.append(Beat(at, STATUS, before=before, after=after, by_staff=by_staff))
        if by_staff:
            self._staff_acted(story, at)

    def _assign(self, story: Story, at: float) -> None:
        story.state.touch(at)
        story.beats.append(Beat(at, ASSIGNED, by_staff=True))
        self._staff_acted(story, at)

    def _staff_acted(self, story: Story, at: float) -> None:
        if story.first_staff_at is None:
            story.first_staff_at = at
        story.last_staff_at = at

    # --- stories ---------------------------------------------------------------------------

    def _written(
        self,
        story: Story,
        script: Script,
        channel: str,
        status: str,
        messages: int,
        assigned: bool,
        first_name: str,
        *,
        note: bool,
    ) -> None:
        """A customer wrote through a channel; an agent may take it and answer."""
        texts, chat = self.texts, channel in CHAT
        agent_minutes = AGENT_MINUTES.get(channel, LIVE_AGENT_MINUTES)
        customer_minutes = CUSTOMER_MINUTES.get(channel, LIVE_CUSTOMER_MINUTES)
        at = story.state.created_at
        self._message(
            story, Direction.INBOUND, at, texts.opening(script, chat=chat), by_staff=False
        )
        if status == S.NEW:
            chasers = messages - 1
            if assigned:
                self._assign(story, self._later(at, (1, 20)))
            for _ in range(chasers):
                at = self._later(at, (5, 180))
                self._message(story, Direction.INBOUND, at, texts.chaser(chat=chat), by_staff=False)
            return
        if assigned:
            at = self._later(at, (1, 20))
            self._assign(story, at)
        directions = self._directions(messages - 1, status, note=note)
        outs = sum(1 for d in directions if d == Direction.OUTBOUND)
        sent = received = notes = 0
        previous: str = Direction.INBOUND
        ends_case = status in (S.RESOLVED, S.CLOSED)
        for direction in directions:
            if direction == Direction.OUTBOUND:
                at = self._later(at, agent_minutes)
                text = texts.agent_turn(
                    script, sent, first_name, last=ends_case and sent == outs - 1 and sent > 0
                )
                before = story.state.status
                self._message(story, direction, at, text, by_staff=True)
                if before in (S.NEW, S.RESOLVED, S.CLOSED):  # messages.reply
                    self._status(story, S.OPEN, at, by_staff=True)
                sent += 1
            elif direction == Direction.INBOUND:
                minutes = customer_minutes if previous != Direction.INBOUND else (1, 30)
                at = self._later(at, minutes)
                text = texts.customer_turn(script, received, chat=chat)
                self._message(story, direction, at, text, by_staff=False)
                if story.state.status == S.PENDING:  # lifecycle.add_message
                    self._status(story, S.OPEN, at, by_staff=False)
                received += 1
            else:
                at = self._later(at, (1, 30))
                self._message(story, direction, at, texts.note(script, notes == 0), by_staff=True)
                notes += 1
            previous = direction
        self._finish(story, status, at)

    def _documented(
        self,
        story: Story,
        script: Script,
        channel: str,
        status: str,
        messages: int,
        first_name: str,
    ) -> None:
        """Staff took a call or served a walk-in and wrote it down: notes only."""
        texts = self.texts
        at = story.state.created_at
        self._assign(story, at)
        sent = received = 0
        for index in range(messages):
            if index % 2 == 0:
                direction = Direction.INBOUND
                text = (
                    texts.opening(script, chat=False)
                    if index == 0
                    else texts.customer_turn(script, received, chat=False)
                )
                received += 1
            else:
                direction = Direction.OUTBOUND
                text = texts.agent_turn(script, sent, first_name, last=False)
                sent += 1
            if index:
                at = self._later(at, (1, 10))
            self._message(
                story, Direction.NOTE, at, documented(channel, direction, text), by_staff=True
            )
        if status == S.NEW:
            return
        self._finish(story, status, at)

    def _directions(self, count: int, status: str, *, note: bool) -> list[str]:
        """Who writes the messages after the opening: agent and customer take turns, ending
        with the agent unless the customer waits for an answer (some open ones)."""
        rng = self.rng
        turns = count - 1 if note and count >= 2 else count
        last: str = Direction.OUTBOUND
        if status == S.OPEN and rng.random() < 0.5:
            last = Direction.INBOUND
        other: str = Direction.INBOUND if last == Direction.OUTBOUND else Direction.OUTBOUND
        directions: list[str] = [last if (turns - 1 - i) % 2 == 0 else other for i in range(turns)]
        if turns < count:
            # Colleagues note what they checked before answering, or along the way.
            firsts = [i for i, d in enumerate(directions) if d == Direction.OUTBOUND]
            position = firsts[0] if firsts and rng.random() < 0.6 else rng.randrange(turns + 1)
            directions.insert(position, Direction.NOTE)
        return directions

    def _finish(self, story: Story, status: str, at: float) -> None:
        """End where the story should stand: open, waiting on the customer, resolved, or
        closed (automatically, three days after it was resolved, when that has passed)."""
        state = story.state
        if status == S.OPEN:
            if state.status == S.NEW:
                self._status(story, S.OPEN, self._later(at, (1, 20)), by_staff=True)
            return
        if status == S.PENDING:
            self._status(story, S.PENDING, self._later(at, (1, 10)), by_staff=True)
            return
        resolved = self._later(at, (1, 60))
        self._status(story, S.RESOLVED, resolved, by_staff=True)
        closes = millis(resolved + AUTO_CLOSE_AFTER)
        if status == S.CLOSED and closes < self.now:
            self._status(story, S.CLOSED, closes, by_staff=False)
