"""What each kind of channel account needs before it can work, checked when an admin saves
it: an account missing its app secret would refuse every webhook, one missing its access
token would fail every reply, and nobody would know why until customers complained.

`problems(kind, settings, credentials)` lists (field, message) pairs, "settings" or
"secrets"; an empty list means the account can run. Accounts that reply through the
outbox (`send_through_outbox`: demo and staging) need no sending credentials.
"""

from typing import Any

from django.utils.translation import gettext as _

from layani.channels.models import AccountKind
from layani.core.errors import InvalidInput

_META_INBOUND = ("app_secret", "verify_token")

# kind -> (settings needed, credentials needed to receive, credentials needed to send)
NEEDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    AccountKind.WHATSAPP: (("phone_number_id",), _META_INBOUND, ("access_token",)),
    AccountKind.MESSENGER: (("page_id",), _META_INBOUND, ("access_token",)),
    AccountKind.INSTAGRAM: ((), _META_INBOUND, ("access_token",)),
    AccountKind.TELEGRAM: ((), ("webhook_secret",), ("bot_token",)),
    AccountKind.CTI: ((), ("token",), ()),
    AccountKind.TWILIO: ((), ("auth_token",), ()),
    AccountKind.WEBCHAT: (("allowed_origins",), (), ()),
    AccountKind.EMAIL: (("address",), (), ()),
}


def _missing(values: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if not values.get(name)]


def problems(kind: str, settings: Any, credentials: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if not isinstance(settings, dict):
        return [("settings", _('Settings must be a JSON object, e.g. {"name": "value"}.'))]
    if not isinstance(credentials, dict) or not all(
        isinstance(value, str) for value in credentials.values()
    ):
        return [("secrets", _("Credentials must be a JSON object of texts."))]
    needed_settings, to_receive, to_send = NEEDS.get(kind, ((), (), ()))
    outbox = bool(settings.get("send_through_outbox"))
    if missing := _missing(settings, needed_settings):
        found.append(("settings", _("Missing for this kind of account: %s.") % ", ".join(missing)))
    needed = to_receive + (() if outbox else to_send)
    if missing := _missing(credentials, needed):
        found.append(("secrets", _("Missing for this kind of account: %s.") % ", ".join(missing)))
    if kind == AccountKind.WEBCHAT and not isinstance(settings.get("allowed_origins", []), list):
        found.append(("settings", _("allowed_origins must be a list of site addresses.")))
    if kind == AccountKind.EMAIL and not found:
        found += _email_problems(settings, credentials, outbox)
    return found


def _email_problems(settings: dict[str, Any], credentials: dict[str, str], outbox: bool) -> list:
    from layani.channels.email.mailbox import mailbox_of
    from layani.channels.models import ChannelAccount

    account = ChannelAccount(kind=AccountKind.EMAIL, settings=settings, secrets=credentials)
    try:
        mailbox = mailbox_of(account)
    except InvalidInput as exc:
        return [("settings", f"{exc.field}: {exc.message}")]
    if mailbox.imap is not None and not mailbox.imap.password:
        return [("secrets", _("Missing for this kind of account: %s.") % "imap_password")]
    if not outbox and mailbox.smtp is None:
        return [("settings", _("Missing for this kind of account: %s.") % "smtp_host")]
    return []
