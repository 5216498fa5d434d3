"""Names for Messenger and Instagram senders, who arrive as bare ids.

A new sender becomes a customer named by their id ("Pelanggan 2468..."). After their
message is stored, the worker asks the Graph API for their public profile (Messenger:
first and last name; Instagram: name or username) and names the customer, unless someone
renamed them meanwhile. A sender is looked up at most once a day per account, whatever
the answer, so a page without the permission does not ask on every message.
"""

import logging

from django.core.cache import cache
from django.db import transaction

from layani.channels.base import SendFailed
from layani.channels.customers import has_placeholder_name
from layani.channels.meta.graph import get_json
from layani.channels.models import ChannelAccount
from layani.core.errors import InvalidInput
from layani.customers.actions import CustomerDetails, update_customer
from layani.customers.models import Customer, CustomerIdentity

logger = logging.getLogger(__name__)

ASK_AGAIN_AFTER = 24 * 3600  # seconds
FIELDS = {"messenger": "first_name,last_name", "instagram": "name,username"}


def should_ask(account: ChannelAccount, identity: str, sender_id: str) -> int | None:
    """The customer to name, when they still carry the placeholder and were not asked
    about today (marks them asked)."""
    customer = (
        Customer.objects.filter(identities__kind=identity, identities__value=sender_id)
        .only("id", "full_name")
        .first()
    )
    if customer is None or not has_placeholder_name(customer, sender_id):
        return None
    if not cache.add(f"meta-profile:{account.pk}:{identity}:{sender_id}", 1, ASK_AGAIN_AFTER):
        return None
    return customer.pk


def profile_name(account: ChannelAccount, sender_id: str) -> str:
    """The sender's name as Meta gives it ("" when it gives none). Raises GraphUnavailable
    (retry later) or SendFailed (Meta refused: no permission, unknown id)."""
    answer = get_json(account, sender_id, {"fields": FIELDS.get(account.kind, "name")})
    parts = [str(answer.get(key) or "").strip() for key in ("first_name", "last_name")]
    name = " ".join(part for part in parts if part) or str(answer.get("name") or "").strip()
    if not name and answer.get("username"):
        name = f"@{str(answer['username']).strip()}"
    return " ".join(name.split())[:160]


def name_sender(account: ChannelAccount, customer_id: int, identity: str, sender_id: str) -> str:
    """Ask Meta and name the customer; returns the name given ("" when nothing changed)."""
    try:
        name = profile_name(account, sender_id)
    except SendFailed as exc:
        logger.info("no profile for %s %s: %s", identity, sender_id, exc)
        return ""
    if not name:
        return ""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
        still_theirs = CustomerIdentity.objects.filter(
            customer_id=customer_id, kind=identity, value=sender_id
        ).exists()
        if customer is None or not still_theirs or not has_placeholder_name(customer, sender_id):
            return ""  # merged away, or someone named them meanwhile: theirs wins
        try:
            update_customer(customer, CustomerDetails.from_values({"full_name": name}), actor=None)
        except InvalidInput as exc:
            logger.info("profile name of %s %s refused: %s", identity, sender_id, exc)
            return ""
    return name
