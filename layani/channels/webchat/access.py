"""Who may talk to a web chat account: pages of the account's allowed origins only
(`settings["allowed_origins"]`, e.g. ["https://shop.example"]; none listed, no page), and a
visitor only with the signed token the widget was given."""

from urllib.parse import urlsplit

from django.core import signing

from layani.channels.models import ChannelAccount

TOKEN_SALT = "layani.webchat.visitor"


def origin_of(url: str) -> str:
    """`scheme://host[:port]`, lower-case, without path or trailing slash."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def allowed_origins(account: ChannelAccount) -> set[str]:
    listed = account.setting("allowed_origins") or []
    items = listed.split() if isinstance(listed, str) else listed
    if not isinstance(items, list | tuple):
        return set()
    return {origin_of(str(item)) for item in items} - {""}


def origin_allowed(account: ChannelAccount, origin: str) -> bool:
    return bool(origin) and origin_of(origin) in allowed_origins(account)


def sign_visitor(account: ChannelAccount, public_id: str) -> str:
    return signing.dumps({"a": account.pk, "v": public_id}, salt=TOKEN_SALT, compress=True)


def visitor_id_from_token(account: ChannelAccount, token: str) -> str | None:
    """The visitor's public id, or None for a missing, forged or other account's token."""
    if not token:
        return None
    try:
        value = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or value.get("a") != account.pk:
        return None
    public_id = value.get("v")
    return public_id if isinstance(public_id, str) else None
