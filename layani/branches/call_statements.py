"""The two statements on call-next's hot path, written as SQL that SQLite and PostgreSQL share.

`lock_for_call` takes the branch queue's lock and the counter's lock and reads everything
the call must check, in one round trip. `waiting_heads` returns the visitors the counter may
call: those transferred to it, and the head of each group of equal visitors in its
services (within a group the first to arrive always scores highest, so only heads can be
next; `routing/tests` proves that deciding among heads equals deciding among everyone).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from layani.branches.models import Counter, QueueConfigStamp, QueueState, Visit, VisitStatus
from layani.routing.queue_policy import Candidate
from layani.staff.models import Staff


@dataclass(frozen=True)
class CallLock:
    ratio_position: int
    counter_open: bool
    counter_staff_id: int | None
    counter_busy: bool
    config_version: int
    staff_in_branch: bool


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def lock_for_call(counter_id: int, staff_id: int) -> CallLock | None:
    """Lock the counter's branch queue and the counter (PostgreSQL row locks; on SQLite the
    transaction already holds the write lock) and read what the call checks. None when the
    counter or its branch queue row does not exist."""
    lock = ""
    if connection.features.has_select_for_update_of:
        lock = "FOR UPDATE OF qs, c"
    elif connection.features.has_select_for_update:
        lock = "FOR UPDATE"
    sql = f"""
        SELECT qs.ratio_position, c.is_open, c.staff_id,
            EXISTS (SELECT 1 FROM {_table(Visit)} v
                    WHERE v.counter_id = c.id AND v.status IN (%s, %s)),
            COALESCE((SELECT s.version FROM {_table(QueueConfigStamp)} s WHERE s.id = 1), 0),
            EXISTS (SELECT 1 FROM {_table(Staff.branches.through)} sb
                    WHERE sb.staff_id = %s AND sb.branch_id = c.branch_id)
        FROM {_table(Counter)} c
        JOIN {_table(QueueState)} qs ON qs.branch_id = c.branch_id
        WHERE c.id = %s
        {lock}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [VisitStatus.CALLED, VisitStatus.SERVING, staff_id, counter_id])
        row = cursor.fetchone()
    if row is None:
        return None
    return CallLock(
        ratio_position=row[0],
        counter_open=bool(row[1]),
        counter_staff_id=row[2],
        counter_busy=bool(row[3]),
        config_version=int(row[4]),
        staff_in_branch=bool(row[5]),
    )


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite returns raw SQL datetimes as text
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"not a datetime: {value!r}")
        value = parsed
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


_GROUP = "service_id, purpose, priority_category, customer_tier"
_COLUMNS = f"id, {_GROUP}, queue_since"


def _heads_sql_postgresql() -> str:
    """Skip from group to group along the `visit_waiting_groups` index: one index probe
    per group of equal visitors instead of reading every waiting visitor."""
    open_pool = """
        branch_id = %s AND status = %s AND reserved_counter_id IS NULL AND queue_since <= %s
    """
    order = f"ORDER BY {_GROUP}, queue_since, id LIMIT 1"
    sql = f"""
        WITH RECURSIVE heads AS (
            (SELECT {_COLUMNS} FROM {_table(Visit)} WHERE {open_pool} {order})
            UNION ALL
            SELECT n.* FROM heads h CROSS JOIN LATERAL (
                SELECT {_COLUMNS} FROM {_table(Visit)}
                WHERE {open_pool} AND ({_GROUP}) > (h.service_id, h.purpose,
                                                    h.priority_category, h.customer_tier)
                {order}
            ) n
        )
        SELECT {_COLUMNS}, NULL FROM heads WHERE service_id = ANY(%s)
        UNION ALL
        SELECT {_COLUMNS}, reserved_counter_id FROM {_table(Visit)}
        WHERE branch_id = %s AND status = %s AND reserved_counter_id = %s
    """
    return sql


def _heads_sql_window() -> str:
    """The same rows with a window function (SQLite has no LATERAL; in-process, reading
    the branch's waiting visitors once is cheap there)."""
    return f"""
        SELECT {_COLUMNS}, reserved_counter_id FROM (
            SELECT {_COLUMNS}, reserved_counter_id,
                   ROW_NUMBER() OVER (
                       PARTITION BY reserved_counter_id, {_GROUP} ORDER BY queue_since, id
                   ) AS place
            FROM {_table(Visit)}
            WHERE branch_id = %s AND status = %s
              AND (reserved_counter_id = %s
                   OR (reserved_counter_id IS NULL AND service_id IN ({{marks}})
                       AND queue_since <= %s))
        ) heads
        WHERE place = 1
    """


def waiting_heads(
    *,
    branch_id: int,
    counter_id: int,
    service_ids: Sequence[int],
    queued_before: datetime,
    codes: dict[int, str],
) -> list[Candidate]:
    """Visitors transferred to this counter if there are any, else the group heads."""
    before = connection.ops.adapt_datetimefield_value(queued_before)
    waiting = VisitStatus.WAITING
    params: list[Any]
    if connection.vendor == "postgresql":
        sql = _heads_sql_postgresql()
        pool = [branch_id, waiting, before]
        params = [*pool, *pool, list(service_ids), branch_id, waiting, counter_id]
    else:
        marks = ", ".join(["%s"] * len(service_ids)) or "NULL"
        sql = _heads_sql_window().replace("{marks}", marks)
        params = [branch_id, waiting, counter_id, *service_ids, before]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = [
        (
            row[6] is not None,
            Candidate(
                visit_id=row[0],
                service_code=codes.get(row[1], ""),
                purpose=row[2],
                queue_since=_as_datetime(row[5]),
                category=row[3] or "",
                tier=row[4] or "",
            ),
        )
        for row in rows
    ]
    reserved = [candidate for is_reserved, candidate in found if is_reserved]
    return reserved or [candidate for _is_reserved, candidate in found]
