"""Index rows that keep a deleted branch, team or staff member.

Conversations let go of a deleted branch, team or assignee by themselves (`SET_NULL`), which
no action sees. Their index rows carry copies of those fields (`models.FACET_FIELDS`), so
after the delete commits, the worker clears the same value on the rows
(`tasks.forget_deleted`). Until then the copies only narrow a search (the conversation
table decides what is shown, `queries.py`); a conversation that fell into the shared pool
is found by those who see the pool once its rows are cleared.

Model signals here are index maintenance, like cache invalidation, not business flow.
"""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete

from layani.search.models import SearchDocument

# The deleted model -> the index rows' column that copies it.
COLUMNS = {
    ("branches", "Branch"): "branch_id",
    ("staff", "Team"): "team_id",
    ("staff", "Staff"): "assignee_id",
}


def clear_facet(column: str, value: int) -> int:
    """Clear `column` on the index rows that hold `value`; how many changed."""
    if column not in COLUMNS.values():
        raise ValueError(f"not a copied column: {column}")
    return SearchDocument.objects.filter(**{column: value}).update(**{column: None})


def _deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    from layani.search.tasks import forget_deleted

    column = COLUMNS[(sender._meta.app_label, sender.__name__)]
    value = instance.pk
    transaction.on_commit(lambda: forget_deleted(column, value))


def connect_invalidation() -> None:
    from django.apps import apps

    for (app_label, name), column in COLUMNS.items():
        model = apps.get_model(app_label, name)
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"search-forget-{column}")
