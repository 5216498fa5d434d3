from datetime import date, datetime

from ninja import Schema
from pydantic import ConfigDict, Field


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class CheckInIn(StrictSchema):
    service_id: int
    phone: str = Field(default="", max_length=40)
    membership_number: str = Field(default="", max_length=40)
    name: str = Field(default="", max_length=160)
    note: str = Field(default="", max_length=1000)
    priority_category: str = Field(default="", max_length=20)


class RemoteJoinIn(StrictSchema):
    service_id: int
    phone: str = Field(min_length=6, max_length=40)
    name: str = Field(default="", max_length=160)


class AppointmentIn(StrictSchema):
    service_id: int
    starts_at: datetime
    name: str = Field(min_length=1, max_length=160)
    phone: str = Field(default="", max_length=40)
    customer_id: int | None = None


class AppointmentOut(Schema):
    id: int
    reference: str
    branch_id: int
    service_id: int
    starts_at: datetime
    status: str
    name: str


class SlotOut(Schema):
    starts_at: datetime
    places_left: int


class SlotQuery(Schema):
    service_id: int
    day: date


class VisitOut(Schema):
    id: int
    ticket_number: str
    branch_id: int
    service_id: int
    purpose: str
    status: str
    source: str
    priority_category: str
    customer_id: int | None
    counter_id: int | None
    reserved_counter_id: int | None
    checked_in_at: datetime
    queue_since: datetime
    called_at: datetime | None
    serving_started_at: datetime | None
    finished_at: datetime | None
    recall_count: int
    transfer_count: int
    note: str
    outcome_note: str
    status_url: str

    @staticmethod
    def resolve_status_url(obj) -> str:
        from layani.branches.notifications import visit_status_url

        return visit_status_url(obj)


class TicketOut(Schema):
    visit: VisitOut
    position: int
    estimated_wait_minutes: int


class CallSpecificIn(StrictSchema):
    visit_id: int
    reason: str = Field(min_length=1, max_length=500)


class OpenCounterIn(StrictSchema):
    staff_id: int | None = None


class FinishIn(StrictSchema):
    outcome_note: str = Field(default="", max_length=4000)


class TransferIn(StrictSchema):
    service_id: int | None = None
    counter_id: int | None = None
    reason: str = Field(default="", max_length=500)


class FeedbackIn(StrictSchema):
    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2000)
    channel: str = Field(default="api", max_length=20)


class FeedbackOut(Schema):
    id: int
    rating: int
    comment: str
    visit_id: int | None
    staff_id: int | None
    service_id: int | None


class CounterOut(Schema):
    id: int
    number: int
    name: str
    is_open: bool
    staff_id: int | None


class ServiceQueueOut(Schema):
    service_id: int
    code: str
    waiting: int
    longest_wait_seconds: int | None
    served: int
    no_shows: int
    average_wait_seconds: int | None
    average_serve_seconds: int | None
    estimate_error_seconds: int | None
    estimates_judged: int


class CounterQueueOut(Schema):
    counter: CounterOut
    current_ticket: str | None
    current_visit_id: int | None


class QueueOut(Schema):
    branch_id: int
    waiting: int
    served: int
    no_shows: int
    estimate_error_seconds: int | None
    estimates_judged: int
    feedback_average: float | None
    feedback_count: int
    services: list[ServiceQueueOut]
    counters: list[CounterQueueOut]
