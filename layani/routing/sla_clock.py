"""The SLA clock: when each answer is due and how it stands, from a conversation's history.

Pure: a function of the targets, the business-hours calendar, the history and `now`.

Three targets, each a duration of business time (None: no such target):

- first response: from the customer's first message (`first_contact_at`) until the first
  reply by a person (`first_response_at`). Owed only when the customer wrote first: a
  conversation staff opened themselves owes none.
- next response: from each later customer message that nobody has answered yet
  (`waiting_since`, after the first response) until the next reply.
- resolution: from the conversation's creation until it is resolved (or closed).

The clock pauses (`pauses`): while the conversation waits on the customer (status pending)
when the policy says so, and always while it is resolved or closed (so a reopened
conversation resumes with the time it had left). A pause adds its business time to the
due instants that fall after it, so pausing never makes anything due earlier. Customers
writing restart the next-response clock; a conversation that arrives outside business
hours starts counting at the next opening.

`sync_history` folds the conversation's current state into the history (the database
layer calls it on every change); `replay` builds a history from a list of moments (what
the tests and the documentation use); `evaluate` gives each target's state.

States: running (time left), paused, met, breached (how late, never negative).
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from layani.routing.business_hours import (
    Calendar,
    add_business_time,
    business_time_between,
)

ZERO = timedelta(0)

# Conversation statuses, as `conversations.models.ConversationStatus` spells them.
PENDING = "pending"
ENDED_STATUSES = frozenset({"resolved", "closed"})


class Target(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class TargetStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


@dataclass(frozen=True)
class Targets:
    first_response: timedelta | None = None
    next_response: timedelta | None = None
    resolution: timedelta | None = None
    # Warn when this much business time is left (zero: no warning).
    warn_before: timedelta = ZERO

    def of(self, target: Target) -> timedelta | None:
        return getattr(self, target.value)


@dataclass(frozen=True)
class Pause:
    start: datetime
    end: datetime | None = None  # None: still paused


@dataclass(frozen=True)
class History:
    """The moments the clock needs, as the conversation records them."""

    created_at: datetime
    first_contact_at: datetime | None = None
    first_response_at: datetime | None = None
    waiting_since: datetime | None = None
    resolved_at: datetime | None = None
    pauses: tuple[Pause, ...] = ()

    @property
    def paused_since(self) -> datetime | None:
        if self.pauses and self.pauses[-1].end is None:
            return self.pauses[-1].start
        return None


@dataclass(frozen=True)
class TargetState:
    target: Target
    status: TargetStatus
    started_at: datetime
    due_at: datetime  # when paused: the due instant if the clock resumed now
    warn_at: datetime | None  # None: no warning configured
    time_left: timedelta  # business time, never negative
    late_by: timedelta  # wall-clock time past the due instant, never negative
    met_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        """Still ticking or paused: neither met nor ended."""
        return self.met_at is None


def should_pause(status: str, *, pause_while_pending: bool) -> bool:
    return status in ENDED_STATUSES or (pause_while_pending and status == PENDING)


def sync_history(
    history: History,
    *,
    status: str,
    waiting_since: datetime | None,
    first_response_at: datetime | None,
    resolved_at: datetime | None,
    pause_while_pending: bool,
    now: datetime,
) -> History:
    """The history after the conversation reached this state at `now`.

    The first customer message waiting for a first reply becomes `first_contact_at`; a pause
    opens when the status calls for one and closes when it no longer does."""
    first_contact_at = history.first_contact_at
    if first_contact_at is None and first_response_at is None and waiting_since is not None:
        first_contact_at = waiting_since
    pauses = list(history.pauses)
    paused = should_pause(status, pause_while_pending=pause_while_pending)
    if paused and history.paused_since is None:
        pauses.append(Pause(start=now))
    elif not paused and history.paused_since is not None:
        start = pauses.pop().start
        if now > start:
            pauses.append(Pause(start=start, end=now))
    return replace(
        history,
        first_contact_at=first_contact_at,
        first_response_at=first_response_at,
        waiting_since=waiting_since,
        resolved_at=resolved_at if status in ENDED_STATUSES else None,
        pauses=tuple(pauses),
    )


class Moment(StrEnum):
    """What can happen to a conversation, for `replay`."""

    CUSTOMER_MESSAGE = "customer_message"
    AGENT_REPLY = "agent_reply"
    SYSTEM_REPLY = "system_reply"  # an automatic message: nobody waits, but nobody answered
    PENDING = "pending"
    OPEN = "open"
    RESOLVED = "resolved"
    CLOSED = "closed"


def replay(
    created_at: datetime,
    moments: Iterable[tuple[Moment, datetime]],
    *,
    pause_while_pending: bool,
    status: str = "new",
) -> tuple[History, str]:
    """The history (and final status) of a conversation that lived through `moments`, in
    order, following the conversation lifecycle: a customer message waits and reopens, a
    reply answers and opens, pending and resolved stop the waiting."""
    history = History(created_at=created_at)
    waiting: datetime | None = None
    first_response: datetime | None = None
    resolved: datetime | None = None
    for moment, at in moments:
        if moment == Moment.CUSTOMER_MESSAGE:
            if waiting is None:
                waiting = at
            if status in (PENDING, *ENDED_STATUSES):
                status = "open"
        elif moment in (Moment.AGENT_REPLY, Moment.SYSTEM_REPLY):
            waiting = None
            if moment == Moment.AGENT_REPLY and first_response is None:
                first_response = at
            if moment == Moment.AGENT_REPLY and status in ("new", *ENDED_STATUSES):
                status = "open"
        elif moment == Moment.OPEN:
            status = "open"
        else:
            status = moment.value
            waiting = None
            if moment in (Moment.RESOLVED, Moment.CLOSED):
                resolved = at
        history = sync_history(
            history,
            status=status,
            waiting_since=waiting,
            first_response_at=first_response,
            resolved_at=resolved,
            pause_while_pending=pause_while_pending,
            now=at,
        )
    return history, status


def due_instant(
    cal: Calendar,
    start: datetime,
    duration: timedelta,
    pauses: Iterable[Pause],
    now: datetime,
) -> tuple[datetime, bool]:
    """The instant at which `duration` of business time has run since `start`, not counting
    the pauses; and whether it is projected (the clock is paused now and the instant assumes
    it resumes at `now`)."""
    at, remaining = start, duration
    for pause in sorted(pauses, key=lambda p: p.start):
        if pause.end is not None and pause.end <= at:
            continue
        pause_start = max(pause.start, at)
        reached = add_business_time(cal, at, remaining)
        if reached <= pause_start:
            return reached, False
        remaining -= business_time_between(cal, at, pause_start)
        if pause.end is None:
            return add_business_time(cal, max(now, pause_start), remaining), True
        at = pause.end
    return add_business_time(cal, at, remaining), False


def elapsed(cal: Calendar, start: datetime, until: datetime, pauses: Iterable[Pause]) -> timedelta:
    """Business time from `start` to `until` that counts (pauses left out); never negative."""
    total = business_time_between(cal, start, until)
    for pause in pauses:
        begin = max(pause.start, start)
        end = min(pause.end or until, until)
        if end > begin:
            total -= business_time_between(cal, begin, end)
    return max(total, ZERO)


def target_state(
    target: Target,
    cal: Calendar,
    *,
    duration: timedelta,
    start: datetime,
    met_at: datetime | None,
    pauses: tuple[Pause, ...],
    warn_before: timedelta,
    now: datetime,
) -> TargetState:
    if met_at is not None:
        # Met: what came after does not count; a pause still open is cut at that moment.
        pauses = tuple(
            Pause(p.start, met_at if p.end is None else min(p.end, met_at))
            for p in pauses
            if p.start < met_at
        )
    due, projected = due_instant(cal, start, duration, pauses, now)
    warn_at = None
    if warn_before > ZERO:
        warn_after = max(duration - warn_before, ZERO)
        warn_at, _projected = due_instant(cal, start, warn_after, pauses, now)
    until = met_at if met_at is not None else now
    left = max(duration - elapsed(cal, start, until, pauses), ZERO)
    if met_at is not None:
        status = TargetStatus.MET if met_at <= due else TargetStatus.BREACHED
    elif projected:
        status = TargetStatus.PAUSED
    elif until > due:
        status = TargetStatus.BREACHED
    else:
        status = TargetStatus.RUNNING
    late_by = max(until - due, ZERO) if status == TargetStatus.BREACHED else ZERO
    return TargetState(
        target=target,
        status=status,
        started_at=start,
        due_at=due,
        warn_at=warn_at,
        time_left=ZERO if status == TargetStatus.BREACHED else left,
        late_by=late_by,
        met_at=met_at,
    )


def evaluate(
    targets: Targets, cal: Calendar, history: History, now: datetime
) -> dict[Target, TargetState]:
    """The state of each target that applies now (a target without a duration, a first
    response nobody owes, or a next response nobody waits for, is left out)."""
    states: dict[Target, TargetState] = {}

    def add(target: Target, start: datetime | None, met_at: datetime | None) -> None:
        duration = targets.of(target)
        if duration is None or start is None:
            return
        states[target] = target_state(
            target,
            cal,
            duration=duration,
            start=start,
            met_at=met_at,
            pauses=history.pauses,
            warn_before=targets.warn_before,
            now=now,
        )

    add(Target.FIRST_RESPONSE, history.first_contact_at, history.first_response_at)
    if history.first_response_at is not None and history.waiting_since is not None:
        add(Target.NEXT_RESPONSE, history.waiting_since, None)
    add(Target.RESOLUTION, history.created_at, history.resolved_at)
    return states


def nearest_open_due(states: dict[Target, TargetState]) -> datetime | None:
    """The earliest due instant among targets still ticking (not met, not paused)."""
    dues = [
        s.due_at
        for s in states.values()
        if s.status in (TargetStatus.RUNNING, TargetStatus.BREACHED) and s.met_at is None
    ]
    return min(dues) if dues else None
