from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class PageQuery(Schema):
    cursor: str | None = None
    limit: int = Field(default=50, ge=1, le=200)


class CallQuery(PageQuery):
    undocumented: bool = Field(
        default=False, description="Only answered calls whose note nobody wrote yet"
    )


class CallOut(Schema):
    id: int
    call_id: str
    direction: str
    state: str = Field(description="new, ringing, answered or ended")
    outcome: str = Field(description="answered, missed, abandoned, voicemail; empty until it ends")
    caller: str
    callee: str
    customer_id: int | None
    agent_id: int | None
    agent_extension: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int | None
    conversation_id: int | None
    purpose: str
    result: str
    documented_at: datetime | None
    documented_by_id: int | None


class CallPage(Schema):
    items: list[CallOut]
    next_cursor: str | None


class CallNoteIn(StrictSchema):
    purpose: Literal["routine", "complaint", "special_request", "prospect"]
    result: str = Field(min_length=1, max_length=4000)


class CallbackIn(StrictSchema):
    phone: str = Field(
        min_length=3, max_length=30, description="Any Indonesian notation; stored as E.164"
    )
    name: str = Field(default="", max_length=160)
    window_start: datetime = Field(description="With a UTC offset, e.g. 2026-11-23T09:00:00+07:00")
    window_end: datetime
    source: Literal["web", "portal", "kiosk", "whatsapp"] = "portal"
    topic: str = Field(default="", max_length=300)
    account_key: str | None = Field(
        default=None, description="The phone account (its branch and team) that should call back"
    )


class CallbackAttemptIn(StrictSchema):
    outcome: Literal["reached", "not_reached"]
    note: str = Field(default="", max_length=500)


class CallbackAttemptOut(Schema):
    at: datetime
    outcome: str
    note: str
    by_id: int | None


class CallbackOut(Schema):
    id: int
    customer_id: int
    phone: str
    window_start: datetime
    window_end: datetime
    source: str
    status: str = Field(
        description="requested, scheduled, attempting, reached, not_reached, cancelled"
    )
    topic: str
    max_attempts: int
    assigned_to_id: int | None
    conversation_id: int | None
    call_id: int | None = Field(description="The missed call it came from, if any")
    created_at: datetime
    reminded_at: datetime | None
    attempts: list[CallbackAttemptOut]


class CallbackPage(Schema):
    items: list[CallbackOut]
    next_cursor: str | None
