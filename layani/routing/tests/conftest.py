"""Fixtures for the routing tests."""

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

# --- SLA ------------------------------------------------------------------------------------

JAKARTA = ZoneInfo("Asia/Jakarta")
OFFICE_HOURS = {
    day: [["08:00", "12:00"], ["13:00", "17:00"]]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
}


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=JAKARTA)


class Clock:
    """The time `django.utils.timezone.now()` answers, moved by the test."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture(autouse=True)
def _fresh_sla_config() -> Iterator[None]:
    """Rolled-back tests reuse primary keys: never let one test see another's SLA policies."""
    from layani.routing.sla_config import forget

    forget()
    yield
    forget()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Monday 10 March 2025, 09:00 in Jakarta, until the test moves it."""
    from django.utils import timezone

    fixed = Clock(wib(2025, 3, 10, 9, 0))
    monkeypatch.setattr(timezone, "now", fixed)
    return fixed


@pytest.fixture
def office_calendar(db: Any):
    from layani.routing.models import BusinessCalendar

    return BusinessCalendar.objects.create(
        name="Kantor pusat", timezone="Asia/Jakarta", weekly_hours=OFFICE_HOURS, is_default=True
    )


@pytest.fixture
def make_policy(db: Any) -> Callable[..., Any]:
    """make_policy(name, **fields) -> an SLA policy (targets in minutes)."""
    from layani.routing.models import SlaPolicy

    def make(name: str = "Standar", *, branches: tuple[Any, ...] = (), **fields: Any) -> Any:
        values = {
            "first_response_minutes": 60,
            "next_response_minutes": 120,
            "resolution_minutes": 8 * 60,
            "warn_before_minutes": 15,
            **fields,
        }
        policy = SlaPolicy.objects.create(name=name, **values)
        if branches:
            policy.branches.set(branches)
        return policy

    return make


@pytest.fixture
def sla_customer(db: Any):
    from layani.customers.actions import CustomerDetails, create_customer

    return create_customer(
        CustomerDetails.from_values(
            {"full_name": "Wulan Sari", "whatsapp": "081234567890", "email": "wulan@contoh.co.id"}
        ),
        actor=None,
    )
