"""The SLA clock on business hours: examples from an office calendar, then properties."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from layani.routing.business_hours import WEEKDAYS, Calendar, business_time_between
from layani.routing.sla_clock import (
    History,
    Moment,
    Pause,
    Target,
    Targets,
    TargetStatus,
    evaluate,
    nearest_open_due,
    replay,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
OFFICE = Calendar.from_hours(
    {day: [("08:00", "12:00"), ("13:00", "17:00")] for day in WEEKDAYS[:5]},
    indonesian_holidays=True,
)
TARGETS = Targets(
    first_response=timedelta(hours=1),
    next_response=timedelta(hours=2),
    resolution=timedelta(hours=8),
    warn_before=timedelta(minutes=15),
)
H = timedelta(hours=1)


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=JAKARTA)


def test_a_message_on_friday_evening_is_due_on_monday_morning():
    created = wib(2025, 3, 7, 19, 0)  # Friday after closing
    history, _status = replay(
        created, [(Moment.CUSTOMER_MESSAGE, created)], pause_while_pending=True
    )
    states = evaluate(TARGETS, OFFICE, history, now=wib(2025, 3, 8, 10, 0))
    first = states[Target.FIRST_RESPONSE]
    assert first.status == TargetStatus.RUNNING
    assert first.due_at == wib(2025, 3, 10, 9, 0)
    assert first.warn_at == wib(2025, 3, 10, 8, 45)
    assert first.time_left == H  # nothing has counted over the weekend
    assert states[Target.RESOLUTION].due_at == wib(2025, 3, 10, 17, 0)  # a working day
    assert Target.NEXT_RESPONSE not in states  # nobody has answered yet


def test_a_late_first_reply_is_a_breach_that_shows_how_late():
    created = wib(2025, 3, 10, 9, 0)
    history, _status = replay(
        created,
        [(Moment.CUSTOMER_MESSAGE, created), (Moment.AGENT_REPLY, wib(2025, 3, 10, 10, 30))],
        pause_while_pending=True,
    )
    first = evaluate(TARGETS, OFFICE, history, now=wib(2025, 3, 10, 11, 0))[Target.FIRST_RESPONSE]
    assert first.status == TargetStatus.BREACHED
    assert first.late_by == timedelta(minutes=30)
    assert first.time_left == timedelta(0)
    assert first.met_at == wib(2025, 3, 10, 10, 30)


def test_an_unanswered_message_is_breached_once_its_due_instant_passes():
    created = wib(2025, 3, 10, 9, 0)
    history, _status = replay(
        created, [(Moment.CUSTOMER_MESSAGE, created)], pause_while_pending=True
    )
    at_due = evaluate(TARGETS, OFFICE, history, now=wib(2025, 3, 10, 10, 0))
    assert at_due[Target.FIRST_RESPONSE].status == TargetStatus.RUNNING
    assert at_due[Target.FIRST_RESPONSE].time_left == timedelta(0)
    later = evaluate(TARGETS, OFFICE, history, now=wib(2025, 3, 10, 10, 20))
    assert later[Target.FIRST_RESPONSE].status == TargetStatus.BREACHED
    assert later[Target.FIRST_RESPONSE].late_by == timedelta(minutes=20)


def test_the_next_response_clock_restarts_when_the_customer_writes_again():
    created = wib(2025, 3, 10, 9, 0)
    history, _status = replay(
        created,
        [
            (Moment.CUSTOMER_MESSAGE, created),
            (Moment.AGENT_REPLY, wib(2025, 3, 10, 9, 20)),
            (Moment.CUSTOMER_MESSAGE, wib(2025, 3, 10, 16, 0)),
            (Moment.CUSTOMER_MESSAGE, wib(2025, 3, 10, 16, 30)),
        ],
        pause_while_pending=True,
    )
    states = evaluate(TARGETS, OFFICE, history, now=wib(2025, 3, 10, 16, 45))
    assert states[Target.FIRST_RESPONSE].status == TargetStatus.MET
    following = states[Target.NEXT_RESPONSE]
    assert following.started_at == wib(2025, 3, 10, 16, 0)  # the first unanswered message
    assert following.due_at == wib(2025, 3, 11, 9, 0)
    assert nearest_open_due(states) == wib(2025, 3, 11, 9, 0)


def test_waiting_on_the_customer_pauses_the_clock_and_their_reply_resumes_it():
    created = wib(2025, 3, 10, 9, 0)
    moments = [
        (Moment.CUSTOMER_MESSAGE, created),
        (Moment.AGENT_REPLY, wib(2025, 3, 10, 9, 30)),
        (Moment.PENDING, wib(2025, 3, 10, 10, 0)),
    ]
    paused, status = replay(created, moments, pause_while_pending=True)
    assert status == "pending"
    during = evaluate(TARGETS, OFFICE, paused, now=wib(2025, 3, 12, 10, 0))
    resolution = during[Target.RESOLUTION]
    assert resolution.status == TargetStatus.PAUSED
    assert resolution.time_left == 7 * H  # one hour ran before the pause
    assert nearest_open_due(during) is None

    resumed, status = replay(
        created,
        [*moments, (Moment.CUSTOMER_MESSAGE, wib(2025, 3, 12, 10, 0))],
        pause_while_pending=True,
    )
    assert status == "open"
    after = evaluate(TARGETS, OFFICE, resumed, now=wib(2025, 3, 12, 10, 0))
    assert after[Target.RESOLUTION].status == TargetStatus.RUNNING
    # Seven hours from Wednesday 10:00: 10-12, 13-17, then Thursday 08:00-09:00.
    assert after[Target.RESOLUTION].due_at == wib(2025, 3, 13, 9, 0)
    assert after[Target.NEXT_RESPONSE].due_at == wib(2025, 3, 12, 12, 0)

    unpaused, _status = replay(created, moments, pause_while_pending=False)
    running = evaluate(TARGETS, OFFICE, unpaused, now=wib(2025, 3, 10, 11, 0))
    assert running[Target.RESOLUTION].status == TargetStatus.RUNNING
    assert running[Target.RESOLUTION].due_at == wib(2025, 3, 11, 9, 0)


def test_resolving_meets_the_target_and_reopening_continues_with_the_time_left():
    created = wib(2025, 3, 10, 9, 0)
    moments = [
        (Moment.CUSTOMER_MESSAGE, created),
        (Moment.AGENT_REPLY, wib(2025, 3, 10, 9, 30)),
        (Moment.RESOLVED, wib(2025, 3, 10, 11, 0)),
    ]
    resolved, _status = replay(created, moments, pause_while_pending=False)
    state = evaluate(TARGETS, OFFICE, resolved, now=wib(2025, 3, 20, 9, 0))[Target.RESOLUTION]
    assert state.status == TargetStatus.MET
    assert state.time_left == 6 * H

    reopened, status = replay(
        created,
        [*moments, (Moment.CUSTOMER_MESSAGE, wib(2025, 3, 14, 9, 0))],
        pause_while_pending=False,
    )
    assert status == "open"
    state = evaluate(TARGETS, OFFICE, reopened, now=wib(2025, 3, 14, 9, 0))[Target.RESOLUTION]
    assert state.status == TargetStatus.RUNNING
    assert state.time_left == 6 * H
    assert state.due_at == wib(2025, 3, 14, 16, 0)


def test_a_conversation_staff_started_owes_no_first_response():
    created = wib(2025, 3, 10, 9, 0)
    history, _status = replay(created, [(Moment.OPEN, created)], pause_while_pending=True)
    states = evaluate(TARGETS, OFFICE, history, now=created + H)
    assert set(states) == {Target.RESOLUTION}


def test_an_automatic_acknowledgement_is_no_first_response():
    created = wib(2025, 3, 10, 9, 0)
    history, _status = replay(
        created,
        [(Moment.CUSTOMER_MESSAGE, created), (Moment.SYSTEM_REPLY, created)],
        pause_while_pending=True,
    )
    first = evaluate(TARGETS, OFFICE, history, now=created + 2 * H)[Target.FIRST_RESPONSE]
    assert first.status == TargetStatus.BREACHED


# --- Properties -------------------------------------------------------------------------------

CALENDARS = [
    OFFICE,
    Calendar.around_the_clock(),
    Calendar.from_hours({d: [("07:00", "21:00")] for d in WEEKDAYS}, timezone="Asia/Makassar"),
]
KINDS = list(Moment)


@st.composite
def lives(draw: st.DrawFn) -> tuple[datetime, list[tuple[Moment, datetime]]]:
    created = draw(st.datetimes(datetime(2025, 3, 1), datetime(2025, 4, 30))).replace(tzinfo=UTC)
    gaps = draw(st.lists(st.integers(0, 60 * 24 * 4), max_size=12))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=len(gaps), max_size=len(gaps)))
    at, moments = created, []
    for gap, kind in zip(gaps, kinds, strict=True):
        at += timedelta(minutes=gap)
        moments.append((kind, at))
    return created, moments


targets = st.builds(
    Targets,
    first_response=st.integers(1, 60 * 24 * 3).map(lambda m: timedelta(minutes=m)),
    next_response=st.integers(1, 60 * 24 * 3).map(lambda m: timedelta(minutes=m)),
    resolution=st.integers(1, 60 * 24 * 10).map(lambda m: timedelta(minutes=m)),
    warn_before=st.integers(0, 120).map(lambda m: timedelta(minutes=m)),
)


def _end(created: datetime, moments: list[tuple[Moment, datetime]]) -> datetime:
    return moments[-1][1] if moments else created


@settings(max_examples=150, deadline=None)
@given(
    life=lives(),
    goals=targets,
    cal=st.sampled_from(CALENDARS),
    later=st.integers(0, 60 * 24 * 5),
    pause=st.booleans(),
)
def test_no_state_is_ever_negative_and_nothing_is_due_before_it_starts(
    life, goals, cal, later, pause
):
    created, moments = life
    history, _status = replay(created, moments, pause_while_pending=pause)
    now = _end(created, moments) + timedelta(minutes=later)
    for state in evaluate(goals, cal, history, now).values():
        assert state.time_left >= timedelta(0)
        assert state.late_by >= timedelta(0)
        assert state.due_at >= state.started_at
        if state.warn_at is not None:
            assert state.started_at <= state.warn_at <= state.due_at
        if state.status == TargetStatus.RUNNING:
            assert state.due_at >= now
            assert business_time_between(cal, now, state.due_at) == state.time_left
        if state.status == TargetStatus.BREACHED:
            assert state.time_left == timedelta(0)


@settings(max_examples=150, deadline=None)
@given(
    life=lives(),
    goals=targets,
    cal=st.sampled_from(CALENDARS),
    where=st.integers(0, 12),
    length=st.integers(1, 60 * 24 * 3),
)
def test_pausing_never_makes_anything_due_earlier(life, goals, cal, where, length):
    created, moments = life
    base = History(created_at=created, first_contact_at=created)
    end = _end(created, moments)
    start = created + (end - created) * where / 12
    paused = History(
        created_at=created,
        first_contact_at=created,
        pauses=(Pause(start=start, end=start + timedelta(minutes=length)),),
    )
    now = end + timedelta(days=30)
    before = evaluate(goals, cal, base, now)
    after = evaluate(goals, cal, paused, now)
    for target, state in before.items():
        assert after[target].due_at >= state.due_at


@settings(max_examples=100, deadline=None)
@given(life=lives(), goals=targets, cal=st.sampled_from(CALENDARS))
def test_a_target_met_once_stays_met_whatever_time_it_is(life, goals, cal):
    created, moments = life
    history, _status = replay(created, moments, pause_while_pending=True)
    end = _end(created, moments)
    soon = evaluate(goals, cal, history, end)
    much_later = evaluate(goals, cal, history, end + timedelta(days=60))
    for target, state in soon.items():
        if state.met_at is not None:
            assert much_later[target].status == state.status
            assert much_later[target].due_at == state.due_at
