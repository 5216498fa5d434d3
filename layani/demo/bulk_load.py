"""Writing many rows fast: explicit primary keys, PostgreSQL COPY, SQLite executemany.

Rows are plain tuples in the order of the given columns. Primary keys are reserved up
front (`reserve_ids`), so rows can point at each other before any of them is written and
concurrent writers keep getting fresh ids from the sequence.
"""

import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from django.db import connection, transaction
from django.db.models import DateField, DateTimeField, JSONField, Model
from django.utils import timezone

BATCH_ROWS = 5_000
T = TypeVar("T")


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def reserve_ids(model: type[Model], count: int) -> int:
    """Reserve `count` consecutive primary keys of `model`; return the first one.

    PostgreSQL: under a table lock, move the id sequence past the block. SQLite: move the
    AUTOINCREMENT counter past it (SQLite has one writer at a time anyway). Call inside
    `transaction.atomic()`.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute(
                f'SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM "{table}"), '
                f"(SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END "
                f"FROM {sequence}))"
            )
            first = int(cursor.fetchone()[0]) + 1
            if count:
                cursor.execute("SELECT setval(%s, %s, true)", [sequence, first + count - 1])
            else:  # nothing reserved, but the sequence is past every row (see take_ids)
                cursor.execute("SELECT setval(%s, %s, false)", [sequence, first])
            return first
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
        highest = int(cursor.fetchone()[0])
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        first = max(highest, int(row[0]) if row else 0) + 1
        if count:
            if row:
                cursor.execute(
                    "UPDATE sqlite_sequence SET seq = %s WHERE name = %s",
                    [first + count - 1, table],
                )
            else:
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)",
                    [table, first + count - 1],
                )
        return first


def take_ids(model: type[Model], count: int) -> list[int]:
    """`count` fresh primary keys of `model`, ascending, without locking the table.

    PostgreSQL: straight from the id sequence (safe next to anyone inserting, and next to
    a `ChunkWriter` still copying into the table, which `reserve_ids`' lock would wait
    for); call `reserve_ids(model, 0)` once first, so the sequence is past rows written
    with explicit ids. SQLite: `reserve_ids`. Call inside `transaction.atomic()`.
    """
    if count <= 0:
        return []
    if not is_postgresql():
        first = reserve_ids(model, count)
        return list(range(first, first + count))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


@contextmanager
def relaxed_checks() -> Iterator[bool]:
    """On PostgreSQL, skip per-row foreign-key triggers while the block runs, if allowed.

    The generators reserve every id they point at, so their rows are consistent by
    construction, and checking each reference costs more than writing the row. Needs a
    superuser (`session_replication_role`); otherwise the checks stay on. Use inside
    `transaction.atomic()`; yields whether the checks were turned off.
    """
    if not is_postgresql():
        yield False
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        allowed = bool(row and row[0])
        if allowed:
            cursor.execute("SET LOCAL session_replication_role = replica")
    try:
        yield allowed
    finally:
        if allowed:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")


_SECONDARY_INDEXES = """
    SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    FROM pg_index i
    WHERE i.indrelid = %s::regclass
      AND NOT i.indisunique
      AND NOT i.indisprimary
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
    ORDER BY 1
"""


@contextmanager
def indexes_built_after(models: Iterable[type[Model]], *, enabled: bool) -> Iterator[int]:
    """On PostgreSQL, drop the tables' secondary indexes while the block loads, and build
    them again from their own definitions when it ends (also when it fails).

    Building an index once over the loaded rows is several times faster than maintaining
    it row by row (a GIN index above all), so this pays when the load is large against
    what the tables already hold. Unique and primary-key indexes stay: they guard the
    data. Yields how many indexes were dropped. Call outside a transaction.
    """
    if not enabled or not is_postgresql():
        yield 0
        return
    definitions: list[str] = []
    with transaction.atomic(), connection.cursor() as cursor:
        for model in models:
            cursor.execute(_SECONDARY_INDEXES, [model._meta.db_table])
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {name}")
                definitions.append(definition)
    try:
        yield len(definitions)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for definition in definitions:
                cursor.execute(definition)
            cursor.execute("RESET maintenance_work_mem")


class ChunkWriter(Generic[T]):
    """Writes chunks while the caller builds the next one.

    On PostgreSQL outside a transaction a thread writes each chunk on its own connection,
    in its own transaction (the database works on one chunk while Python builds the
    next: COPY waits on the socket with the GIL released). Elsewhere, inside a transaction
    (tests) or on SQLite (one writer at a time), each chunk is written right away.
    Use as a context manager: leaving it waits for the last chunk, and a failure in the
    thread is raised in the caller.
    """

    def __init__(self, write: Callable[[T], None]) -> None:
        self.write = write
        self.threaded = is_postgresql() and not connection.in_atomic_block
        self._queue: queue.Queue[T | None] = queue.Queue(maxsize=1)
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "ChunkWriter[T]":
        if self.threaded:
            self._thread = threading.Thread(target=self._run, name="chunk-writer", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while (chunk := self._queue.get()) is not None:
                if self._failure is None:
                    self.write(chunk)
        except BaseException as exc:  # handed to the caller
            self._failure = exc
            while self._queue.get() is not None:  # let the caller finish putting
                pass
        finally:
            connection.close()

    def submit(self, chunk: T) -> None:
        if self._failure is not None:
            raise self._failure
        if self._thread is None:
            self.write(chunk)
        else:
            self._queue.put(chunk)

    def __exit__(self, *exc_info: object) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
        if self._failure is not None:
            raise self._failure


def _sqlite_value(value: Any) -> Any:
    """A date or datetime as Django's SQLite backend stores it."""
    if isinstance(value, datetime):  # what Django's SQLite backend stores: naive UTC text
        return str(value.astimezone(UTC).replace(tzinfo=None))
    if isinstance(value, date):
        return value.isoformat()
    return value


def write_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert `rows` into `model`'s table; return how many were written."""
    table = model._meta.db_table
    names = ", ".join(f'"{c}"' for c in columns)
    written = 0
    with connection.cursor() as cursor:
        if is_postgresql():
            with cursor.connection.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
            return written
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f'INSERT INTO "{table}" ({names}) VALUES ({placeholders})'
        by_column = {f.column: f for f in model._meta.concrete_fields}
        dated = [i for i, c in enumerate(columns) if isinstance(by_column[c], DateField)]
        batch: list[Any] = []
        for row in rows:
            values = list(row)
            for i in dated:
                values[i] = _sqlite_value(values[i])
            batch.append(values)
            if len(batch) >= BATCH_ROWS:
                cursor.executemany(sql, batch)
                written += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


def as_json(value: Any) -> str:
    """JSON text for a JSONField column, as Django would store it."""
    return json.dumps(value)


def analyze(models: Iterable[type[Model]]) -> None:
    """Refresh the planner's statistics after a bulk load.

    On PostgreSQL, outside a transaction, VACUUM as well: it empties the pending lists of
    GIN indexes (a trigram lookup scans that list linearly until then) and fills the
    visibility map that index-only scans rely on, as autovacuum would some time later.
    """
    vacuum = is_postgresql() and not connection.in_atomic_block
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(f'{"VACUUM (ANALYZE)" if vacuum else "ANALYZE"} "{table}"')


def insert_objects(model: type[Model], objects: Sequence[Model]) -> None:
    """Like `bulk_create`, minus its per-value overhead: ids reserved, rows streamed.

    Objects without a primary key get one. Foreign keys are read from their `_id`
    attributes, so set relations after the related rows are inserted. `auto_now` fields
    left empty get the current time. Call inside `transaction.atomic()`.
    """
    if not objects:
        return
    fields = list(model._meta.concrete_fields)
    missing = [obj for obj in objects if obj.pk is None]
    if missing:
        first = reserve_ids(model, len(missing))
        for offset, obj in enumerate(missing):
            obj.pk = first + offset
    now = timezone.now()
    stamped = [f.attname for f in fields if isinstance(f, DateTimeField) and f.auto_now]
    json_names = {f.attname for f in fields if isinstance(f, JSONField)}
    names = [f.attname for f in fields]

    def rows() -> Iterable[list[Any]]:
        for obj in objects:
            for name in stamped:
                if getattr(obj, name) is None:
                    setattr(obj, name, now)
            row = [getattr(obj, name) for name in names]
            if json_names:
                row = [
                    json.dumps(v) if n in json_names else v for n, v in zip(names, row, strict=True)
                ]
            obj._state.adding = False
            obj._state.db = connection.alias
            yield row

    write_rows(model, [f.column for f in fields], rows())
