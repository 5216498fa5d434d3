"""Walk-ins at the demo bank's branches: months of served tickets and today's live queue.

Rows match what `branches.actions.check_in_visit` writes (ticket numbers per branch,
service and day in the branch's zone, the `TicketSequence` counter, the check-in event),
plus the called / finished / no-show transitions the counter actions record.
"""

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from layani.branches.actions import format_ticket
from layani.branches.models import Branch, Service, TicketSequence, Visit, VisitStatus
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
# The queue issue adds `queue_since` (the arrival used for fairness; check-in for walk-ins).
_HAS_QUEUE_SINCE = any(f.name == "queue_since" for f in Visit._meta.get_fields())


@dataclass
class _Ticket:
    visit: Visit
    events: list[tuple[entries.Entry, datetime, User | None]]


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
        self.sequences: dict[tuple[int, int, date], int] = defaultdict(int)

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
        """A live queue: some already served today, one at the counter, some waiting."""
        branch = self.business.branches[branch_code]
        zone = ZoneInfo(branch.timezone)
        now = self.window.now
        local_midnight = now.astimezone(zone).replace(hour=0, minute=1, second=0, microsecond=0)
        start = max(local_midnight, now - timedelta(hours=3))
        moments = sorted(
            self.window.moment_between(self.rng, start, now) for _ in range(done + 1 + waiting)
        )
        tickets = []
        for i, moment in enumerate(moments):
            status = (
                VisitStatus.DONE
                if i < done
                else VisitStatus.SERVING
                if i == done
                else VisitStatus.WAITING
            )
            tickets.append(self._ticket(branch, zone, moment, status, until=now))
        self._save(tickets)
        return len(tickets)

    # --- one day, one ticket ---------------------------------------------------------------

    def _day(self, branch: Branch, zone: ZoneInfo, day: date, periods) -> list[_Ticket]:  # type: ignore[no-untyped-def]
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
        pool = (
            self.prospects
            if service.purpose == Purpose.PROSPECT and rng.random() < 0.7
            else self.known
        )
        for _ in range(5):
            candidate = rng.choice(pool)
            if candidate.created_at <= at:
                return candidate
        return None

    def _server(self, branch: Branch, customer: Customer | None) -> Staff:
        servers = self.roster.branch_servers[branch.code]
        preferred = customer.preferred_staff if customer else None
        if preferred is not None and preferred in servers and self.rng.random() < 0.8:
            return preferred  # continuity: the customer's own staff member
        return self.rng.choice(servers)

    def _ticket(
        self, branch: Branch, zone: ZoneInfo, checked_in: datetime, status: str, *, until: datetime
    ) -> _Ticket:
        rng = self.rng
        service = rng.choices(self.services, weights=self.shares)[0]
        day = checked_in.astimezone(zone).date()
        key = (branch.pk, service.pk, day)
        self.sequences[key] += 1
        sequence = self.sequences[key]
        ticket = format_ticket(service, sequence)
        customer = self._customer(service, checked_in)
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
            checked_in_at=checked_in,
        )
        if _HAS_QUEUE_SINCE:
            visit.queue_since = checked_in
        events: list[tuple[entries.Entry, datetime, User | None]] = []
        if customer is not None:
            kiosk = self.roster.kiosk_users.get(branch.code)
            events.append(
                (
                    entries.visit_checked_in(
                        ticket, service.name_id, branch.name, service.code, service.purpose
                    ),
                    checked_in,
                    kiosk,
                )
            )
        if status in (VisitStatus.WAITING, VisitStatus.CANCELLED):
            return _Ticket(visit, events)
        server = self._server(branch, customer)
        wait = timedelta(minutes=rng.uniform(2, 35 if checked_in.weekday() == 0 else 22))
        called = min(checked_in + wait, until)
        visit.called_at, visit.served_by = called, server
        events.append(
            (entries.visit_called(ticket, server.pk, server.display_name), called, server.user)
        )
        if status == VisitStatus.NO_SHOW:
            visit.finished_at = min(called + timedelta(minutes=3), until)
            events.append((entries.visit_no_show(ticket), visit.finished_at, server.user))
            return _Ticket(visit, events)
        visit.serving_started_at = min(called + timedelta(seconds=rng.randint(40, 180)), until)
        if status == VisitStatus.SERVING:
            return _Ticket(visit, events)
        serve = timedelta(
            minutes=max(
                2.0,
                rng.gauss(service.default_handling_minutes, service.default_handling_minutes / 3),
            )
        )
        visit.finished_at = min(visit.serving_started_at + serve, until)
        visit.outcome_note = rng.choice(OUTCOMES[service.purpose])
        events.append(
            (
                entries.visit_finished(
                    ticket,
                    service.name_id,
                    int((called - checked_in).total_seconds()),
                    int((visit.finished_at - visit.serving_started_at).total_seconds()),
                ),
                visit.finished_at,
                server.user,
            )
        )
        return _Ticket(visit, events)

    # --- writing ---------------------------------------------------------------------------

    def _save(self, tickets: list[_Ticket]) -> None:
        for start in range(0, len(tickets), BATCH):
            batch = tickets[start : start + BATCH]
            insert_objects(Visit, [t.visit for t in batch])
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
        existing = {
            (s.branch_id, s.service_id, s.service_day): s
            for s in TicketSequence.objects.filter(
                service_day__gte=min((k[2] for k in self.sequences), default=date.today())
            )
        }
        new, changed = [], []
        for (branch_id, service_id, day), last in self.sequences.items():
            row = existing.get((branch_id, service_id, day))
            if row is None:
                new.append(
                    TicketSequence(
                        branch_id=branch_id, service_id=service_id, service_day=day, last_value=last
                    )
                )
            elif row.last_value < last:
                row.last_value = last
                changed.append(row)
        TicketSequence.objects.bulk_create(new, batch_size=BATCH)
        TicketSequence.objects.bulk_update(changed, ["last_value"])
