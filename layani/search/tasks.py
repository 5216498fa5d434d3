from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from layani.search.segments import ensure_segments
from layani.search.stale import clear_facet


@db_periodic_task(crontab(minute="*/10"))
@lock_task("search-segments")
def ensure_search_segments() -> None:
    """Every ten minutes: the search index's next segments exist before rows reach them."""
    ensure_segments()


@db_task()
def forget_deleted(column: str, value: int) -> None:
    """A branch, team or staff member was deleted: its conversations lost it (SET_NULL), so
    their index rows lose it too (`stale.py`)."""
    clear_facet(column, value)
