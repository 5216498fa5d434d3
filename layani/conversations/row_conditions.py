"""Conditions on a conversation row in SQL of our own, for the inbox's indexes.

Each names its column through the alias the query gives the table (`RowTest`), so it
holds inside a subquery too: the inbox picks a page's ids in one (`keyset_page`'s
`rows_of`), where a condition naming the table would test the outer row.
"""

from collections.abc import Sequence
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import BooleanField, F, Func, Q, QuerySet

from layani.conversations.models import ACTIVE_STATUSES


class RowTest(Func):
    """A condition on one column of the row, in SQL of our own (`template`, the column as
    `%(expressions)s`), written with the name the query gives the table: in a subquery
    Django renames it, and a condition naming the table would test the outer row."""

    output_field = BooleanField()

    def __init__(self, column: str, template: str, params: Sequence[Any] = ()) -> None:
        super().__init__(F(column), template=template)
        self.test_params = list(params)

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Any:
        sql, params = super().as_sql(
            compiler, connection, function, template, arg_joiner, **extra_context
        )
        return sql, [*params, *self.test_params]


def id_among(ids: QuerySet[Any]) -> Q | Func:
    """The row's id is one of `ids` (a subquery of ids). On PostgreSQL as
    `id = ANY(ARRAY(<ids>))`: the ids are computed first, as one value, and the rows are
    planned as a join on a list of primary keys; `id IN (<ids>)` is planned as one join
    more (at 1M conversations: 1.8 ms of planning against 0.8 ms for the inbox page)."""
    if connection.vendor != "postgresql":
        return Q(pk__in=ids)
    return Func(
        F("pk"),
        ArraySubquery(ids),
        arg_joiner=" = ANY(",
        template="%(expressions)s)",
        output_field=BooleanField(),
    )


def is_active_status() -> RowTest:
    """`status IN ('new', 'open', 'pending')` with the values written out, exactly as the
    partial inbox indexes say: SQLite uses a partial index only when the query repeats its
    condition literally (a bound parameter does not count). Constant values, no user input."""
    values = ", ".join(f"'{status}'" for status in ACTIVE_STATUSES)
    return RowTest("status", f"%(expressions)s IN ({values})")


def has_tag(tag_id: int) -> Q | RowTest:
    """The conversation carries the tag: a test of the row's own `tag_ids`. PostgreSQL
    answers `@>` from the partial GIN index `inbox_tags` when the tag's active conversations
    are few, or tests each row it walks in due order when they are many (no join either way:
    the tags table, probed per row, made a rare tag cost a walk of the whole backlog)."""
    if connection.vendor == "postgresql":
        return Q(tag_ids__contains=[tag_id])
    return RowTest(
        "tag_ids", "EXISTS (SELECT 1 FROM json_each(%(expressions)s) WHERE value = %%s)", [tag_id]
    )
