"""Who sees which calls (STYLE rule 5: reads are scoped in one place).

- An agent sees the calls that rang for them.
- A supervisor sees the calls of their branches (the phone account's branch, or an agent who
  works there); one who is not branch-scoped, and an admin, sees every call.
"""

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from layani.branches.queries import branch_ids_for
from layani.channels.phone.models import Call, CallOutcome, CallState
from layani.core.errors import NotFound
from layani.core.pagination import Page, keyset_page
from layani.core.types import Actor
from layani.staff.models import Staff
from layani.staff.permissions import Capability, can, staff_of


def calls_for(user: Actor) -> QuerySet[Call]:
    if not can(user, Capability.VIEW_CONVERSATIONS):
        return Call.objects.none()
    if can(user, Capability.CONFIGURE):
        return Call.objects.all()
    staff = staff_of(user)
    own = Q(agent=staff) if staff is not None else Q(pk__in=[])
    if not can(user, Capability.SUPERVISE):
        return Call.objects.filter(own)
    ids = branch_ids_for(user)  # type: ignore[arg-type]
    if ids is None:
        return Call.objects.all()
    colleagues = Staff.branches.through.objects.filter(branch_id__in=ids).values("staff_id")
    return Call.objects.filter(own | Q(account__branch_id__in=ids) | Q(agent_id__in=colleagues))


def access_call(user: Actor, call_id: int) -> Call:
    call = (
        calls_for(user)
        .select_related("customer", "agent", "documented_by", "conversation", "account")
        .filter(pk=call_id)
        .first()
    )
    if call is None:
        raise NotFound(_("Call not found."), code="call_not_found")
    return call


def undocumented_calls(user: User, *, cursor: str | None, limit: int = 50) -> Page[Call]:
    """Answered calls whose note nobody wrote yet, latest first (index call_undocumented)."""
    calls = (
        calls_for(user)
        .filter(state=CallState.ENDED, outcome=CallOutcome.ANSWERED, documented_at__isnull=True)
        .select_related("customer", "agent")
    )
    return keyset_page(
        calls, fields=("ended_at", "id"), cursor=cursor, limit=limit, descending=True
    )
