"""What the SLA API takes and gives."""

from datetime import date, datetime

from ninja import Schema
from pydantic import ConfigDict, Field

WEEKLY_HOURS_HELP = (
    'Opening intervals per weekday in the calendar\'s time zone, e.g. {"monday": '
    '[["08:00", "12:00"], ["13:00", "17:00"]]}; a missing day is closed; "24:00" closes at '
    "midnight."
)


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class PageQuery(Schema):
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=50, ge=1, le=100)


# --- Calendars ------------------------------------------------------------------------------


class CalendarIn(StrictSchema):
    name: str = Field(min_length=1, max_length=120)
    timezone: str = Field(default="Asia/Jakarta", description="Asia/Jakarta, Asia/Makassar …")
    always_open: bool = False
    weekly_hours: dict[str, list[list[str]]] = Field(
        default_factory=dict, description=WEEKLY_HOURS_HELP
    )
    use_indonesian_holidays: bool = True
    include_joint_leave: bool = Field(default=False, description="Also closed on cuti bersama")
    branch_id: int | None = Field(default=None, description="The branch this calendar is for")
    is_default: bool = False


class CalendarPatch(StrictSchema):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    timezone: str | None = None
    always_open: bool | None = None
    weekly_hours: dict[str, list[list[str]]] | None = Field(
        default=None, description=WEEKLY_HOURS_HELP
    )
    use_indonesian_holidays: bool | None = None
    include_joint_leave: bool | None = None
    branch_id: int | None = None
    is_default: bool | None = None


class ClosedDayIn(StrictSchema):
    date: date
    reason: str = Field(default="", max_length=200)


class ClosedDayOut(Schema):
    id: int
    date: date
    reason: str


class CalendarOut(Schema):
    id: int
    name: str
    timezone: str
    always_open: bool
    weekly_hours: dict[str, list[list[str]]]
    use_indonesian_holidays: bool
    include_joint_leave: bool
    branch_id: int | None
    is_default: bool
    closed_days: list[ClosedDayOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_closed_days(obj: object) -> list[object]:
        return list(obj.closed_days.all())  # type: ignore[attr-defined]


class CalendarPage(Schema):
    items: list[CalendarOut]
    next_cursor: str | None


# --- Policies -------------------------------------------------------------------------------

CONDITIONS_HELP = "Empty: any."


class SlaPolicyIn(StrictSchema):
    name: str = Field(min_length=1, max_length=120)
    order: int = Field(default=100, ge=0, description="The first matching policy applies")
    is_active: bool = True
    channels: list[str] = Field(default_factory=list, description=CONDITIONS_HELP)
    purposes: list[str] = Field(default_factory=list, description=CONDITIONS_HELP)
    priorities: list[int] = Field(default_factory=list, description="1 low … 4 urgent")
    customer_statuses: list[str] = Field(default_factory=list, description="prospect, customer")
    tiers: list[str] = Field(
        default_factory=list, description='silver, gold, platinum, or "" for no membership'
    )
    branch_ids: list[int] = Field(default_factory=list, description=CONDITIONS_HELP)
    first_response_minutes: int | None = Field(default=None, ge=1, le=525600)
    next_response_minutes: int | None = Field(default=None, ge=1, le=525600)
    resolution_minutes: int | None = Field(default=None, ge=1, le=525600)
    calendar_id: int | None = Field(
        default=None, description="Empty: the branch's calendar, else the default one"
    )
    pause_while_pending: bool = True
    warn_before_minutes: int = Field(default=30, ge=0, le=525600)
    notify_supervisors: bool = True
    escalate_to_team_id: int | None = None
    raise_priority: bool = False


class SlaPolicyPatch(StrictSchema):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    order: int | None = Field(default=None, ge=0)
    is_active: bool | None = None
    channels: list[str] | None = None
    purposes: list[str] | None = None
    priorities: list[int] | None = None
    customer_statuses: list[str] | None = None
    tiers: list[str] | None = None
    branch_ids: list[int] | None = None
    first_response_minutes: int | None = Field(default=None, ge=1, le=525600)
    next_response_minutes: int | None = Field(default=None, ge=1, le=525600)
    resolution_minutes: int | None = Field(default=None, ge=1, le=525600)
    calendar_id: int | None = None
    pause_while_pending: bool | None = None
    warn_before_minutes: int | None = Field(default=None, ge=0, le=525600)
    notify_supervisors: bool | None = None
    escalate_to_team_id: int | None = None
    raise_priority: bool | None = None


class SlaPolicyOut(Schema):
    id: int
    name: str
    order: int
    is_active: bool
    channels: list[str]
    purposes: list[str]
    priorities: list[int]
    customer_statuses: list[str]
    tiers: list[str]
    branch_ids: list[int]
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None
    calendar_id: int | None
    pause_while_pending: bool
    warn_before_minutes: int
    notify_supervisors: bool
    escalate_to_team_id: int | None
    raise_priority: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_branch_ids(obj: object) -> list[int]:
        return sorted(b.pk for b in obj.branches.all())  # type: ignore[attr-defined]


class SlaPolicyPage(Schema):
    items: list[SlaPolicyOut]
    next_cursor: str | None


class ExpectedAnswerQuery(Schema):
    channel: str
    purpose: str = "routine"
    priority: int = Field(default=2, ge=1, le=4)
    customer_id: int | None = None
    branch_id: int | None = None


class ExpectedAnswerOut(Schema):
    expected_at: datetime
    policy_id: int | None
    policy: str | None


class ComplianceQuery(Schema):
    start: datetime
    end: datetime
    by: str = Field(default="policy", description="policy, channel, purpose, team or agent")


class ComplianceRowOut(Schema):
    key: int | str | None
    label: str
    conversations: int
    first_response_met: int
    first_response_breached: int
    next_responses: int
    next_response_breaches: int
    resolution_met: int
    resolution_breached: int
    met: int
    breached: int
    compliance_percent: float | None


class ComplianceOut(Schema):
    by: str
    start: datetime
    end: datetime
    rows: list[ComplianceRowOut]


# --- A conversation's SLA -------------------------------------------------------------------


class SlaTargetOut(Schema):
    target: str = Field(description="first_response, next_response or resolution")
    status: str = Field(description="running, paused, met or breached")
    colour: str = Field(description="ok, warning or breached")
    started_at: datetime
    due_at: datetime = Field(description="When paused: the due time if the clock resumed now")
    warn_at: datetime | None
    time_left_seconds: int = Field(description="Business time left, never negative")
    late_by_seconds: int = Field(description="How late, never negative")
    met_at: datetime | None
    warned_at: datetime | None
    breached_at: datetime | None


class ConversationSlaOut(Schema):
    conversation_id: int
    policy_id: int | None
    policy: str | None
    paused_since: datetime | None
    targets: list[SlaTargetOut]
    next_responses: int
    next_response_breaches: int
