"""Fetch new mail from a mailbox by IMAP, storing each message before the server hears
that we have it.

Per poll: select the folder, take the UIDs above the last stored one (a folder whose
UIDVALIDITY changed starts over; a mailbox polled for the first time takes only what is
unseen), fetch in batches with BODY.PEEK[] (reading does not mark anything), store each raw
message with `intake.store_raw` (commits; its Message-ID is the idempotency key), record the
highest UID, and only then flag them \\Seen (or move them to the configured folder). A poll
cut short anywhere loses nothing: what was not recorded is fetched again and dropped as a
repeat.
"""

import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone
from imapclient import IMAPClient

from layani.channels.email.adapter import key_for
from layani.channels.email.mailbox import Mailbox, mailbox_of
from layani.channels.email.models import MailboxPollState
from layani.channels.intake import store_raw
from layani.channels.models import AccountKind, ChannelAccount

logger = logging.getLogger(__name__)

BATCH = 50
TIMEOUT = 30


@dataclass(frozen=True)
class PollResult:
    fetched: int
    stored: int


def connect(mailbox: Mailbox) -> IMAPClient:
    server = mailbox.imap
    if server is None:
        raise ValueError("the mailbox has no IMAP server configured")
    client = IMAPClient(
        server.host,
        port=server.port,
        ssl=server.security == "tls",
        ssl_context=ssl.create_default_context() if server.security == "tls" else None,
        timeout=TIMEOUT,
    )
    if server.security == "starttls":
        client.starttls(ssl.create_default_context())
    client.login(server.username, server.password)
    return client


def _state(account: ChannelAccount, folder: str) -> MailboxPollState:
    state, _created = MailboxPollState.objects.get_or_create(
        account=account, defaults={"folder": folder}
    )
    if state.folder != folder:  # the admin pointed the account at another folder
        state.folder, state.uid_validity, state.last_uid = folder, 0, 0
    return state


def _new_uids(client: IMAPClient, state: MailboxPollState, uid_validity: int) -> list[int]:
    if state.uid_validity != uid_validity:
        first_poll = state.uid_validity == 0 and state.last_uid == 0
        state.uid_validity, state.last_uid = uid_validity, 0
        if first_poll:
            return sorted(int(uid) for uid in client.search(["UNSEEN"]))
    # "n:*" always answers the highest UID, even below n: keep only the new ones.
    found = client.search(["UID", f"{state.last_uid + 1}:*"])
    return sorted(int(uid) for uid in found if int(uid) > state.last_uid)


def poll_account(account: ChannelAccount) -> PollResult:
    mailbox = mailbox_of(account)
    state = _state(account, mailbox.folder)
    fetched = stored = 0
    client = connect(mailbox)
    try:
        selected = client.select_folder(mailbox.folder)
        uid_validity = int(selected.get(b"UIDVALIDITY", 0))
        uids = _new_uids(client, state, uid_validity)
        for start in range(0, len(uids), BATCH):
            batch = uids[start : start + BATCH]
            bodies = client.fetch(batch, ["BODY.PEEK[]"])
            for uid in batch:
                raw = bodies.get(uid, {}).get(b"BODY[]")
                if raw is None:
                    continue  # expunged meanwhile
                fetched += 1
                if store_raw(account, key_for(raw), raw) is not None:
                    stored += 1
            state.last_uid = max(state.last_uid, batch[-1])
            state.polled_at, state.error = timezone.now(), ""
            state.save()
            if mailbox.move_to:
                client.move(batch, mailbox.move_to)
            else:
                client.add_flags(batch, [b"\\Seen"])
        state.polled_at, state.error = timezone.now(), ""
        state.save()
    finally:
        try:
            client.logout()
        except Exception:  # the connection may already be gone
            client.shutdown()
    return PollResult(fetched=fetched, stored=stored)


def poll_all() -> dict[int, PollResult | str]:
    """Poll every active mailbox with an IMAP server; one failing mailbox (wrong password,
    server down) is recorded on its state and does not stop the others."""
    results: dict[int, PollResult | str] = {}
    for account in ChannelAccount.objects.filter(kind=AccountKind.EMAIL, is_active=True):
        if not account.setting("imap_host"):
            continue
        try:
            results[account.pk] = poll_account(account)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"[:2000]
            MailboxPollState.objects.update_or_create(
                account=account, defaults={"error": reason, "polled_at": timezone.now()}
            )
            logger.warning("polling mailbox %s failed: %s", account.pk, reason)
            results[account.pk] = reason
    return results


# RFC 2177: re-issue IDLE before 29 minutes, or the server may drop the connection.
IDLE_SECONDS = 25 * 60


def wait_for_mail(
    account: ChannelAccount,
    timeout: float = IDLE_SECONDS,
    on_idle: Callable[[], object] | None = None,
) -> bool | None:
    """Wait with IMAP IDLE until the server announces new mail in the folder (True) or the
    timeout passes (False). None when the server does not offer IDLE: the periodic poll
    (`tasks.poll_mailboxes`, every minute) is all there is then. `on_idle` is called once
    the server has accepted the IDLE: mail delivered from then on is announced."""
    mailbox = mailbox_of(account)
    client = connect(mailbox)
    try:
        if b"IDLE" not in client.capabilities():
            return None
        client.select_folder(mailbox.folder, readonly=True)
        client.idle()
        if on_idle is not None:
            on_idle()
        try:
            responses = client.idle_check(timeout=timeout)
        finally:
            client.idle_done()
        return any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)
    finally:
        try:
            client.logout()
        except Exception:
            client.shutdown()
