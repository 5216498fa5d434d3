from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from layani.search.segments import ensure_segments


@db_periodic_task(crontab(minute="*/10"))
@lock_task("search-segments")
def ensure_search_segments() -> None:
    """Every ten minutes: the search index's next segments exist before rows reach them."""
    ensure_segments()
