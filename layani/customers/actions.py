"""Every write to a customer's file (STYLE rule 1): validated, atomic, on the timeline."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from layani.conversations.models import EventKind, TimelineEvent
from layani.conversations.timeline import record_event, timeline_event
from layani.core.errors import Conflict, InvalidInput
from layani.core.events import publish_on_commit
from layani.customers.identities import normalise_identity, normalise_name
from layani.customers.models import (
    Customer,
    CustomerIdentity,
    CustomerStatus,
    IdentityKind,
    MembershipTier,
)
from layani.search.indexing import index_customer
from layani.staff.models import Staff

Actor = AbstractBaseUser | AnonymousUser | None

MAX_TAGS = 20
MAX_TAG_LENGTH = 40


@dataclass
class CustomerDetails:
    """What a person may set on a customer. For updates, only names in `given` change."""

    full_name: str | None = None
    status: str | None = None
    membership_number: str | None = None
    tier: str | None = None
    member_since: date | None = None
    language: str | None = None
    what_matters: str | None = None
    what_matters_tags: list[str] | None = None
    preferred_staff_id: int | None = None
    identities: dict[str, str | None] = field(default_factory=dict)
    given: frozenset[str] = frozenset()

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> "CustomerDetails":
        identity_names = set(IdentityKind.values)
        identities = {k: values[k] for k in values if k in identity_names}
        plain = {k: v for k, v in values.items() if k not in identity_names}
        return cls(**plain, identities=identities, given=frozenset(values))


def _clean_name(name: str | None) -> str:
    text = (name or "").strip()
    if not text:
        raise InvalidInput(_("Name is required."), code="required", field="full_name")
    if len(text) > 160:
        raise InvalidInput(_("Name is too long."), code="too_long", field="full_name")
    return text


def _clean_tags(tags: list[str] | None) -> list[str]:
    cleaned: list[str] = []
    for tag in tags or []:
        text = str(tag).strip().lower()
        if not text:
            continue
        if len(text) > MAX_TAG_LENGTH:
            raise InvalidInput(_("A tag is too long."), code="too_long", field="what_matters_tags")
        if text not in cleaned:
            cleaned.append(text)
    if len(cleaned) > MAX_TAGS:
        raise InvalidInput(_("Too many tags."), code="too_many", field="what_matters_tags")
    return cleaned


def _check_choice(value: str, allowed: list[str], field_name: str) -> str:
    if value not in allowed:
        raise InvalidInput(
            _("Unknown value: %(value)s") % {"value": value},
            code="invalid_choice",
            field=field_name,
        )
    return value


def _normalised_identities(raw: dict[str, str | None]) -> dict[str, str | None]:
    """Normalise each given identity; an empty value means "remove this contact"."""
    return {
        kind: (normalise_identity(kind, value) if value else None) for kind, value in raw.items()
    }


def _ensure_identities_free(identities: dict[str, str | None], customer_id: int | None) -> None:
    for kind, value in identities.items():
        if value is None:
            continue
        owners = CustomerIdentity.objects.filter(kind=kind, value=value)
        if customer_id is not None:
            owners = owners.exclude(customer_id=customer_id)
        if owners.exists():
            raise Conflict(
                _("This %(kind)s already belongs to another customer.")
                % {"kind": IdentityKind(kind).label},
                code="identity_taken",
                field=kind,
            )


def _ensure_member_number_free(number: str | None, customer_id: int | None) -> None:
    if not number:
        return
    holders = Customer.objects.filter(membership_number=number)
    if customer_id is not None:
        holders = holders.exclude(pk=customer_id)
    if holders.exists():
        raise Conflict(
            _("This membership number already belongs to another customer."),
            code="membership_number_taken",
            field="membership_number",
        )


def _preferred_staff(staff_id: int | None) -> Staff | None:
    if staff_id is None:
        return None
    staff = Staff.objects.filter(pk=staff_id, is_active=True).first()
    if staff is None:
        raise InvalidInput(
            _("No active staff member has this id."),
            code="unknown_staff",
            field="preferred_staff_id",
        )
    return staff


def _apply_fields(customer: Customer, details: CustomerDetails, names: set[str]) -> list[str]:
    """Copy validated values onto `customer`; return the names of the fields that changed."""
    changed: list[str] = []

    def put(attr: str, value: Any) -> None:
        if getattr(customer, attr) != value:
            setattr(customer, attr, value)
            changed.append(attr)

    if "full_name" in names:
        name = _clean_name(details.full_name)
        put("full_name", name)
        put("search_name", normalise_name(name))
    if "status" in names:
        put("status", _check_choice(details.status or "", CustomerStatus.values, "status"))
    if "membership_number" in names:
        number = (details.membership_number or "").strip() or None
        _ensure_member_number_free(number, customer.pk)
        put("membership_number", number)
    if "tier" in names:
        put("tier", _check_choice(details.tier or "", MembershipTier.values, "tier"))
    if "member_since" in names:
        put("member_since", details.member_since)
    if "language" in names:
        put("language", _check_choice(details.language or "", ["id", "en"], "language"))
    if "what_matters" in names:
        put("what_matters", (details.what_matters or "").strip())
    if "what_matters_tags" in names:
        put("what_matters_tags", _clean_tags(details.what_matters_tags))
    if "preferred_staff_id" in names:
        staff = _preferred_staff(details.preferred_staff_id)
        put("preferred_staff_id", staff.pk if staff else None)
    if customer.membership_number and customer.status == CustomerStatus.PROSPECT:
        raise InvalidInput(
            _("A prospect cannot have a membership number."),
            code="prospect_with_membership",
            field="membership_number",
        )
    return changed


def _set_identities(customer: Customer, identities: dict[str, str | None], actor: Actor) -> None:
    for kind, value in identities.items():
        current = customer.identities.filter(kind=kind, is_primary=True).first()
        if current is not None and current.value == value:
            continue
        if current is not None:
            current.delete()
            record_event(
                EventKind.IDENTITY_REMOVED,
                actor=actor,
                customer=customer,
                summary=current.value,
                details={"kind": kind, "value": current.value},
            )
        if value is not None:
            customer.identities.filter(kind=kind, value=value).delete()
            CustomerIdentity.objects.create(
                customer=customer, kind=kind, value=value, is_primary=True
            )
            _identity_added(customer, kind, value, actor).save(force_insert=True)


def _add_identities(
    customer: Customer, identities: dict[str, str | None], actor: Actor
) -> list[TimelineEvent]:
    """A new customer's identities in one insert (nothing of theirs to replace; the
    database's unique constraint still refuses one a concurrent writer took); returns
    their unsaved timeline events, in the order `_set_identities` would write them."""
    added = {kind: value for kind, value in identities.items() if value is not None}
    CustomerIdentity.objects.bulk_create(
        [
            CustomerIdentity(customer=customer, kind=kind, value=value, is_primary=True)
            for kind, value in added.items()
        ]
    )
    return [_identity_added(customer, kind, value, actor) for kind, value in added.items()]


def _identity_added(customer: Customer, kind: str, value: str, actor: Actor) -> TimelineEvent:
    """The timeline row of a contact added to the customer's file (unsaved)."""
    return timeline_event(
        EventKind.IDENTITY_ADDED,
        actor=actor,
        customer=customer,
        summary=value,
        details={"kind": kind, "value": value},
    )


def _translate_integrity_error(exc: IntegrityError) -> Conflict:
    text = str(exc).lower()
    if "membership_number" in text:
        return Conflict(
            _("This membership number already belongs to another customer."),
            code="membership_number_taken",
            field="membership_number",
        )
    return Conflict(_("This contact already belongs to another customer."), code="identity_taken")


def create_customer(details: CustomerDetails, *, actor: Actor) -> Customer:
    identities = _normalised_identities(details.identities)
    names = set(details.given) | {"full_name"}
    customer = Customer()
    try:
        with transaction.atomic():
            _apply_fields(customer, details, names)
            _ensure_identities_free(identities, None)
            if customer.what_matters or customer.what_matters_tags:
                customer.what_matters_updated_at = timezone.now()
            if customer.tier and customer.member_since is None:
                customer.member_since = timezone.localdate()
            customer.save()
            events = _add_identities(customer, identities, actor)
            index_customer(customer)
            events.append(
                timeline_event(
                    EventKind.CUSTOMER_CREATED,
                    actor=actor,
                    customer=customer,
                    summary=customer.full_name,
                    details={"status": customer.status},
                )
            )
            TimelineEvent.objects.bulk_create(events)
    except IntegrityError as exc:  # a concurrent writer took the identity first
        raise _translate_integrity_error(exc) from exc
    publish_on_commit("customers", "customer.created", {"id": customer.pk})
    return customer


def update_customer(customer: Customer, details: CustomerDetails, *, actor: Actor) -> Customer:
    identities = _normalised_identities(details.identities)
    names = set(details.given)
    old_what_matters = (customer.what_matters, list(customer.what_matters_tags))
    try:
        with transaction.atomic():
            locked = Customer.objects.select_for_update().get(pk=customer.pk)
            changed = _apply_fields(locked, details, names)
            _ensure_identities_free(identities, locked.pk)
            if changed:
                if {"what_matters", "what_matters_tags"} & set(changed):
                    locked.what_matters_updated_at = timezone.now()
                    changed.append("what_matters_updated_at")
                locked.save(update_fields=[*changed, "updated_at"])
            _set_identities(locked, identities, actor)
            if changed or identities:
                index_customer(locked)
            _record_changes(locked, changed, old_what_matters, actor)
    except IntegrityError as exc:
        raise _translate_integrity_error(exc) from exc
    publish_on_commit("customers", "customer.updated", {"id": locked.pk})
    return locked


def _record_changes(
    customer: Customer, changed: list[str], old_what_matters: tuple[str, list[str]], actor: Actor
) -> None:
    if {"what_matters", "what_matters_tags"} & set(changed):
        record_event(
            EventKind.WHAT_MATTERS_CHANGED,
            actor=actor,
            customer=customer,
            summary=customer.what_matters[:200],
            details={
                "before": {"text": old_what_matters[0], "tags": old_what_matters[1]},
                "after": {"text": customer.what_matters, "tags": customer.what_matters_tags},
            },
        )
    plain = [
        f
        for f in changed
        if f not in {"what_matters", "what_matters_tags", "what_matters_updated_at", "search_name"}
    ]
    if plain:
        record_event(
            EventKind.CUSTOMER_UPDATED,
            actor=actor,
            customer=customer,
            summary=", ".join(plain),
            details={"fields": plain},
        )
