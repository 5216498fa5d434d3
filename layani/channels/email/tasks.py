from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from layani.channels.email import imap


@db_periodic_task(crontab(minute="*"))
@lock_task("email-poll")
def poll_mailboxes() -> None:
    """Every minute: new mail of every IMAP mailbox (one poll at a time)."""
    imap.poll_all()
