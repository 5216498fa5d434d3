"""/api/v1/sla-policies, /api/v1/calendars and /api/v1/conversations/{id}/sla (thin
handlers: parse, find in scope, call one action or query, render)."""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from layani.branches.models import Branch
from layani.core.errors import InvalidInput
from layani.customers.queries import customers_for
from layani.routing import sla_actions, sla_queries
from layani.routing.sla import expected_answer_at
from layani.routing.sla_config import Facts, sla_config
from layani.routing.sla_reports import sla_compliance
from layani.routing.sla_schemas import (
    CalendarIn,
    CalendarOut,
    CalendarPage,
    CalendarPatch,
    ClosedDayIn,
    ClosedDayOut,
    ComplianceOut,
    ComplianceQuery,
    ConversationSlaOut,
    ExpectedAnswerOut,
    ExpectedAnswerQuery,
    PageQuery,
    SlaPolicyIn,
    SlaPolicyOut,
    SlaPolicyPage,
    SlaPolicyPatch,
)
from layani.staff.permissions import Capability, require

policies_router = Router(tags=["sla"])
calendars_router = Router(tags=["sla"])
conversation_sla_router = Router(tags=["sla"])


def _changes(payload: Any) -> dict[str, Any]:
    values: dict[str, Any] = payload.model_dump(exclude_unset=True)
    if not values:
        raise InvalidInput(_("Nothing to change."), code="empty_update")
    return values


# --- Policies -------------------------------------------------------------------------------


@policies_router.get("/", response=SlaPolicyPage, summary="List SLA policies in order")
def list_policies(request: HttpRequest, page: Query[PageQuery]) -> SlaPolicyPage:
    found = sla_queries.policy_page(request.user, cursor=page.cursor, limit=page.limit)
    return SlaPolicyPage(items=found.items, next_cursor=found.next_cursor)  # type: ignore[arg-type]


@policies_router.post("/", response={201: SlaPolicyOut}, summary="Create an SLA policy (admin)")
def create_policy(request: HttpRequest, payload: SlaPolicyIn) -> Status:
    policy = sla_actions.create_policy(actor=request.user, **payload.model_dump())
    return Status(201, sla_queries.access_policy(request.user, policy.pk))


@policies_router.get(
    "/expected-answer",
    response=ExpectedAnswerOut,
    summary="When a customer writing now should expect the first answer",
)
def expected_answer(request: HttpRequest, query: Query[ExpectedAnswerQuery]) -> ExpectedAnswerOut:
    require(request.user, Capability.VIEW_CONVERSATIONS)
    customer = None
    if query.customer_id is not None:
        customer = customers_for(request.user).filter(pk=query.customer_id).first()
        if customer is None:
            raise InvalidInput(
                _("Not found: check the id."), code="unknown_id", field="customer_id"
            )
    if query.branch_id is not None and not Branch.objects.filter(pk=query.branch_id).exists():
        raise InvalidInput(_("Not found: check the id."), code="unknown_id", field="branch_id")
    now = timezone.now()
    expected = expected_answer_at(
        channel=query.channel,
        purpose=query.purpose,
        priority=query.priority,
        customer=customer,
        branch=query.branch_id,
        now=now,
    )
    policy = sla_config().policy_for(
        Facts(
            channel=query.channel,
            purpose=query.purpose,
            priority=query.priority,
            branch_id=query.branch_id,
            customer_status=getattr(customer, "status", None),
            tier=getattr(customer, "tier", None),
        )
    )
    return ExpectedAnswerOut(
        expected_at=expected,
        policy_id=policy.id if policy else None,
        policy=policy.name if policy else None,
    )


@policies_router.get(
    "/compliance",
    response=ComplianceOut,
    summary="SLA compliance of the conversations created in a period (supervisors, admins)",
)
def compliance(request: HttpRequest, query: Query[ComplianceQuery]) -> ComplianceOut:
    rows = sla_compliance(request.user, start=query.start, end=query.end, by=query.by)
    return ComplianceOut(
        by=query.by,
        start=query.start,
        end=query.end,
        rows=[{**row.__dict__, "compliance_percent": row.compliance_percent} for row in rows],  # type: ignore[misc]
    )


@policies_router.get("/{policy_id}", response=SlaPolicyOut, summary="Read an SLA policy")
def read_policy(request: HttpRequest, policy_id: int):
    return sla_queries.access_policy(request.user, policy_id)


@policies_router.patch("/{policy_id}", response=SlaPolicyOut, summary="Change an SLA policy")
def update_policy(request: HttpRequest, policy_id: int, payload: SlaPolicyPatch):
    policy = sla_queries.access_policy(request.user, policy_id)
    values = _changes(payload)
    sla_actions.update_policy(policy, actor=request.user, **values)
    return sla_queries.access_policy(request.user, policy_id)


@policies_router.delete("/{policy_id}", response={204: None}, summary="Delete an SLA policy")
def delete_policy(request: HttpRequest, policy_id: int) -> Status:
    policy = sla_queries.access_policy(request.user, policy_id)
    sla_actions.delete_policy(policy, actor=request.user)
    return Status(204, None)


# --- Calendars ------------------------------------------------------------------------------


@calendars_router.get("/", response=CalendarPage, summary="List business calendars")
def list_calendars(request: HttpRequest, page: Query[PageQuery]) -> CalendarPage:
    found = sla_queries.calendar_page(request.user, cursor=page.cursor, limit=page.limit)
    return CalendarPage(items=found.items, next_cursor=found.next_cursor)  # type: ignore[arg-type]


@calendars_router.post(
    "/",
    response={201: CalendarOut},
    summary="Create a business calendar (admins; supervisors for their own branches)",
)
def create_calendar(request: HttpRequest, payload: CalendarIn) -> Status:
    calendar = sla_actions.create_calendar(actor=request.user, **payload.model_dump())
    return Status(201, sla_queries.access_calendar(request.user, calendar.pk))


@calendars_router.get("/{calendar_id}", response=CalendarOut, summary="Read a business calendar")
def read_calendar(request: HttpRequest, calendar_id: int):
    return sla_queries.access_calendar(request.user, calendar_id)


@calendars_router.patch(
    "/{calendar_id}", response=CalendarOut, summary="Change a business calendar"
)
def update_calendar(request: HttpRequest, calendar_id: int, payload: CalendarPatch):
    calendar = sla_queries.access_calendar(request.user, calendar_id)
    sla_actions.update_calendar(calendar, actor=request.user, **_changes(payload))
    return sla_queries.access_calendar(request.user, calendar_id)


@calendars_router.delete(
    "/{calendar_id}", response={204: None}, summary="Delete a business calendar"
)
def delete_calendar(request: HttpRequest, calendar_id: int) -> Status:
    calendar = sla_queries.access_calendar(request.user, calendar_id)
    sla_actions.delete_calendar(calendar, actor=request.user)
    return Status(204, None)


@calendars_router.post(
    "/{calendar_id}/closed-days",
    response={201: ClosedDayOut},
    summary="Close the business on a date (besides the public holidays)",
)
def add_closed_day(request: HttpRequest, calendar_id: int, payload: ClosedDayIn) -> Status:
    calendar = sla_queries.access_calendar(request.user, calendar_id)
    closed = sla_actions.add_closed_day(
        calendar, day=payload.date, reason=payload.reason, actor=request.user
    )
    return Status(201, closed)


@calendars_router.delete(
    "/{calendar_id}/closed-days/{closed_day_id}",
    response={204: None},
    summary="Open again on a closed date",
)
def remove_closed_day(request: HttpRequest, calendar_id: int, closed_day_id: int) -> Status:
    closed = sla_queries.access_closed_day(request.user, calendar_id, closed_day_id)
    sla_actions.remove_closed_day(closed, actor=request.user)
    return Status(204, None)


# --- A conversation's SLA -------------------------------------------------------------------


@conversation_sla_router.get(
    "/{conversation_id}/sla",
    response=ConversationSlaOut,
    summary="A conversation's SLA: each target's due time, time left, state and colour",
)
def conversation_sla(request: HttpRequest, conversation_id: int) -> ConversationSlaOut:
    view = sla_queries.conversation_sla(request.user, conversation_id, now=timezone.now())
    return ConversationSlaOut(
        conversation_id=view.conversation_id,
        policy_id=view.policy.id if view.policy else None,
        policy=view.policy.name if view.policy else None,
        paused_since=view.paused_since,
        targets=[
            {  # type: ignore[misc]
                **t.__dict__,
                "time_left_seconds": int(t.time_left.total_seconds()),
                "late_by_seconds": int(t.late_by.total_seconds()),
            }
            for t in view.targets
        ],
        next_responses=view.next_responses,
        next_response_breaches=view.next_response_breaches,
    )
