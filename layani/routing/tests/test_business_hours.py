"""Business-hours arithmetic: examples a person can check on a calendar, then properties."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layani.routing.business_hours import (
    WEEKDAYS,
    Calendar,
    CalendarError,
    Interval,
    add_business_time,
    business_time_between,
    indonesian_holidays,
    is_within_business_hours,
    next_opening,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
MAKASSAR = ZoneInfo("Asia/Makassar")
JAYAPURA = ZoneInfo("Asia/Jayapura")

OFFICE = {day: [("08:00", "12:00"), ("13:00", "17:00")] for day in WEEKDAYS[:5]}


def office(**kwargs) -> Calendar:
    return Calendar.from_hours(OFFICE, **kwargs)


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=JAKARTA)


def test_open_in_the_morning_and_afternoon_but_not_at_lunch_or_at_night():
    cal = office()
    monday = (2025, 3, 3)
    assert is_within_business_hours(cal, wib(*monday, 8, 0))
    assert is_within_business_hours(cal, wib(*monday, 11, 59))
    assert not is_within_business_hours(cal, wib(*monday, 12, 0))
    assert not is_within_business_hours(cal, wib(*monday, 12, 30))
    assert is_within_business_hours(cal, wib(*monday, 13, 0))
    assert not is_within_business_hours(cal, wib(*monday, 17, 0))
    assert not is_within_business_hours(cal, wib(*monday, 7, 59))
    assert not is_within_business_hours(cal, wib(2025, 3, 8, 10, 0))  # Saturday


def test_adding_time_skips_lunch_nights_and_the_weekend():
    cal = office()
    friday_afternoon = wib(2025, 3, 7, 16, 0)
    # One hour left on Friday, then Monday 08:00 + 1 h.
    assert add_business_time(cal, friday_afternoon, timedelta(hours=2)) == wib(2025, 3, 10, 9, 0)
    # 11:30 + 1 h = 30 min before lunch and 30 min after.
    assert add_business_time(cal, wib(2025, 3, 3, 11, 30), timedelta(hours=1)) == wib(
        2025, 3, 3, 13, 30
    )
    # Exactly the time left in the interval: due at closing.
    assert add_business_time(cal, wib(2025, 3, 3, 16, 0), timedelta(hours=1)) == wib(
        2025, 3, 3, 17, 0
    )


def test_a_message_at_night_starts_counting_at_the_next_opening():
    cal = office()
    sunday_night = wib(2025, 3, 9, 22, 15)
    assert next_opening(cal, sunday_night) == wib(2025, 3, 10, 8, 0)
    assert add_business_time(cal, sunday_night, timedelta(minutes=30)) == wib(2025, 3, 10, 8, 30)
    assert next_opening(cal, wib(2025, 3, 10, 9, 0)) == wib(2025, 3, 10, 9, 0)


def test_time_between_counts_only_open_hours_and_is_never_negative():
    cal = office()
    assert business_time_between(cal, wib(2025, 3, 7, 16, 0), wib(2025, 3, 10, 9, 0)) == timedelta(
        hours=2
    )
    assert business_time_between(cal, wib(2025, 3, 3, 8, 0), wib(2025, 3, 10, 8, 0)) == timedelta(
        hours=40
    )
    assert business_time_between(cal, wib(2025, 3, 10, 9, 0), wib(2025, 3, 7, 16, 0)) == timedelta(
        0
    )


def test_eid_holidays_are_skipped_and_joint_leave_only_when_asked():
    # 2025: Eid al-Fitr on Monday 31 March and Tuesday 1 April; joint leave 2-4 and 7 April.
    assert date(2025, 3, 31) in indonesian_holidays(2025)
    assert date(2025, 4, 2) not in indonesian_holidays(2025)
    assert date(2025, 4, 2) in indonesian_holidays(2025, joint_leave=True)
    friday = wib(2025, 3, 28, 16, 0)
    public = office(indonesian_holidays=True)
    assert add_business_time(public, friday, timedelta(hours=2)) == wib(2025, 4, 2, 9, 0)
    # Friday 28 March is itself joint leave (Day of Silence): from Thursday, one hour that
    # day, then nothing until Tuesday 8 April.
    joint = office(indonesian_holidays=True, joint_leave=True)
    thursday = wib(2025, 3, 27, 16, 0)
    assert add_business_time(joint, thursday, timedelta(hours=2)) == wib(2025, 4, 8, 9, 0)
    assert add_business_time(public, thursday, timedelta(hours=2)) == wib(2025, 3, 28, 9, 0)
    plain = office()
    assert add_business_time(plain, friday, timedelta(hours=2)) == wib(2025, 3, 31, 9, 0)


def test_the_business_own_closed_days_are_skipped():
    cal = office(closed_dates=[date(2025, 3, 10)])
    assert add_business_time(cal, wib(2025, 3, 7, 16, 0), timedelta(hours=2)) == wib(
        2025, 3, 11, 9, 0
    )
    assert not is_within_business_hours(cal, wib(2025, 3, 10, 10, 0))


def test_the_calendar_is_read_in_its_own_time_zone():
    """08:00 in Makassar (WITA) is 07:00 in Jakarta; in Jayapura (WIT) 06:00."""
    hours = {day: [("08:00", "17:00")] for day in WEEKDAYS}
    wita = Calendar.from_hours(hours, timezone="Asia/Makassar")
    wit = Calendar.from_hours(hours, timezone="Asia/Jayapura")
    at = wib(2025, 3, 3, 7, 30)
    assert is_within_business_hours(wita, at)
    assert is_within_business_hours(wit, at)
    assert not is_within_business_hours(office(), at)
    assert next_opening(wita, wib(2025, 3, 3, 6, 0)) == datetime(2025, 3, 3, 8, 0, tzinfo=MAKASSAR)
    assert next_opening(wit, wib(2025, 3, 3, 5, 0)) == datetime(2025, 3, 3, 8, 0, tzinfo=JAYAPURA)


def test_daylight_saving_time_is_respected_where_a_zone_has_it():
    """Amsterdam moves from +01:00 to +02:00 on 30 March 2025: 09:00-17:00 is still eight
    hours, and 09:00 local is 07:00 UTC after the change."""
    cal = Calendar.from_hours(
        {d: [("09:00", "17:00")] for d in WEEKDAYS}, timezone="Europe/Amsterdam"
    )
    saturday = datetime(2025, 3, 29, 8, 0, tzinfo=UTC)  # 09:00 local, +01:00
    monday = datetime(2025, 3, 31, 7, 0, tzinfo=UTC)  # 09:00 local, +02:00
    assert business_time_between(cal, saturday, monday) == timedelta(hours=16)
    assert next_opening(cal, datetime(2025, 3, 31, 0, 0, tzinfo=UTC)) == datetime(
        2025, 3, 31, 7, 0, tzinfo=UTC
    )
    # Open around the clock on the day of the change: a 23-hour day.
    always = Calendar.from_hours(
        {d: [("00:00", "24:00")] for d in WEEKDAYS}, timezone="Europe/Amsterdam"
    )
    day_start = datetime(2025, 3, 29, 23, 0, tzinfo=UTC)  # 30 March 00:00 local
    assert business_time_between(always, day_start, day_start + timedelta(days=1)) == timedelta(
        hours=24
    )
    assert add_business_time(always, day_start, timedelta(hours=23)) == datetime(
        2025, 3, 30, 22, 0, tzinfo=UTC
    )


def test_an_around_the_clock_calendar_never_closes_not_even_on_holidays():
    cal = Calendar.around_the_clock()
    eid = wib(2025, 3, 31, 3, 0)
    assert is_within_business_hours(cal, eid)
    assert add_business_time(cal, eid, timedelta(hours=5)) == eid + timedelta(hours=5)
    assert business_time_between(cal, eid, eid + timedelta(days=3)) == timedelta(days=3)


def test_bad_calendars_are_refused():
    with pytest.raises(CalendarError):
        Calendar.from_hours({})
    with pytest.raises(CalendarError):
        Calendar.from_hours({"monday": [("17:00", "08:00")]})
    with pytest.raises(CalendarError):
        Calendar.from_hours({"funday": [("08:00", "17:00")]})
    with pytest.raises(CalendarError):
        Calendar.from_hours({"monday": [("08:00", "17:00")]}, timezone="Mars/Olympus")
    with pytest.raises(ValueError):
        add_business_time(office(), datetime(2025, 3, 3, 8, 0), timedelta(hours=1))
    with pytest.raises(ValueError):
        add_business_time(office(), wib(2025, 3, 3, 8, 0), timedelta(hours=-1))
    always_closed = office(closed_dates=[date(2025, 1, 1) + timedelta(d) for d in range(800)])
    with pytest.raises(CalendarError):
        add_business_time(always_closed, wib(2025, 1, 1), timedelta(hours=1))


# --- Properties -------------------------------------------------------------------------------

ZONES = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Europe/Amsterdam", "America/Sao_Paulo"]


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    weekly = []
    for _day in range(7):
        bounds = sorted(
            draw(st.lists(st.integers(0, 1440 // 15), min_size=0, max_size=6, unique=True))
        )
        pairs = [(a * 15, b * 15) for a, b in zip(bounds[::2], bounds[1::2], strict=False)]
        weekly.append(tuple(Interval(a, b) for a, b in pairs if b > a))
    if not any(weekly):
        weekly[draw(st.integers(0, 6))] = (Interval(8 * 60, 17 * 60),)
    closed = draw(
        st.lists(st.dates(date(2024, 12, 1), date(2026, 2, 1)), max_size=20).map(frozenset)
    )
    return Calendar(
        timezone=draw(st.sampled_from(ZONES)),
        weekly=tuple(weekly),
        closed_dates=closed,
        indonesian_holidays=draw(st.booleans()),
        joint_leave=draw(st.booleans()),
        always_open=draw(st.booleans().filter(lambda b: not b) | st.just(False)),
    )


instants = st.datetimes(datetime(2025, 1, 1), datetime(2025, 12, 31)).map(
    lambda t: t.replace(tzinfo=UTC)
)
durations = st.integers(0, 60 * 24 * 20).map(lambda m: timedelta(minutes=m)) | st.integers(
    0, 10**9
).map(lambda us: timedelta(microseconds=us))


@settings(max_examples=300, deadline=None)
@given(cal=calendars(), start=instants, duration=durations)
def test_time_between_a_start_and_its_due_is_the_duration(cal, start, duration):
    due = add_business_time(cal, start, duration)
    assert due >= start
    assert business_time_between(cal, start, due) == duration


@settings(max_examples=200, deadline=None)
@given(cal=calendars(), start=instants, a=durations, b=durations)
def test_adding_more_time_is_never_due_earlier(cal, start, a, b):
    shorter, longer = sorted([a, b])
    assert add_business_time(cal, start, shorter) <= add_business_time(cal, start, longer)


@settings(max_examples=200, deadline=None)
@given(cal=calendars(), a=instants, b=instants, c=instants)
def test_time_between_is_never_negative_and_adds_up(cal, a, b, c):
    first, middle, last = sorted([a, b, c])
    assert business_time_between(cal, b, a) >= timedelta(0)
    assert business_time_between(cal, first, last) == business_time_between(
        cal, first, middle
    ) + business_time_between(cal, middle, last)
    assert business_time_between(cal, first, last) <= last - first


@settings(max_examples=200, deadline=None)
@given(cal=calendars(), t=instants)
def test_the_next_opening_is_open_and_nothing_opens_before_it(cal, t):
    opening = next_opening(cal, t)
    assert opening >= t
    assert is_within_business_hours(cal, opening)
    assert business_time_between(cal, t, opening) == timedelta(0)
    assert is_within_business_hours(cal, t) == (opening == t)


@settings(max_examples=100, deadline=None)
@given(cal=calendars(), day=st.dates(date(2025, 1, 2), date(2025, 12, 30)), start=instants)
def test_a_closed_day_counts_no_time_at_all(cal, day, start):
    closed = Calendar(
        timezone=cal.timezone,
        weekly=cal.weekly,
        closed_dates=cal.closed_dates | {day},
        indonesian_holidays=cal.indonesian_holidays,
        joint_leave=cal.joint_leave,
    )
    zone = closed.zone
    day_start = datetime(day.year, day.month, day.day, tzinfo=zone)
    day_end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    assert business_time_between(closed, day_start, day_end) == timedelta(0)
    due = add_business_time(closed, start, timedelta(minutes=1))
    assert due.astimezone(zone).date() != day or due == start
