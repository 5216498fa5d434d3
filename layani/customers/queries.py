"""Reading customers: one place that decides who sees what (STYLE rule 5).

The customer file is shared across branches (one file per customer); kiosk devices and
accounts without a staff profile see none of it.
"""

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from layani.branches.models import Visit
from layani.conversations.models import Conversation, ConversationStatus, TimelineEvent
from layani.core.errors import NotFound
from layani.core.pagination import Page, keyset_page
from layani.customers.identities import (
    looks_like_phone,
    normalise_email,
    normalise_name,
    normalise_phone,
)
from layani.customers.models import Customer, CustomerIdentity, IdentityKind
from layani.staff.permissions import Capability, can

User = AbstractBaseUser | AnonymousUser

OPEN_STATUSES = [ConversationStatus.NEW, ConversationStatus.OPEN, ConversationStatus.PENDING]


def customers_for(user: User) -> QuerySet[Customer]:
    if not can(user, Capability.VIEW_CUSTOMERS):
        return Customer.objects.none()
    return Customer.objects.all()


def access_customer(user: User, customer_id: int) -> Customer:
    customer = (
        customers_for(user)
        .select_related("preferred_staff")
        .prefetch_related(
            Prefetch("identities", queryset=CustomerIdentity.objects.order_by("kind", "id"))
        )
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise NotFound(_("Customer not found."), code="customer_not_found")
    return customer


@dataclass(frozen=True)
class CustomerQuery:
    """A customer search. `q` guesses what was typed; the other fields are exact."""

    q: str = ""
    phone: str = ""
    email: str = ""
    membership_number: str = ""
    name: str = ""


def _identity_filter(qs: QuerySet[Customer], kinds: list[str], value: str) -> QuerySet[Customer]:
    ids = CustomerIdentity.objects.filter(kind__in=kinds, value=value).values("customer_id")
    return qs.filter(pk__in=ids)


def search_customers(
    user: User, query: CustomerQuery, *, cursor: str | None = None, limit: int = 20
) -> Page[Customer]:
    """Customers matching every given criterion, ordered by name, keyset-paginated."""
    qs = customers_for(user)
    q = query.q.strip()
    phone, email = query.phone.strip(), query.email.strip()
    member, name = query.membership_number.strip(), query.name.strip()
    if q:
        if "@" in q:
            email = email or q
        elif looks_like_phone(q):
            phone = phone or q
        else:
            exact = qs.filter(membership_number=q)
            if exact.exists():
                member = member or q
            else:
                name = name or q
    if phone:
        qs = _identity_filter(
            qs, [IdentityKind.PHONE, IdentityKind.WHATSAPP], normalise_phone(phone)
        )
    if email:
        qs = _identity_filter(qs, [IdentityKind.EMAIL], normalise_email(email))
    if member:
        qs = qs.filter(membership_number=member)
    if name:
        qs = qs.filter(search_name__contains=normalise_name(name))
    qs = qs.prefetch_related(
        Prefetch("identities", queryset=CustomerIdentity.objects.order_by("kind", "id"))
    )
    return keyset_page(qs, fields=("search_name", "id"), cursor=cursor, limit=limit)


@dataclass(frozen=True)
class CustomerFile:
    """Everything a person serving this customer should see, read in a fixed number of queries."""

    customer: Customer
    timeline: Page[TimelineEvent]
    open_conversations: list[Conversation]
    recent_visits: list[Visit]


def customer_file(
    user: User, customer_id: int, *, timeline_cursor: str | None = None, timeline_limit: int = 30
) -> CustomerFile:
    customer = access_customer(user, customer_id)
    # The rows are shown in words (`conversations.event_display`): the actor's staff name
    # and a linked visit's ticket come with them.
    events = TimelineEvent.objects.filter(customer=customer).select_related(
        "actor__staff", "branch", "conversation", "visit"
    )
    timeline = keyset_page(
        events,
        fields=("occurred_at", "id"),
        cursor=timeline_cursor,
        limit=timeline_limit,
        descending=True,
    )
    open_conversations = list(
        Conversation.objects.filter(customer=customer, status__in=OPEN_STATUSES)
        .select_related("assignee", "branch")
        .order_by("-created_at")[:10]
    )
    recent_visits = list(
        Visit.objects.filter(customer=customer)
        .select_related("branch", "service", "served_by")
        .order_by("-checked_in_at")[:5]
    )
    return CustomerFile(
        customer=customer,
        timeline=timeline,
        open_conversations=open_conversations,
        recent_visits=recent_visits,
    )
