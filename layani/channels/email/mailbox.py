"""A mailbox account's settings, read once and checked: where to fetch (IMAP) and how to send
(SMTP). Admins set them in the channel account's `settings`; passwords live in `secrets`
(`imap_password`, `smtp_password`, or one `password` for both)."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from layani.channels.models import ChannelAccount
from layani.core.errors import InvalidInput

SECURITY = ("tls", "starttls", "none")
DEFAULT_PORTS = {
    "imap": {"tls": 993, "starttls": 143, "none": 143},
    "smtp": {"tls": 465, "starttls": 587, "none": 25},
}


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    security: str
    username: str
    password: str


@dataclass(frozen=True)
class Mailbox:
    address: str
    display_name: str
    imap: Server | None
    smtp: Server | None
    folder: str
    move_to: str

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[-1] or "localhost"


def _server(account: ChannelAccount, prefix: str) -> Server | None:
    host = str(account.setting(f"{prefix}_host", "") or "").strip()
    if not host:
        return None
    security = str(account.setting(f"{prefix}_security", "tls") or "tls").lower()
    if security not in SECURITY:
        raise InvalidInput(
            _("Choose tls, starttls or none."), code="invalid_choice", field=f"{prefix}_security"
        )
    raw_port = account.setting(f"{prefix}_port", None)
    try:
        port = int(str(raw_port)) if raw_port not in (None, "") else DEFAULT_PORTS[prefix][security]
    except ValueError as exc:
        raise InvalidInput(
            _("Enter a port number."), code="invalid", field=f"{prefix}_port"
        ) from exc
    if not 0 < port < 65536:
        raise InvalidInput(_("Enter a port number."), code="invalid", field=f"{prefix}_port")
    address = str(account.setting("address", "") or "")
    username = str(account.setting(f"{prefix}_username", "") or account.setting("username", ""))
    password = account.secret(f"{prefix}_password") or account.secret("password")
    return Server(
        host=host, port=port, security=security, username=username or address, password=password
    )


def mailbox_of(account: ChannelAccount) -> Mailbox:
    """The account's mailbox settings (raises InvalidInput naming the bad field)."""
    address = str(account.setting("address", "") or "").strip()
    if "@" not in address:
        raise InvalidInput(
            _("Enter the mailbox's email address."), code="required", field="address"
        )
    return Mailbox(
        address=address,
        display_name=str(account.setting("display_name", "") or account.name),
        imap=_server(account, "imap"),
        smtp=_server(account, "smtp"),
        folder=str(account.setting("imap_folder", "") or "INBOX"),
        move_to=str(account.setting("imap_move_to", "") or ""),
    )
