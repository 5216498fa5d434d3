"""Inbound mail by SMTP or LMTP (aiosmtpd): the mail server in front of us hands each mail
over, and hears 250 only once the raw message is stored (`intake.store_raw`, committed).

A recipient must be the address of an active email account (550 otherwise, at RCPT, before
any data). A storage failure answers 451, so the sending server keeps the mail and retries;
a retried mail that was stored already is recognised by its Message-ID and not stored twice.
Run it with `layani mail_listener --host 127.0.0.1 --port 2525 [--lmtp]`.
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from django.db import close_old_connections, connections

from layani.channels.email.adapter import key_for
from layani.channels.intake import store_raw
from layani.channels.models import AccountKind, ChannelAccount

logger = logging.getLogger(__name__)

MAX_MAIL_BYTES = 32 * 1024 * 1024


def account_for_address(address: str) -> int | None:
    """The active email account receiving mail for `address` (case-insensitive)."""
    close_old_connections()
    wanted = address.strip().lower()
    for pk, settings in ChannelAccount.objects.filter(
        kind=AccountKind.EMAIL, is_active=True
    ).values_list("pk", "settings"):
        addresses = [str((settings or {}).get("address", ""))]
        addresses += [str(a) for a in (settings or {}).get("aliases", []) or []]
        if wanted in {a.strip().lower() for a in addresses if a}:
            return int(pk)
    return None


def store_for_accounts(account_ids: list[int], raw: bytes) -> int:
    """Store the mail for each account; returns how many were new."""
    close_old_connections()
    key = key_for(raw)
    stored = 0
    for account in ChannelAccount.objects.filter(pk__in=account_ids):
        if store_raw(account, key, raw) is not None:
            stored += 1
    return stored


class MailIntake:
    """The aiosmtpd handler: check recipients, store, then answer. Database work runs in
    one worker thread of its own (the ORM is synchronous), whose connection `close` ends."""

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail-intake")

    async def _in_worker(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    def close(self) -> None:
        self.executor.submit(connections.close_all).result()
        self.executor.shutdown()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            account_id = await self._in_worker(account_for_address, address)
        except Exception:
            logger.exception("looking up the recipient %s failed", address)
            return "451 4.3.0 Temporary failure, try again later"
        if account_id is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        accounts = getattr(envelope, "layani_accounts", [])
        envelope.layani_accounts = [*accounts, account_id]
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        accounts = sorted(set(getattr(envelope, "layani_accounts", [])))
        try:
            await self._in_worker(store_for_accounts, accounts, bytes(raw))
        except Exception:
            logger.exception("storing an inbound mail failed")
            return "451 4.3.0 Could not store the message, try again later"
        return "250 2.0.0 Message stored"


class IntakeController(Controller):
    """A listener thread for SMTP, or LMTP with `lmtp=True`."""

    def __init__(self, *, host: str, port: int, lmtp: bool = False) -> None:
        self.lmtp = lmtp
        super().__init__(MailIntake(), hostname=host, port=port, data_size_limit=MAX_MAIL_BYTES)

    def stop(self, no_assert: bool = False) -> None:
        try:
            super().stop(no_assert=no_assert)
        finally:
            self.handler.close()

    def factory(self) -> SMTP:
        protocol = LMTP if self.lmtp else SMTP
        return protocol(self.handler, **self.SMTP_kwargs)
