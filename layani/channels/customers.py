"""Who wrote: recognise the sender by their channel identity, or record a new customer."""

from collections.abc import Iterable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from layani.channels.events import Sender
from layani.core.errors import Conflict, InvalidInput
from layani.customers.actions import CustomerDetails, create_customer
from layani.customers.identities import normalise_channel_id, normalise_email, normalise_phone
from layani.customers.models import Customer, CustomerIdentity, CustomerStatus, IdentityKind

# A WhatsApp number is also the customer's phone, and the other way round.
_SAME_NUMBER: dict[str, list[str]] = {
    IdentityKind.WHATSAPP: [IdentityKind.WHATSAPP, IdentityKind.PHONE],
    IdentityKind.PHONE: [IdentityKind.PHONE, IdentityKind.WHATSAPP],
}


def normalised(sender: Sender) -> str:
    """The identity value as the customer file stores it (raises InvalidInput)."""
    if sender.kind in (IdentityKind.PHONE, IdentityKind.WHATSAPP):
        return normalise_phone(sender.value, field="sender")
    if sender.kind == IdentityKind.EMAIL:
        return normalise_email(sender.value, field="sender")
    return normalise_channel_id(sender.value, field="sender")


def find_customer(sender: Sender) -> Customer | None:
    value = normalised(sender)
    kinds = _SAME_NUMBER.get(sender.kind, [sender.kind])
    identities = {
        identity.kind: identity
        for identity in CustomerIdentity.objects.select_related("customer").filter(
            kind__in=kinds, value=value
        )
    }
    for kind in kinds:  # the exact kind first
        if kind in identities:
            return identities[kind].customer
    return None


def known_customer_ids(senders: Iterable[Sender]) -> dict[Sender, int]:
    """`find_customer` for many senders in one query: the customer id of each sender
    already on file (same rule: the exact kind first). A sender whose value is not valid,
    or who is not on file, is left out."""
    wanted: dict[Sender, tuple[str, list[str]]] = {}
    for sender in set(senders):
        try:
            wanted[sender] = (normalised(sender), _SAME_NUMBER.get(sender.kind, [sender.kind]))
        except InvalidInput:
            continue
    if not wanted:
        return {}
    rows = CustomerIdentity.objects.filter(
        kind__in={kind for _value, kinds in wanted.values() for kind in kinds},
        value__in={value for value, _kinds in wanted.values()},
    ).values_list("kind", "value", "customer_id")
    on_file = {(kind, value): customer_id for kind, value, customer_id in rows}
    found = {}
    for sender, (value, kinds) in wanted.items():
        for kind in kinds:
            if (kind, value) in on_file:
                found[sender] = on_file[(kind, value)]
                break
    return found


def customer_for_sender(sender: Sender) -> Customer:
    """The customer behind this sender; a new customer on first contact, named as the
    channel shows them (or by their address until someone knows better)."""
    found = find_customer(sender)
    if found is not None:
        return found
    value = normalised(sender)
    name = " ".join(sender.name.split())[:200] or placeholder_name(value)
    try:
        return create_customer(
            CustomerDetails.from_values(
                {"full_name": name, "status": CustomerStatus.CUSTOMER, sender.kind: value}
            ),
            actor=None,
        )
    except Conflict:
        # Another worker recorded the same sender a moment ago.
        found = find_customer(sender)
        if found is None:
            raise
        return found


def placeholder_name(value: str) -> str:
    """The name of a customer the channel told us nothing about, until someone knows better."""
    return _("Customer %(contact)s") % {"contact": value}


def has_placeholder_name(customer: Customer, value: str) -> bool:
    """Still named by their address, in any of the interface's languages?"""
    names = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(placeholder_name(value))
    return customer.full_name in names


def valid_sender(sender: Sender) -> bool:
    try:
        normalised(sender)
    except InvalidInput:
        return False
    return True
