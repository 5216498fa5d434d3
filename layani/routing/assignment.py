"""Who gets a conversation: a pure function of the agents' state and the team's settings.

No database, no Django models: `auto_assign` loads the team's agents (status, working hours,
skills, open work, capacity) into `Agent`s under the team's lock, and this module decides.

Rules, in order:
1. A paused team assigns nothing (the conversation waits with the team).
2. Continuity: the customer's preferred staff member, or whoever served them recently, gets
   it when available (a member of the conversation's team, online, within working hours,
   with the skills and a free slot). When they are not available and the team waits for
   them (`continuity_wait_minutes`), the conversation is held for them until then; when the
   wait is over, or there is no wait, or they can never take it (not in the team, no skill,
   no longer active), it goes to someone else and the continuity break is reported with its
   reason. Continuity never takes a conversation out of its team: a conversation handed to
   the complaints team is not given back to the customer's usual person in another team.
3. Otherwise among the available members: round robin (the next staff id after the team's
   pointer, wrapping around) or least loaded (the lowest load ratio for this kind of work,
   then the longest idle, then the lowest id).
4. Nobody available: the conversation waits with the team; nobody is ever given more open
   work of a kind than their capacity for it.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

# Agent statuses (the model's choices use the same values).
ONLINE = "online"
AWAY = "away"
ON_BREAK = "on_break"
OFFLINE = "offline"

ROUND_ROBIN = "round_robin"
LEAST_LOADED = "least_loaded"

# Outcomes.
ASSIGNED = "assigned"
HELD = "held"  # reserved for the continuity person until `hold_until`
QUEUED = "queued"  # nobody available now: waits with the team
PAUSED = "paused"  # the team's auto-assignment is paused

# Continuity.
HONOURED = "honoured"
BROKEN = "broken"
WAITING = "waiting"
NO_CONTINUITY = ""

# Why an agent cannot take this conversation now (None: they can).
UNAVAILABLE_INACTIVE = "inactive"
UNAVAILABLE_OUTSIDE_HOURS = "outside_hours"
UNAVAILABLE_MISSING_SKILL = "missing_skill"
UNAVAILABLE_AT_CAPACITY = "at_capacity"
UNAVAILABLE_NOT_IN_TEAM = "not_in_team"  # the continuity person belongs to another team
# ...and a status other than online is its own reason: "away", "on_break", "offline".
# Reasons that will not pass by waiting: continuity breaks at once.
PERMANENT_REASONS = frozenset(
    {UNAVAILABLE_INACTIVE, UNAVAILABLE_NOT_IN_TEAM, UNAVAILABLE_MISSING_SKILL}
)

# Kinds of work, by channel: what a capacity counts. Live channels are "phone" (one at a
# time) or "chat" (a few at once); asynchronous ones "email".
WORK_KINDS: dict[str, str] = {
    "phone": "phone",
    "callback": "phone",
    "whatsapp": "chat",
    "sms": "chat",
    "telegram": "chat",
    "messenger": "chat",
    "instagram": "chat",
    "webchat": "chat",
    "assistant": "chat",
    "email": "email",
    "portal": "email",
    "in_person": "in_person",
}
DEFAULT_CAPACITY: dict[str, int] = {"phone": 1, "chat": 3, "email": 10, "in_person": 1}
# `Staff.capacity` may name phone work "call".
KIND_ALIASES: dict[str, tuple[str, ...]] = {"phone": ("phone", "call")}


def work_kind(channel: str) -> str:
    """phone, chat, email or in_person: the kind of work a channel's conversation is."""
    return WORK_KINDS.get(channel, "chat")


def capacity_for(
    capacity: Mapping[str, int], kind: str, overrides: Mapping[str, int] | None = None
) -> int:
    """How many open conversations of `kind` someone may hold: the team's override for the
    kind, else the staff member's own capacity, else the default."""
    keys = KIND_ALIASES.get(kind) or (kind,)
    for source in (overrides, capacity):
        if not source:
            continue
        for key in keys:
            value = source.get(key)
            if type(value) is int and value >= 0:
                return value
    return DEFAULT_CAPACITY.get(kind, 1)


@dataclass(frozen=True)
class SkillRequirement:
    kind: str  # purpose, service, channel or language (StaffSkill.kind)
    value: str
    min_level: int = 1


@dataclass(frozen=True)
class Agent:
    staff_id: int
    name: str
    status: str
    within_hours: bool = True
    is_active: bool = True
    skills: Mapping[tuple[str, str], int] = field(default_factory=dict)
    load: Mapping[str, int] = field(default_factory=dict)  # open conversations per kind
    capacity: Mapping[str, int] = field(default_factory=dict)  # Staff.capacity
    last_assigned_at: datetime | None = None
    in_team: bool = True  # False for a continuity person from outside the team: never chosen


@dataclass(frozen=True)
class ContinuityTarget:
    staff_id: int
    source: str  # "preferred" or "recent"
    hold_until: datetime | None = None  # already held for them until then
    previous_conversation_id: int | None = None


@dataclass(frozen=True)
class TeamSettings:
    mode: str = ROUND_ROBIN
    paused: bool = False
    capacity_overrides: Mapping[str, int] = field(default_factory=dict)
    continuity_wait_minutes: int = 0
    pointer: int | None = None  # the staff id round robin gave the last conversation to


@dataclass(frozen=True)
class Request:
    conversation_id: int
    channel: str
    required_skills: Sequence[SkillRequirement] = ()
    continuity: ContinuityTarget | None = None


@dataclass(frozen=True)
class Decision:
    outcome: str  # ASSIGNED, HELD, QUEUED or PAUSED
    staff_id: int | None = None
    method: str = ""  # "continuity", ROUND_ROBIN or LEAST_LOADED
    kind: str = ""
    load: int = 0  # the chosen agent's open work of this kind before this one
    capacity: int = 0
    skills: tuple[tuple[str, str, int], ...] = ()  # (kind, value, level) that matched
    continuity: str = NO_CONTINUITY
    continuity_staff_id: int | None = None
    continuity_source: str = ""
    continuity_reason: str = ""  # why the continuity person could not take it
    hold_until: datetime | None = None
    next_pointer: int | None = None
    unavailable: Mapping[str, int] = field(default_factory=dict)  # reason -> agents


def unavailability(
    agent: Agent,
    request: Request,
    overrides: Mapping[str, int] | None = None,
) -> str | None:
    """Why `agent` cannot take the conversation now, or None when they can."""
    return _unavailability(agent, request, work_kind(request.channel), overrides)


def _unavailability(
    agent: Agent, request: Request, kind: str, overrides: Mapping[str, int] | None
) -> str | None:
    if not agent.is_active:
        return UNAVAILABLE_INACTIVE
    if not agent.in_team:
        return UNAVAILABLE_NOT_IN_TEAM
    skills = agent.skills
    for requirement in request.required_skills:
        if skills.get((requirement.kind, requirement.value), 0) < requirement.min_level:
            return UNAVAILABLE_MISSING_SKILL
    if agent.status != ONLINE:
        return agent.status
    if not agent.within_hours:
        return UNAVAILABLE_OUTSIDE_HOURS
    if agent.load.get(kind, 0) >= capacity_for(agent.capacity, kind, overrides):
        return UNAVAILABLE_AT_CAPACITY
    return None


def load_ratio(agent: Agent, kind: str, overrides: Mapping[str, int] | None = None) -> float:
    capacity = capacity_for(agent.capacity, kind, overrides)
    if capacity <= 0:
        return float("inf")
    return agent.load.get(kind, 0) / capacity


def _round_robin(available: Sequence[Agent], pointer: int | None) -> Agent:
    """The lowest staff id after the pointer, wrapping around to the lowest of all."""
    if pointer is not None:
        after = [a for a in available if a.staff_id > pointer]
        if after:
            return min(after, key=lambda a: a.staff_id)
    return min(available, key=lambda a: a.staff_id)


def _least_loaded(available: Sequence[Agent], kind: str, overrides: Mapping[str, int]) -> Agent:
    def key(agent: Agent) -> tuple[float, float, int]:
        # Never assigned counts as idle the longest.
        idle_since = agent.last_assigned_at.timestamp() if agent.last_assigned_at else -1e18
        return (round(load_ratio(agent, kind, overrides), 9), idle_since, agent.staff_id)

    return min(available, key=key)


def _matched_skills(agent: Agent, request: Request) -> tuple[tuple[str, str, int], ...]:
    return tuple(
        (r.kind, r.value, agent.skills.get((r.kind, r.value), 0)) for r in request.required_skills
    )


def decide(
    request: Request,
    agents: Iterable[Agent],
    settings: TeamSettings,
    now: datetime,
) -> Decision:
    """The decision for one conversation. `agents` are the team's members, plus the
    continuity person when they are not a member (`in_team=False`): loaded only so that
    the break can be said with their name; nobody outside the team is ever chosen."""
    kind = work_kind(request.channel)
    overrides = settings.capacity_overrides
    if settings.paused:
        return Decision(outcome=PAUSED, kind=kind, next_pointer=settings.pointer)

    by_id: dict[int, Agent] = {}
    available: list[Agent] = []
    unavailable: dict[str, int] = {}
    for agent in agents:
        by_id[agent.staff_id] = agent
        reason = _unavailability(agent, request, kind, overrides)
        if not agent.in_team:
            continue
        if reason is None:
            available.append(agent)
        else:
            unavailable[reason] = unavailable.get(reason, 0) + 1

    def assigned(agent: Agent, method: str) -> Decision:
        return Decision(
            outcome=ASSIGNED,
            staff_id=agent.staff_id,
            method=method,
            kind=kind,
            load=agent.load.get(kind, 0),
            capacity=capacity_for(agent.capacity, kind, overrides),
            skills=_matched_skills(agent, request),
            next_pointer=agent.staff_id if method == ROUND_ROBIN else settings.pointer,
            unavailable=unavailable,
        )

    waiting = Decision(
        outcome=QUEUED, kind=kind, next_pointer=settings.pointer, unavailable=unavailable
    )
    continuity: dict[str, Any] = {}
    target = request.continuity
    if target is not None:
        person = by_id.get(target.staff_id)
        reason = (
            UNAVAILABLE_INACTIVE if person is None else unavailability(person, request, overrides)
        )
        continuity = {"continuity_staff_id": target.staff_id, "continuity_source": target.source}
        if person is not None and reason is None:
            return replace(assigned(person, "continuity"), continuity=HONOURED, **continuity)
        continuity["continuity_reason"] = reason or ""
        wait = timedelta(minutes=max(0, settings.continuity_wait_minutes))
        hold_until = target.hold_until or (now + wait if wait else None)
        if reason not in PERMANENT_REASONS and hold_until is not None and now < hold_until:
            return replace(
                waiting, outcome=HELD, continuity=WAITING, hold_until=hold_until, **continuity
            )
        continuity["continuity"] = BROKEN

    if not available:
        return replace(waiting, **continuity)
    if settings.mode == LEAST_LOADED:
        chosen = _least_loaded(available, kind, overrides)
        return replace(assigned(chosen, LEAST_LOADED), **continuity)
    return replace(assigned(_round_robin(available, settings.pointer), ROUND_ROBIN), **continuity)
