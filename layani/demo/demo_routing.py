"""Routing, priority and SLAs in the demo: business calendars per branch (Indonesian public
holidays on, one closed day of the bank's own), SLA policies, routing rules, and the agents'
status and capacity (some online, some away or on a break).

After the history is loaded, `apply_demo_slas` gives every conversation its SLA state in
one pass of the pure clock (bulk-written, like the rest of the history), the SLA sweep
warns and escalates what is due as it would have, and auto-assignment hands the waiting
conversations to the agents who are online, each decision explained on the timeline.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q

from layani.conversations.models import ACTIVE_STATUSES, Conversation, ConversationStatus
from layani.core.choices import Channel, Purpose
from layani.demo import catalogue
from layani.demo.bulk_load import insert_objects
from layani.demo.business import Business
from layani.demo.staff_roster import Roster
from layani.routing.auto_assign import assign_waiting, route_conversation, teams_with_waiting_work
from layani.routing.business_hours import WEEKDAYS
from layani.routing.models import (
    AgentPresence,
    AgentStatus,
    BusinessCalendar,
    ClosedDay,
    ConversationSla,
    RoutingRule,
    SlaPolicy,
)
from layani.routing.sla import evaluate_conversation, policy_for
from layani.routing.sla_clock import nearest_open_due
from layani.routing.sla_config import sla_config
from layani.routing.sla_sweep import run_sla_sweep
from layani.staff.models import Staff

CONTACT_CENTRE_HOURS = {day: [["07:00", "21:00"]] for day in WEEKDAYS[:6]}
# Agents by position in the roster: most online, a few away or on a break, one offline.
STATUS_CYCLE = (
    AgentStatus.ONLINE,
    AgentStatus.ONLINE,
    AgentStatus.ONLINE,
    AgentStatus.AWAY,
    AgentStatus.ONLINE,
    AgentStatus.ON_BREAK,
    AgentStatus.ONLINE,
    AgentStatus.OFFLINE,
)
# Open work counts pending conversations too, and four months of demo history leave each
# agent with a dozen or more: capacities sized so the demo's waiting work still finds room.
AGENT_CAPACITY = {"phone": 10, "chat": 25, "email": 15}
COMPLAINT_CAPACITY = {"phone": 6, "chat": 15, "email": 10}
COMPLAINT_WORDS = ["kartu hilang", "blokir", "terpotong", "kecewa", "penipuan", "komplain"]
ASSIGN_PER_TEAM = 3  # the demo leaves work waiting too ("Belum ditugaskan" is not empty)
ROUTE_FRESH = 12  # unrouted waiting conversations routed as if they had just arrived
# The very newest unrouted ones arrived a moment ago: no job has routed them yet, so the
# shared pool shows work waiting whatever the hour the demo is seeded at (late at night
# the history has few open conversations, and routing used to assign them all).
JUST_ARRIVED = 3
# SLA rows for the open conversations and those of the reports' default period (30 days):
# older history has none, which keeps seeding fast (the clock costs ~1 ms a conversation).
SLA_HISTORY_DAYS = 31


def _hours(periods: list[tuple[time, time]]) -> list[list[str]]:
    return [[f"{opens:%H:%M}", f"{closes:%H:%M}"] for opens, closes in periods]


def create_calendars(business: Business, *, year: int) -> dict[str, BusinessCalendar]:
    """The contact centre's (the default) and one per branch in its own zone."""
    branch_hours = {
        WEEKDAYS[weekday]: _hours(periods) for weekday, periods in catalogue.OPENING_PERIODS.items()
    }
    calendars = {
        "contact-centre": BusinessCalendar.objects.create(
            name="Contact Center (Senin-Sabtu 07.00-21.00 WIB)",
            timezone="Asia/Jakarta",
            weekly_hours=CONTACT_CENTRE_HOURS,
            is_default=True,
        )
    }
    for code, branch in business.branches.items():
        calendars[code] = BusinessCalendar.objects.create(
            name=f"Cabang {branch.name}",
            timezone=branch.timezone,
            weekly_hours=branch_hours,
            include_joint_leave=True,
            branch=branch,
        )
    ClosedDay.objects.bulk_create(
        ClosedDay(calendar=calendar, date=date(year, 10, 7), reason="HUT Bank Sentosa Nusantara")
        for calendar in calendars.values()
    )
    return calendars


def create_sla_policies(business: Business) -> list[SlaPolicy]:
    complaints = business.teams[catalogue.COMPLAINTS_TEAM]
    specs = [
        dict(
            name="Keluhan: respons pertama 2 jam kerja",
            order=10,
            purposes=[Purpose.COMPLAINT],
            first_response_minutes=120,
            next_response_minutes=240,
            resolution_minutes=3 * 14 * 60,
            warn_before_minutes=30,
            escalate_to_team=complaints,
            raise_priority=True,
        ),
        dict(
            name="WhatsApp & telepon mendesak: 30 menit",
            order=20,
            channels=[Channel.WHATSAPP, Channel.PHONE],
            priorities=[3, 4],
            first_response_minutes=30,
            next_response_minutes=60,
            resolution_minutes=8 * 60,
            warn_before_minutes=10,
            raise_priority=True,
        ),
        dict(
            name="Prospek: 4 jam",
            order=30,
            purposes=[Purpose.PROSPECT],
            first_response_minutes=4 * 60,
            next_response_minutes=8 * 60,
            warn_before_minutes=30,
        ),
        dict(
            name="Email: 8 jam kerja",
            order=40,
            channels=[Channel.EMAIL],
            first_response_minutes=8 * 60,
            next_response_minutes=8 * 60,
            resolution_minutes=5 * 14 * 60,
            warn_before_minutes=60,
        ),
        dict(
            name="Standar: 4 jam kerja",
            order=100,
            first_response_minutes=4 * 60,
            next_response_minutes=8 * 60,
            resolution_minutes=5 * 14 * 60,
            warn_before_minutes=30,
        ),
    ]
    return [SlaPolicy.objects.create(**spec) for spec in specs]


def create_routing_rules(business: Business) -> list[RoutingRule]:
    complaints = business.teams[catalogue.COMPLAINTS_TEAM]
    centre = business.teams[catalogue.CONTACT_CENTRE_TEAM]
    skill = [{"kind": "purpose", "value": Purpose.COMPLAINT, "min_level": 3}]
    specs = [
        dict(
            name="Kata keluhan (kartu hilang, blokir, dana terpotong)",
            position=10,
            keywords=COMPLAINT_WORDS,
            team=complaints,
            required_skills=skill,
            set_purpose=Purpose.COMPLAINT,
        ),
        dict(
            name="Keluhan ke tim Penanganan Keluhan",
            position=20,
            purposes=[Purpose.COMPLAINT],
            team=complaints,
            required_skills=skill,
        ),
        dict(
            name="Pesan & telepon ke Contact Center",
            position=50,
            channels=[
                Channel.WHATSAPP,
                Channel.TELEGRAM,
                Channel.WEBCHAT,
                Channel.MESSENGER,
                Channel.INSTAGRAM,
                Channel.PHONE,
                Channel.SMS,
            ],
            team=centre,
        ),
        dict(name="Email ke Contact Center", position=60, channels=[Channel.EMAIL], team=centre),
    ]
    return [RoutingRule.objects.create(**spec) for spec in specs]


def set_agent_statuses(roster: Roster) -> dict[str, int]:
    """Capacities per channel and a status for every agent; the demo agent sign-in online."""
    presences = []
    counts: dict[str, int] = {}
    demo_agent = roster.users.get("agent")
    people = [(s, AGENT_CAPACITY) for s in roster.agents]
    people += [(s, COMPLAINT_CAPACITY) for s in roster.complaint_agents]
    for i, (staff, capacity) in enumerate(people):
        status = STATUS_CYCLE[i % len(STATUS_CYCLE)]
        if demo_agent is not None and staff.user_id == demo_agent.pk:
            status = AgentStatus.ONLINE
        staff.capacity = dict(capacity)
        presences.append(AgentPresence(staff=staff, status=status))
        counts[status] = counts.get(status, 0) + 1
    Staff.objects.bulk_update([s for s, _c in people], ["capacity"])
    AgentPresence.objects.bulk_create(presences)
    return counts


def create_routing_config(business: Business, roster: Roster, *, year: int) -> None:
    create_calendars(business, year=year)
    create_sla_policies(business)
    create_routing_rules(business)
    set_agent_statuses(roster)


@dataclass
class DemoRouting:
    sla_rows: int = 0
    warnings: int = 0
    breaches: int = 0
    assigned: int = 0


def apply_demo_slas(now: datetime, *, batch: int = 500) -> int:
    """The SLA row of every recent or open conversation, computed by the pure clock from
    what the history says (created, first answered, waiting, resolved) and bulk-written;
    open conversations' due times follow their nearest SLA due instant, as the actions
    would have set them."""
    config = sla_config()
    written = 0
    recent = Q(created_at__gte=now - timedelta(days=SLA_HISTORY_DAYS))
    conversations = (
        Conversation.objects.filter(recent | Q(status__in=ACTIVE_STATUSES))
        .select_related("customer")
        .order_by("pk")
    )
    rows: list[ConversationSla] = []
    moved: list[Conversation] = []
    for conversation in conversations.iterator(chunk_size=batch):
        policy = policy_for(conversation, config)
        if policy is None:
            continue
        row = ConversationSla(conversation_id=conversation.pk)
        if conversation.status == ConversationStatus.PENDING and conversation.updated_at < now:
            # It has waited on the customer since its last change: the clock paused then,
            # as the action that set it pending would have paused it, not at loading time.
            evaluate_conversation(
                conversation, row, config=config, policy=policy, now=conversation.updated_at
            )
        evaluation = evaluate_conversation(conversation, row, config=config, policy=policy, now=now)
        rows.append(row)
        due = nearest_open_due(evaluation.states)
        if conversation.status in ACTIVE_STATUSES and due is not None:
            conversation.due_at = due
            moved.append(conversation)
        if len(rows) >= batch:
            written += _flush(rows, moved)
    written += _flush(rows, moved)
    return written


def _flush(rows: list[ConversationSla], moved: list[Conversation]) -> int:
    insert_objects(ConversationSla, rows)
    Conversation.objects.bulk_update(moved, ["due_at"])
    count = len(rows)
    rows.clear()
    moved.clear()
    return count


def run_demo_routing(now: datetime) -> DemoRouting:
    """SLA rows for the history, then what the background jobs would have done by now."""
    result = DemoRouting(sla_rows=apply_demo_slas(now))
    sweep = run_sla_sweep(now=now)
    result.warnings, result.breaches = sweep.warnings, sweep.breaches
    # The newest waiting conversations nobody has routed yet go through the routing rules
    # as if they had just arrived (team, then an online agent with room, explained).
    fresh = Conversation.objects.filter(
        assignee__isnull=True, team__isnull=True, status__in=ACTIVE_STATUSES
    ).order_by("-created_at", "-id")[JUST_ARRIVED : JUST_ARRIVED + ROUTE_FRESH]
    for conversation in fresh:
        if route_conversation(conversation).assignee_id is not None:
            result.assigned += 1
    for team_id in teams_with_waiting_work():
        result.assigned += assign_waiting(team_id, limit=ASSIGN_PER_TEAM)
    return result
