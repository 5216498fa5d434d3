"""Branch-scoped reads: supervisors, branch staff and kiosks see only their own branches.

The visitor pages read through here too: a branch by its code, a visit by its public token,
a booking by its code. A lookup the page cannot do without raises `NotFound`; one whose
absence the page answers itself (a form error, a fresh ticket) returns None.
"""

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from layani.branches.estimates import Estimate
from layani.branches.models import (
    Appointment,
    Branch,
    Service,
    Visit,
    VisitStatus,
    WaitEstimate,
)
from layani.branches.queue_queries import service_day
from layani.core.choices import purpose_order
from layani.core.errors import NotFound
from layani.customers.models import IdentityKind
from layani.feedback.models import SurveyResponse
from layani.staff.permissions import is_branch_scoped, staff_of

User = AbstractBaseUser | AnonymousUser

# A visit still in the queue: waiting, or called or served at a counter.
IN_QUEUE = [VisitStatus.WAITING, VisitStatus.CALLED, VisitStatus.SERVING]


def branch_ids_for(user: User) -> list[int] | None:
    """The branches `user` is limited to, or None when they may see every branch."""
    if not user.is_authenticated:
        return []
    if not is_branch_scoped(user):
        return None
    staff = staff_of(user)
    if staff is None:
        return []
    return list(staff.branches.values_list("id", flat=True))


def branches_for(user: User) -> QuerySet[Branch]:
    ids = branch_ids_for(user)
    qs = Branch.objects.filter(is_active=True)
    return qs if ids is None else qs.filter(pk__in=ids)


def access_branch(user: User, branch_id: int) -> Branch:
    branch = branches_for(user).filter(pk=branch_id).first()
    if branch is None:
        raise NotFound(_("Branch not found."), code="branch_not_found")
    return branch


def access_branch_by_code(user: User, code: str) -> Branch:
    """The active branch with this code, if it is in `user`'s scope (the kiosk's URL)."""
    branch = branches_for(user).filter(code=code).first()
    if branch is None:
        raise NotFound(_("Branch not found."), code="branch_not_found")
    return branch


def public_branch(code: str) -> Branch:
    """The active branch with this code, for pages anyone may open (join, book)."""
    branch = Branch.objects.filter(code=code, is_active=True).first()
    if branch is None:
        raise NotFound(_("Branch not found."), code="branch_not_found")
    return branch


def lock_branch_for_intake(branch: Branch) -> None:
    """Take the branch row's lock (inside a transaction): one ticket or booking form of this
    branch at a time, so a double tap or a double POST of one form token waits for the first
    and then sees it."""
    list(Branch.objects.select_for_update().filter(pk=branch.pk).values_list("pk", flat=True))


def visits_for(user: User) -> QuerySet[Visit]:
    ids = branch_ids_for(user)
    qs = Visit.objects.all()
    return qs if ids is None else qs.filter(branch_id__in=ids)


def services_of(branch: Branch) -> QuerySet[Service]:
    return branch.services.filter(is_active=True).order_by(purpose_order(), "sort_order", "name_id")


def service_of(branch: Branch, service_id: int) -> Service | None:
    """One of the branch's active services, or None."""
    return services_of(branch).filter(pk=service_id).first()


# --- A visitor's own records -----------------------------------------------------------------


def visit_by_token(public_token: str) -> Visit:
    """The visit behind a visitor's link or printed ticket (the token is the visitor's key)."""
    visit = (
        Visit.objects.select_related("branch", "service", "counter")
        .filter(public_token=public_token)
        .first()
    )
    if visit is None:
        raise NotFound(_("Ticket not found."), code="visit_not_found")
    return visit


def appointment_by_reference(branch: Branch, reference: str) -> Appointment:
    """The booking with this booking code at this branch."""
    appointment = (
        Appointment.objects.select_related("service", "customer")
        .filter(branch=branch, reference=reference)
        .first()
    )
    if appointment is None:
        raise NotFound(_("Booking not found."), code="appointment_not_found")
    return appointment


def finished_visit_today(branch: Branch, ticket_number: str) -> Visit | None:
    """Today's finished visit at this branch with this ticket number (the latest), if any."""
    return (
        Visit.objects.select_related("branch", "service")
        .filter(
            branch=branch,
            service_day=service_day(branch),
            ticket_number=ticket_number,
            status=VisitStatus.DONE,
        )
        .order_by("-finished_at")
        .first()
    )


def active_visit_of_phone(branch: Branch, e164: str) -> Visit | None:
    """Today's ticket at this branch still in the queue for this phone number, if any."""
    return (
        Visit.objects.filter(
            branch=branch,
            service_day=service_day(branch),
            status__in=IN_QUEUE,
            customer__identities__kind__in=[IdentityKind.PHONE, IdentityKind.WHATSAPP],
            customer__identities__value=e164,
        )
        .order_by("-checked_in_at")
        .first()
    )


def issued_estimate(visit: Visit) -> Estimate | None:
    """What the visitor was told when the ticket was issued."""
    first = WaitEstimate.objects.filter(visit=visit).order_by("given_at", "id").first()
    if first is None:
        return None
    return Estimate(position=first.position, seconds=first.estimated_seconds, counters=0)


def last_estimate_given_at(visit: Visit) -> datetime | None:
    """When the visitor was last given an estimate, if ever."""
    return (
        WaitEstimate.objects.filter(visit=visit)
        .order_by("-given_at")
        .values_list("given_at", flat=True)
        .first()
    )


def is_rated(visit: Visit) -> bool:
    """Has the visitor rated this visit (once is all a visit gets)?"""
    return SurveyResponse.objects.filter(visit=visit).exists()
