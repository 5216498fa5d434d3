"""Contracts of the routing and assignment API (XxxIn / XxxOut). Unknown fields are refused."""

from datetime import datetime, time
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


# --- Rules ------------------------------------------------------------------------------------

SET_PURPOSE = (
    "complaint, special_request or prospect: a routine conversation the rule matches becomes "
    "this purpose (a purpose someone chose is kept); empty leaves the purpose as it is"
)


class SkillRequirementSchema(StrictSchema):
    kind: str = Field(max_length=20, description="purpose, service, channel or language")
    value: str = Field(max_length=60)
    min_level: int = Field(default=1, ge=1, le=5)


class RoutingRuleIn(StrictSchema):
    name: str = Field(min_length=1, max_length=120)
    position: int = Field(default=100, ge=0, le=1_000_000)
    is_active: bool = True
    channels: list[str] = Field(default_factory=list, description='e.g. ["whatsapp"], ["chat"]')
    purposes: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    segments: list[str] = Field(
        default_factory=list, description="prospect, new, loyal or customer"
    )
    tiers: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    branch_ids: list[int] = Field(default_factory=list)
    team_id: int | None = None
    required_skills: list[SkillRequirementSchema] = Field(default_factory=list)
    set_purpose: str = Field(default="", max_length=20, description=SET_PURPOSE)


class RoutingRulePatch(StrictSchema):
    """Give only what changes."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    position: int | None = Field(default=None, ge=0, le=1_000_000)
    is_active: bool | None = None
    channels: list[str] | None = None
    purposes: list[str] | None = None
    services: list[str] | None = None
    languages: list[str] | None = None
    segments: list[str] | None = None
    tiers: list[str] | None = None
    tags: list[str] | None = None
    keywords: list[str] | None = None
    branch_ids: list[int] | None = None
    team_id: int | None = None
    required_skills: list[SkillRequirementSchema] | None = None
    set_purpose: str | None = Field(default=None, max_length=20, description=SET_PURPOSE)


class RoutingRuleOut(Schema):
    id: int
    name: str
    position: int
    is_active: bool
    channels: list[str]
    purposes: list[str]
    services: list[str]
    languages: list[str]
    segments: list[str]
    tiers: list[str]
    tags: list[str]
    keywords: list[str]
    branch_ids: list[int]
    team_id: int | None
    required_skills: list[dict[str, Any]]
    set_purpose: str = Field(description=SET_PURPOSE)
    updated_at: datetime


# --- Agents -----------------------------------------------------------------------------------


class AgentStatusIn(StrictSchema):
    status: str = Field(max_length=20, description="online, away, on_break or offline")
    reason: str = Field(default="", max_length=500)


class AgentStatusOut(Schema):
    staff_id: int
    display_name: str
    status: str
    since: datetime | None
    within_working_hours: bool
    timezone: str


class IntervalSchema(StrictSchema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")
    starts: time
    ends: time


class WorkingHoursIn(StrictSchema):
    intervals: list[IntervalSchema] = Field(max_length=50)
    timezone: str | None = Field(default=None, max_length=40, description="e.g. Asia/Makassar")


class WorkingHoursOut(Schema):
    staff_id: int
    timezone: str
    intervals: list[IntervalSchema]


class AgentLoadOut(Schema):
    staff_id: int
    display_name: str
    status: str
    since: datetime | None
    within_working_hours: bool
    load: dict[str, int]
    capacity: dict[str, int]


# --- Teams ------------------------------------------------------------------------------------


class TeamAssignmentPatch(StrictSchema):
    """Give only what changes."""

    mode: str | None = Field(default=None, max_length=20, description="round_robin, least_loaded")
    is_paused: bool | None = None
    capacity_overrides: dict[str, int] | None = Field(
        default=None, description='Capacity per kind of work for every member, e.g. {"chat": 2}'
    )
    reassign_on_offline: bool | None = None
    continuity_days: int | None = Field(default=None, ge=0, le=3650)
    continuity_wait_minutes: int | None = Field(default=None, ge=0, le=24 * 60)


class TeamAssignmentOut(Schema):
    team_id: int
    team_name: str
    mode: str
    is_paused: bool
    paused_at: datetime | None
    capacity_overrides: dict[str, int]
    reassign_on_offline: bool
    continuity_days: int
    continuity_wait_minutes: int
    last_assigned_at: datetime | None


# --- Running assignment -----------------------------------------------------------------------


class AssignRunIn(StrictSchema):
    dry_run: bool = Field(default=False, description="Decide and explain, change nothing")


class RoutingResultOut(Schema):
    conversation_id: int
    outcome: str = Field(description="assigned, held, queued, paused, pool or skipped")
    explanation: str
    team_id: int | None
    rule_id: int | None
    rule_name: str
    assignee_id: int | None
    dry_run: bool
    purpose: str = Field(
        description="the purpose the rule gave (in a dry run: would give) this routine "
        "conversation; empty when it stays as it was"
    )
    details: dict[str, Any]


# --- Priority policy --------------------------------------------------------------------------


class PriorityPolicyIn(StrictSchema):
    kind_weights: dict[str, float] | None = None
    purpose_weights: dict[str, float] | None = None
    segment_weights: dict[str, float] | None = None
    tier_weights: dict[str, float] | None = None
    level_weights: dict[str, float] | None = Field(
        default=None, description='By level: {"1": low, "2": normal, "3": high, "4": urgent}'
    )
    sla_weight: float | None = None
    sla_horizon_minutes: float | None = Field(default=None, gt=0)
    aging_per_minute: float | None = Field(default=None, ge=0)
    max_wait_minutes: float | None = Field(default=None, gt=0)


class PriorityPolicyOut(Schema):
    team_id: int | None
    stored: bool
    kind_weights: dict[str, float]
    purpose_weights: dict[str, float]
    segment_weights: dict[str, float]
    tier_weights: dict[str, float]
    level_weights: dict[str, float]
    sla_weight: float
    sla_horizon_minutes: float
    aging_per_minute: float
    max_wait_minutes: float
