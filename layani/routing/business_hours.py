"""Business-hours arithmetic on a calendar: pure functions of their inputs, no Django.

A `Calendar` is an IANA time zone, the opening intervals of each weekday in that zone's
wall-clock time (several per day are fine: 08:00-12:00 and 13:00-17:00), and the dates on
which the business stays closed: Indonesian public holidays from the `holidays` package
(optionally with the government's joint leave days, *cuti bersama*) plus the business's
own closed dates. A calendar may instead be always open (24/7 channels).

Every instant given or returned is timezone-aware; the results are in UTC. Wall-clock
times are turned into instants with `zoneinfo`, so zones with daylight saving time are
handled too (a wall-clock time that does not exist is read as the zone reads it, with
`fold=0`), although the Indonesian zones (WIB, WITA, WIT) have none.

Intervals are half-open: a business open 08:00-17:00 is open at 08:00 and closed at 17:00.

- `is_within_business_hours(cal, t)`: open at `t`?
- `next_opening(cal, t)`: the first instant at or after `t` when it is open.
- `add_business_time(cal, start, duration)`: the instant when `duration` of business time
  has run since `start` (a start outside the hours begins at the next opening; a zero
  duration is `start` itself).
- `business_time_between(cal, a, b)`: business time in [a, b); zero when b <= a.

`business_time_between(cal, s, add_business_time(cal, s, d)) == d` for any `s` and `d`.
"""

import re
import zoneinfo
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

MINUTES_PER_DAY = 24 * 60
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# A calendar with opening hours is open at least once in this many days, or it is an error
# (holidays close a few days in a row at most; a year without any opening is misconfigured).
MAX_CLOSED_DAYS = 370

_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


class CalendarError(ValueError):
    """The calendar cannot answer: no opening hours at all, or bad intervals."""


@dataclass(frozen=True, order=True)
class Interval:
    """An opening interval within one day, in minutes after local midnight (end <= 1440)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end <= MINUTES_PER_DAY):
            raise CalendarError(f"bad opening interval {self.start}-{self.end}")

    @classmethod
    def parse(cls, opens: str, closes: str) -> "Interval":
        """`Interval.parse("08:00", "17:00")`; "24:00" closes at midnight."""
        return cls(parse_clock(opens), parse_clock(closes))

    def as_text(self) -> tuple[str, str]:
        return format_clock(self.start), format_clock(self.end)


def parse_clock(text: str) -> int:
    """ "08:30" -> 510 minutes after midnight; "24:00" -> 1440."""
    match = _CLOCK.match(str(text).strip())
    if not match:
        raise CalendarError(f"not a clock time (HH:MM): {text!r}")
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if minutes > MINUTES_PER_DAY:
        raise CalendarError(f"not a clock time (HH:MM): {text!r}")
    return minutes


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def normalise_day(intervals: Sequence[Interval]) -> tuple[Interval, ...]:
    """Sorted, with overlapping or touching intervals joined."""
    merged: list[Interval] = []
    for interval in sorted(intervals):
        if merged and interval.start <= merged[-1].end:
            last = merged.pop()
            merged.append(Interval(last.start, max(last.end, interval.end)))
        else:
            merged.append(interval)
    return tuple(merged)


@lru_cache(maxsize=64)
def indonesian_holidays(year: int, *, joint_leave: bool = False) -> frozenset[date]:
    """Indonesia's public holidays in `year` (and the joint leave days, *cuti bersama*,
    which the `holidays` package lists under its "government" category)."""
    import holidays

    categories = ("public", "government") if joint_leave else ("public",)
    return frozenset(holidays.country_holidays("ID", years=year, categories=categories))


@lru_cache(maxsize=32)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


@dataclass(frozen=True)
class Calendar:
    """When a business is open. `weekly[0]` is Monday's intervals, `weekly[6]` Sunday's."""

    timezone: str = "Asia/Jakarta"
    weekly: tuple[tuple[Interval, ...], ...] = ((),) * 7
    closed_dates: frozenset[date] = frozenset()
    indonesian_holidays: bool = False
    joint_leave: bool = False
    always_open: bool = False
    _zone: zoneinfo.ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    # Each local date's intervals, computed once per calendar (they never change).
    _days: dict[date, list[tuple[datetime, datetime]]] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        try:
            zone = _zone(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise CalendarError(f"unknown time zone {self.timezone!r}") from exc
        if len(self.weekly) != 7:
            raise CalendarError("a week has seven days")
        object.__setattr__(self, "weekly", tuple(normalise_day(day) for day in self.weekly))
        object.__setattr__(self, "_zone", zone)
        if not self.always_open and not any(self.weekly):
            raise CalendarError("a calendar needs opening hours or to be always open")

    @classmethod
    def around_the_clock(cls, timezone: str = "Asia/Jakarta") -> "Calendar":
        """Open 24 hours a day, every day, holidays too."""
        return cls(timezone=timezone, always_open=True)

    @classmethod
    def from_hours(
        cls,
        hours: Mapping[str, Sequence[tuple[str, str]]],
        *,
        timezone: str = "Asia/Jakarta",
        closed_dates: Sequence[date] = (),
        indonesian_holidays: bool = False,
        joint_leave: bool = False,
    ) -> "Calendar":
        """`Calendar.from_hours({"monday": [("08:00", "12:00"), ("13:00", "17:00")], ...})`."""
        unknown = set(hours) - set(WEEKDAYS)
        if unknown:
            raise CalendarError(f"unknown weekday {sorted(unknown)[0]!r}")
        weekly = tuple(
            tuple(Interval.parse(opens, closes) for opens, closes in hours.get(day, ()))
            for day in WEEKDAYS
        )
        return cls(
            timezone=timezone,
            weekly=weekly,
            closed_dates=frozenset(closed_dates),
            indonesian_holidays=indonesian_holidays,
            joint_leave=joint_leave,
        )

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return self._zone

    def is_closed_on(self, day: date) -> bool:
        """Closed the whole day: the business's own closed date or a holiday."""
        if self.always_open:
            return False
        if day in self.closed_dates:
            return True
        return self.indonesian_holidays and day in indonesian_holidays(
            day.year, joint_leave=self.joint_leave
        )

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The opening intervals of a local date as UTC instants, in order, not overlapping
        (a wall-clock time in a daylight-saving gap can map after a later one: clipped)."""
        known = self._days.get(day)
        if known is not None:
            return known
        if len(self._days) > 20_000:
            self._days.clear()
        found: list[tuple[datetime, datetime]] = []
        if not self.is_closed_on(day):
            for interval in self.weekly[day.weekday()]:
                opens = _wall_clock(day, interval.start, self._zone)
                closes = _wall_clock(day, interval.end, self._zone)
                if found:
                    opens = max(opens, found[-1][1])
                if closes > opens:
                    found.append((opens, closes))
        self._days[day] = found  # read-only from here on
        return found


def _wall_clock(day: date, minutes: int, zone: zoneinfo.ZoneInfo) -> datetime:
    """`minutes` after local midnight of `day` (1440: the next midnight), in UTC."""
    if minutes == MINUTES_PER_DAY:
        day, minutes = day + timedelta(days=1), 0
    moment = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
    return moment.astimezone(UTC)


def _aware(t: datetime, name: str) -> datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return t.astimezone(UTC)


def _open_intervals(cal: Calendar, t: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The opening intervals that end after `t`, in order and never overlapping, without end.

    Raises CalendarError when no opening comes within `MAX_CLOSED_DAYS`."""
    day = t.astimezone(cal.zone).date() - timedelta(days=1)
    closed_run = 0
    last_close: datetime | None = None
    while True:
        found = False
        for opens, closes in cal.intervals_on(day):
            if last_close is not None:
                opens = max(opens, last_close)
            if closes > t and closes > opens:
                found = True
                last_close = closes
                yield opens, closes
        if found:
            closed_run = 0
        else:
            closed_run += 1
            if closed_run > MAX_CLOSED_DAYS:
                raise CalendarError("the calendar never opens")
        day += timedelta(days=1)


def is_within_business_hours(cal: Calendar, t: datetime) -> bool:
    t = _aware(t, "t")
    if cal.always_open:
        return True
    opens, _closes = next(_open_intervals(cal, t))
    return opens <= t


def next_opening(cal: Calendar, t: datetime) -> datetime:
    """`t` itself when open; otherwise the start of the next opening interval."""
    t = _aware(t, "t")
    if cal.always_open:
        return t
    opens, _closes = next(_open_intervals(cal, t))
    return max(opens, t)


def add_business_time(cal: Calendar, start: datetime, duration: timedelta) -> datetime:
    """The instant at which `duration` of business time has run since `start`."""
    start = _aware(start, "start")
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    if duration == timedelta(0):
        return start
    if cal.always_open:
        return start + duration
    remaining = duration
    for opens, closes in _open_intervals(cal, start):
        begin = max(opens, start)
        available = closes - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("unreachable: _open_intervals never ends")  # pragma: no cover


def business_time_between(cal: Calendar, a: datetime, b: datetime) -> timedelta:
    """Business time in [a, b); never negative."""
    a, b = _aware(a, "a"), _aware(b, "b")
    if b <= a:
        return timedelta(0)
    if cal.always_open:
        return b - a
    total = timedelta(0)
    for opens, closes in _open_intervals(cal, a):
        if opens >= b:
            break
        total += min(closes, b) - max(opens, a)
    return total
