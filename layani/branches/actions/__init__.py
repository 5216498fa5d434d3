"""Every write on branch walk-ins, by what it does (STYLE rule 1)."""

from layani.branches.actions.appointments import book_appointment, cancel_appointment, slots_on
from layani.branches.actions.calling import (
    call_next,
    call_specific,
    finish_service,
    mark_no_show,
    recall,
    start_service,
    transfer,
)
from layani.branches.actions.check_in import (
    CheckIn,
    attach_customer_by_phone,
    check_in,
    check_in_visit,
    format_ticket,
    next_ticket_sequence,
    policy_of,
    recognise_or_record_customer,
)
from layani.branches.actions.counters import close_counter, open_counter, set_counter_services

__all__ = [
    "CheckIn",
    "attach_customer_by_phone",
    "book_appointment",
    "call_next",
    "call_specific",
    "cancel_appointment",
    "check_in",
    "check_in_visit",
    "close_counter",
    "finish_service",
    "format_ticket",
    "mark_no_show",
    "next_ticket_sequence",
    "open_counter",
    "policy_of",
    "recall",
    "recognise_or_record_customer",
    "set_counter_services",
    "slots_on",
    "start_service",
    "transfer",
]
