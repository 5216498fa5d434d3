"""Who may see a conversation and which filters it passes, said in terms of its index rows.

Every conversation row of the index carries the conversation's scope and filter fields
(`models.FACET_FIELDS`). A search turns the person's scope (`ConversationScope`, decided in
`conversations.queries`) and the chosen filters into `IndexConditions` on those fields:

- `any_of`: the row must have at least one of these facets (the scope's "assigned to me,
  my teams, my branches, the staff I supervise, the shared pool"); None when the scope is
  everything;
- `all_of`: the row must have every one of these (the filters);
- `tag`: a tag name, checked on the conversation's tags (tags are not copied).

`ConversationScope.condition()` stays the one definition of who sees what: `scope_conditions`
mirrors it arm by arm, and a test compares the two on every kind of conversation and
scope, so a new arm there fails the test until it is added here.
"""

from dataclasses import dataclass

from layani.conversations.models import tag_name
from layani.conversations.queries import ConversationScope
from layani.search.filters import ConversationFilters

# Facet columns and the letter of their PostgreSQL term (migration 0003's generated column).
PREFIXES = {
    "branch_id": "b",
    "team_id": "t",
    "assignee_id": "a",
    "status": "s",
    "channel": "c",
    "purpose": "p",
    "priority": "r",
}
POOL = "pool"  # neither an assignee nor a team


@dataclass(frozen=True)
class Facet:
    """One field's value (`column` one of PREFIXES), or the pool (`column` POOL)."""

    column: str
    value: object = None

    @property
    def key(self) -> str:
        """The term in PostgreSQL's `facets` column."""
        if self.column == POOL:
            return POOL
        return f"{PREFIXES[self.column]}:{self.value}"


@dataclass(frozen=True)
class IndexConditions:
    any_of: tuple[Facet, ...] | None = None
    all_of: tuple[Facet, ...] = ()
    tag: str = ""
    sees_nothing: bool = False


def scope_conditions(scope: ConversationScope) -> tuple[Facet, ...] | None:
    """The facets of which a visible conversation has at least one; None: no limit."""
    if scope.sees_all:
        return None
    facets: list[Facet] = []
    if scope.staff_id is not None:
        facets.append(Facet("assignee_id", scope.staff_id))
    facets += [Facet("team_id", t) for t in scope.team_ids]
    facets += [Facet("branch_id", b) for b in scope.branch_ids]
    facets += [Facet("assignee_id", s) for s in scope.supervised_staff_ids]
    if scope.sees_pool:
        facets.append(Facet(POOL))
    return tuple(dict.fromkeys(facets))


def filter_conditions(filters: ConversationFilters) -> tuple[Facet, ...]:
    facets = []
    if filters.channel:
        facets.append(Facet("channel", filters.channel))
    if filters.status:
        facets.append(Facet("status", filters.status))
    if filters.purpose:
        facets.append(Facet("purpose", filters.purpose))
    if filters.priority is not None:
        facets.append(Facet("priority", filters.priority))
    if filters.branch_id is not None:
        facets.append(Facet("branch_id", filters.branch_id))
    return tuple(facets)


def index_conditions(scope: ConversationScope, filters: ConversationFilters) -> IndexConditions:
    any_of = scope_conditions(scope)
    return IndexConditions(
        any_of=any_of,
        all_of=filter_conditions(filters),
        tag=tag_name(filters.tag),
        sees_nothing=scope.sees_nothing or any_of == (),
    )
