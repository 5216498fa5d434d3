"""Branch models: the place, its services and counters, and the walk-ins it serves."""

from layani.branches.models.appointment import Appointment, AppointmentStatus
from layani.branches.models.branch import (
    Branch,
    OpeningHours,
    Service,
    Weekday,
    validate_timezone,
)
from layani.branches.models.counter import Counter, QueueConfigStamp, QueuePolicy, QueueState
from layani.branches.models.visit import (
    PriorityCategory,
    TicketSequence,
    Visit,
    VisitSource,
    VisitStatus,
    WaitEstimate,
)

__all__ = [
    "Appointment",
    "AppointmentStatus",
    "Branch",
    "Counter",
    "OpeningHours",
    "PriorityCategory",
    "QueueConfigStamp",
    "QueuePolicy",
    "QueueState",
    "Service",
    "TicketSequence",
    "Visit",
    "VisitSource",
    "VisitStatus",
    "WaitEstimate",
    "Weekday",
    "validate_timezone",
]
