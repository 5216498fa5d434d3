"""The demo bank's customers: names, contacts, membership, what matters, and their timeline.

Rows are exactly what `customers.actions.create_customer` (and a later `update_customer` of
"what matters") would write, including the timeline events, but written in bulk.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User

from layani.conversations.models import TimelineEvent
from layani.customers.identities import normalise_email, normalise_name
from layani.customers.models import (
    Customer,
    CustomerIdentity,
    CustomerStatus,
    IdentityKind,
    MembershipTier,
)
from layani.demo import timeline_entries as entries
from layani.demo.bulk_load import insert_objects
from layani.demo.people import (
    EMAIL_DOMAINS,
    WHAT_MATTERS,
    NamePool,
    email_local_part,
    instagram_handle,
    is_valid_mobile_number,
    random_mobile_number,
    telegram_username,
)
from layani.demo.staff_roster import Roster

BATCH = 1_000
TIERS = [MembershipTier.SILVER] * 6 + [MembershipTier.GOLD] * 3 + [MembershipTier.PLATINUM]


@dataclass(frozen=True)
class Window:
    """The stretch of history the demo covers, ending now."""

    start: datetime
    now: datetime

    def moment_between(self, rng: random.Random, start: datetime, end: datetime) -> datetime:
        span = max((end - start).total_seconds(), 1.0)
        return start + timedelta(seconds=rng.uniform(0, span))


class _Unique:
    """Values not given out yet (identities are unique per kind)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def take(self, make):
        while True:
            value = make()
            if value not in self.seen:
                self.seen.add(value)
                return value


def _event(
    entry: entries.Entry, *, customer: Customer, at: datetime, actor: User | None
) -> TimelineEvent:
    kind, summary, details = entry
    return TimelineEvent(
        kind=kind, occurred_at=at, customer=customer, actor=actor, summary=summary, details=details
    )


class CustomerGenerator:
    def __init__(self, rng: random.Random, window: Window, roster: Roster) -> None:
        self.rng = rng
        self.window = window
        self.roster = roster
        self.names = NamePool()
        self.phones = _Unique()
        self.emails = _Unique()
        self.handles = _Unique()
        self.member_numbers = _Unique()
        self.staff_users = [s.user for s in roster.agents] + [
            s.user for servers in roster.branch_servers.values() for s in servers
        ]
        self.loyal_servers = [s for servers in roster.branch_servers.values() for s in servers]

    def generate(self, count: int) -> list[Customer]:
        """Create `count` customers with identities and timeline; return them (with ids)."""
        customers: list[Customer] = []
        for start in range(0, count, BATCH):
            batch = [self._customer() for _ in range(min(BATCH, count - start))]
            insert_objects(Customer, batch)
            self._contacts_and_timeline(batch)
            customers.extend(batch)
        return customers

    def _customer(self) -> Customer:
        rng, window = self.rng, self.window
        name = self.names.full_name(rng)
        roll = rng.random()
        customer = Customer(full_name=name, search_name=normalise_name(name), language="id")
        if roll < 0.12:
            customer.status = CustomerStatus.PROSPECT
            customer.created_at = window.moment_between(rng, window.start, window.now)
        elif roll < 0.42:
            customer.tier = rng.choice(TIERS)
            since_year = rng.randint(2008, window.now.year - 1)
            customer.member_since = window.now.date().replace(
                year=since_year, month=rng.randint(1, 12), day=rng.randint(1, 28)
            )
            customer.membership_number = self.member_numbers.take(
                lambda: f"SN{rng.randrange(10**9):09d}"
            )
            customer.created_at = window.moment_between(
                rng, window.start - timedelta(days=3 * 365), window.start
            )
            if rng.random() < 0.25 and self.loyal_servers:
                customer.preferred_staff = rng.choice(self.loyal_servers)
        else:
            recent = rng.random() < 0.4
            customer.created_at = window.moment_between(
                rng,
                window.start if recent else window.start - timedelta(days=3 * 365),
                window.now if recent else window.start,
            )
        if rng.random() < 0.3:
            text, tags = rng.choice(WHAT_MATTERS)
            customer.what_matters, customer.what_matters_tags = text, list(tags)
            customer.what_matters_updated_at = window.moment_between(
                rng, customer.created_at, window.now
            )
            if "bahasa-inggris" in tags:
                customer.language = "en"
        customer.updated_at = customer.what_matters_updated_at or customer.created_at
        return customer

    def _identities(self, customer: Customer) -> list[tuple[str, str]]:
        rng = self.rng
        prospect = customer.status == CustomerStatus.PROSPECT
        found: list[tuple[str, str]] = []
        phone = None
        if rng.random() < (0.8 if prospect else 0.97):
            phone = self.phones.take(lambda: _valid_mobile(rng))
            found.append((IdentityKind.PHONE, phone))
        if rng.random() < 0.5:
            whatsapp = (
                phone
                if phone and rng.random() < 0.9
                else self.phones.take(lambda: _valid_mobile(rng))
            )
            found.append((IdentityKind.WHATSAPP, whatsapp))
        if rng.random() < (0.35 if prospect else 0.65):
            email = self.emails.take(
                lambda: normalise_email(
                    f"{email_local_part(customer.full_name, rng)}@{rng.choice(EMAIL_DOMAINS)}"
                )
            )
            found.append((IdentityKind.EMAIL, email))
        if rng.random() < 0.06:
            handle = self.handles.take(lambda: telegram_username(customer.full_name, rng))
            found.append((IdentityKind.TELEGRAM, handle))
        if rng.random() < (0.3 if prospect else 0.04) or not found:
            handle = self.handles.take(lambda: instagram_handle(customer.full_name, rng))
            found.append((IdentityKind.INSTAGRAM, handle))
        return found

    def _contacts_and_timeline(self, customers: list[Customer]) -> None:
        identities: list[CustomerIdentity] = []
        events: list[TimelineEvent] = []
        for customer in customers:
            actor = self.rng.choice(self.staff_users) if self.rng.random() < 0.7 else None
            at = customer.created_at
            for kind, value in self._identities(customer):
                identities.append(
                    CustomerIdentity(
                        customer=customer, kind=kind, value=value, is_primary=True, created_at=at
                    )
                )
                events.append(
                    _event(
                        entries.identity_added(kind, value), customer=customer, at=at, actor=actor
                    )
                )
            events.append(
                _event(
                    entries.customer_created(customer.full_name, customer.status),
                    customer=customer,
                    at=at,
                    actor=actor,
                )
            )
            if customer.what_matters:
                events.append(
                    _event(
                        entries.what_matters_changed(
                            customer.what_matters, customer.what_matters_tags
                        ),
                        customer=customer,
                        at=customer.what_matters_updated_at or customer.created_at,
                        actor=self.rng.choice(self.staff_users),
                    )
                )
        insert_objects(CustomerIdentity, identities)
        insert_objects(TimelineEvent, events)


def _valid_mobile(rng: random.Random) -> str:
    number = random_mobile_number(rng)
    if not is_valid_mobile_number(number):  # every prefix we use is valid; this guards edits
        raise ValueError(f"Generated an invalid mobile number: {number}")
    return number
