"""Walk-ins at the demo bank's branches: months of served tickets and today's live queue.

Rows match what the branch actions write: `check_in_visit` (ticket number per branch,
service and day in the branch's zone, the `TicketSequence` counter, `queue_since`, the
check-in event) and the counter actions (called to a counter, finished, no-show, with the
timeline rows they record: a call is logged even for an anonymous ticket, the rest only
on a known customer's timeline).
"""

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from layani.branches.models import (
    Branch,
    Counter,
    PriorityCategory,
    Service,
    TicketSequence,
    Visit,
    VisitStatus,
    WaitEstimate,
)
from layani.conversations.models import TimelineEvent
from layani.core.choices import Purpose
from layani.customers.models import Customer, CustomerStatus
from layani.demo import catalogue
from layani.demo import timeline_entries as entries
from layani.demo.bulk_load import insert_objects
from layani.demo.business import Business
from layani.demo.demo_customers import Window
from layani.demo.staff_roster import Roster
from layani.demo.texts import OUTCOMES, VISIT_NOTES
from layani.staff.models import Staff

BATCH = 1_000
# What matters (tags) that earns a place ahead in the queue, by the branch's policy.
PRIORITY_TAGS = {
    "lansia": PriorityCategory.ELDERLY,
    "disabilitas": PriorityCategory.DISABLED,
    "prioritas-antrean": PriorityCategory.PREGNANT,
}
CALL_REASONS = ["score"] * 8 + ["max_wait", "ratio"]


@dataclass
class _Ticket:
    visit: Visit
    events: list[tuple[entries.Entry, datetime, User | None]]
    estimate: WaitEstimate


def format_ticket(service: Service, sequence: int) -> str:
    """As `branches.actions.check_in.format_ticket`: prefix and at least three digits."""
    return f"{service.ticket_prefix}{sequence:03d}"


class VisitGenerator:
    def __init__(
        self,
        rng: random.Random,
        window: Window,
        business: Business,
        roster: Roster,
        customers: list[Customer],
    ) -> None:
        self.rng = rng
        self.window = window
        self.business = business
        self.roster = roster
        self.services = [business.services[s.code] for s in catalogue.SERVICES]
        self.shares = [s.share for s in catalogue.SERVICES]
        self.known = [c for c in customers if c.status == CustomerStatus.CUSTOMER]
        self.prospects = [c for c in customers if c.status == CustomerStatus.PROSPECT]
        self.sequences: dict[tuple[int, str, date], int] = defaultdict(int)
        # Per (branch, service, day): when each earlier ticket was called (None: not yet).
        self.called_times: dict[tuple[int, int, date], list[datetime | None]] = defaultdict(list)
        self.counter_services = {
            facts.number: set(facts.service_codes) for facts in catalogue.COUNTERS
        }

    def generate_history(self) -> int:
        """Every opening day of the window before today, in every branch."""
        tickets: list[_Ticket] = []
        for branch in self.business.branches.values():
            zone = ZoneInfo(branch.timezone)
            today = self.window.now.astimezone(zone).date()
            day = self.window.start.astimezone(zone).date()
            while day < today:
                periods = catalogue.OPENING_PERIODS.get(day.weekday(), [])
                if periods:
                    tickets.extend(self._day(branch, zone, day, periods))
                day += timedelta(days=1)
        self._save(tickets)
        return len(tickets)

    def generate_today(self, branch_code: str, *, done: int, waiting: int) -> int:
        """A live queue: some visitors already served today, some still waiting."""
        branch = self.business.branches[branch_code]
        zone = ZoneInfo(branch.timezone)
        now = self.window.now
        local_start = datetime.combine(now.astimezone(zone).date(), time(0, 1), zone)
        start = max(local_start, now - timedelta(hours=3))
        moments = sorted(
            self.window.moment_between(self.rng, start, now) for _ in range(done + waiting)
        )
        tickets = [
            self._ticket(
                branch,
                zone,
                moment,
                VisitStatus.DONE if i < done else VisitStatus.WAITING,
                until=now,
            )
            for i, moment in enumerate(moments)
        ]
        self._save(tickets)
        return len(tickets)

    # --- one day, one ticket ---------------------------------------------------------------

    def _day(
        self, branch: Branch, zone: ZoneInfo, day: date, periods: list[tuple[time, time]]
    ) -> list[_Ticket]:
        rng = self.rng
        busy = 1.4 if day.weekday() == 0 else 1.0  # Monday mornings are the busiest
        count = int(rng.randint(5, 9) if day.weekday() == 5 else rng.randint(9, 18) * busy)
        moments = []
        for _ in range(count):
            opens, closes = rng.choice(periods)
            start = datetime.combine(day, opens, zone)
            end = datetime.combine(day, closes, zone) - timedelta(minutes=20)
            moments.append(self.window.moment_between(rng, start, end))
        tickets = []
        for moment in sorted(moments):
            roll = rng.random()
            status = (
                VisitStatus.NO_SHOW
                if roll < 0.05
                else VisitStatus.CANCELLED
                if roll < 0.07
                else VisitStatus.DONE
            )
            tickets.append(self._ticket(branch, zone, moment, status, until=self.window.now))
        return tickets

    def _customer(self, service: Service, at: datetime) -> Customer | None:
        rng = self.rng
        if rng.random() < 0.2:
            return None  # took a ticket without identifying themself
        prospect = service.purpose == Purpose.PROSPECT and rng.random() < 0.7
        pool = self.prospects if prospect else self.known
        for _ in range(5):
            candidate = rng.choice(pool)
            if candidate.created_at <= at:
                return candidate
        return None

    def _counter(self, branch: Branch, service: Service) -> Counter:
        counters = [
            c
            for c in self.business.counters[branch.code]
            if service.code in self.counter_services[c.number]
        ]
        return self.rng.choice(counters)

    def _server(self, branch: Branch, service: Service, customer: Customer | None) -> Staff:
        servers = self.roster.branch_servers[branch.code]
        preferred = customer.preferred_staff if customer else None
        if preferred is not None and preferred in servers and self.rng.random() < 0.8:
            return preferred  # continuity: the customer's own staff member
        skilled = [s for s in servers if service.code in self.roster.service_skills.get(s.pk, ())]
        return self.rng.choice(skilled or servers)

    def _ticket(
        self, branch: Branch, zone: ZoneInfo, checked_in: datetime, status: str, *, until: datetime
    ) -> _Ticket:
        rng = self.rng
        service = rng.choices(self.services, weights=self.shares)[0]
        day = checked_in.astimezone(zone).date()
        key = (branch.pk, service.ticket_prefix, day)
        self.sequences[key] += 1
        sequence = self.sequences[key]
        ticket = format_ticket(service, sequence)
        customer = self._customer(service, checked_in)
        tags = customer.what_matters_tags if customer else []
        visit = Visit(
            branch=branch,
            service=service,
            purpose=service.purpose,
            customer=customer,
            service_day=day,
            ticket_sequence=sequence,
            ticket_number=ticket,
            status=status,
            note=rng.choice(VISIT_NOTES),
            priority_category=next((PRIORITY_TAGS[t] for t in tags if t in PRIORITY_TAGS), ""),
            checked_in_at=checked_in,
            queue_since=checked_in,
        )
        local = checked_in.astimezone(zone)
        wait = timedelta(minutes=rng.uniform(2, 35 if local.weekday() == 0 else 22))
        called = None
        if status not in (VisitStatus.WAITING, VisitStatus.CANCELLED):
            called = min(checked_in + wait, until)
        estimate = self._estimate(visit, service, checked_in, called, wait)
        events: list[tuple[entries.Entry, datetime, User | None]] = []
        if customer is not None:
            kiosk = self.roster.kiosk_users.get(branch.code)
            minutes = math.ceil(estimate.estimated_seconds / 60)
            entry = entries.visit_checked_in(ticket, service, branch.name, visit.note, minutes)
            events.append((entry, checked_in, kiosk))
        if called is None:
            return _Ticket(visit, events, estimate)
        server, counter = self._server(branch, service, customer), self._counter(branch, service)
        visit.called_at, visit.served_by, visit.counter = called, server, counter
        reason = rng.choice(CALL_REASONS)
        group = "priority" if visit.priority_category or (customer and customer.tier) else "normal"
        events.append(
            (entries.visit_called(ticket, counter.name, reason, group), called, server.user)
        )
        if status == VisitStatus.NO_SHOW:
            visit.finished_at = min(called + timedelta(minutes=4), until)
            visit.recall_count = 2
            if customer is not None:
                events.append((entries.visit_no_show(ticket, 2), visit.finished_at, server.user))
            return _Ticket(visit, events, estimate)
        visit.serving_started_at = min(called + timedelta(seconds=rng.randint(40, 180)), until)
        minutes = service.default_handling_minutes
        serve = timedelta(minutes=max(2.0, rng.gauss(minutes, minutes / 3)))
        visit.finished_at = min(visit.serving_started_at + serve, until)
        visit.outcome_note = rng.choice(OUTCOMES[Purpose(service.purpose)])
        if customer is not None:
            entry = entries.visit_finished(
                visit.outcome_note or ticket,
                service.code,
                int((called - checked_in).total_seconds()),
                int((visit.finished_at - visit.serving_started_at).total_seconds()),
            )
            events.append((entry, visit.finished_at, server.user))
        return _Ticket(visit, events, estimate)

    def _estimate(
        self,
        visit: Visit,
        service: Service,
        checked_in: datetime,
        called: datetime | None,
        wait: timedelta,
    ) -> WaitEstimate:
        """The wait the kiosk announced (`give_estimate`), settled at the call."""
        earlier = self.called_times[(visit.branch.pk, service.pk, visit.service_day)]
        ahead = sum(1 for at in earlier if at is None or at > checked_in)
        earlier.append(called)
        seconds = wait.total_seconds() * self.rng.uniform(0.7, 1.3)
        if called is None:
            seconds = (ahead + 1) * service.default_handling_minutes * 60 / 2
        return WaitEstimate(
            visit=visit,
            branch=visit.branch,
            service=service,
            given_at=checked_in,
            position=ahead + 1,
            estimated_seconds=max(60, int(seconds)),
            actual_seconds=int((called - checked_in).total_seconds()) if called else None,
            shown_on="kiosk",
        )

    # --- writing ---------------------------------------------------------------------------

    def _save(self, tickets: list[_Ticket]) -> None:
        for start in range(0, len(tickets), BATCH):
            batch = tickets[start : start + BATCH]
            insert_objects(Visit, [t.visit for t in batch])
            for ticket in batch:
                ticket.estimate.visit = ticket.visit
            insert_objects(WaitEstimate, [t.estimate for t in batch])
            insert_objects(
                TimelineEvent,
                [
                    TimelineEvent(
                        kind=kind,
                        occurred_at=at,
                        customer=t.visit.customer,
                        visit=t.visit,
                        branch=t.visit.branch,
                        actor=actor,
                        summary=summary,
                        details=details,
                    )
                    for t in batch
                    for (kind, summary, details), at, actor in t.events
                ],
            )

    def save_ticket_sequences(self) -> None:
        """The counters `check_in_visit` keeps, so the next real check-in continues from here."""
        TicketSequence.objects.bulk_create(
            [
                TicketSequence(branch_id=b, prefix=prefix, service_day=day, last_value=last)
                for (b, prefix, day), last in self.sequences.items()
            ],
            batch_size=BATCH,
        )
