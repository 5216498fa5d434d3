"""Opening and closing counters, and supervisors moving staff between counters and services."""

from django.db import transaction
from django.utils.translation import gettext as _

from layani.branches.models import Counter, Service, Visit
from layani.branches.models.visit import ACTIVE_AT_COUNTER
from layani.branches.queries import branch_ids_for
from layani.branches.realtime import publish_queue_changed
from layani.conversations.models import EventKind
from layani.conversations.timeline import record_event
from layani.core.errors import Conflict, InvalidInput, NotFound
from layani.core.types import Actor
from layani.staff.models import Staff
from layani.staff.permissions import Capability, require, staff_of


def _in_scope(actor: Actor, counter: Counter) -> None:
    allowed = branch_ids_for(actor) if actor is not None else []
    if allowed is not None and counter.branch_id not in allowed:
        raise NotFound(_("Counter not found."), code="counter_not_found")


def open_counter(counter: Counter, *, actor: Actor, staff: Staff | None = None) -> Counter:
    """Staff sits down at a counter (or a supervisor puts someone there) and opens it."""
    _in_scope(actor, counter)
    me = staff_of(actor)
    if staff is None or (me is not None and staff.pk == me.pk):
        require(actor, Capability.SERVE_VISITS)
        staff = me
    else:
        require(actor, Capability.SUPERVISE)
    if staff is None:
        raise Conflict(_("Only staff can open a counter."), code="not_staff")
    if not staff.branches.filter(pk=counter.branch_id).exists():
        raise InvalidInput(
            _("%(name)s does not work at this branch.") % {"name": staff.display_name},
            code="wrong_branch",
            field="staff",
        )
    with transaction.atomic():
        locked = Counter.objects.select_for_update().select_related("branch").get(pk=counter.pk)
        if locked.staff_id not in (None, staff.pk) and _busy(locked):
            raise Conflict(_("Someone is still serving at this counter."), code="counter_busy")
        # A person sits at one counter at a time: leave any other first.
        previous = Counter.objects.select_for_update().filter(staff=staff).exclude(pk=locked.pk)
        for other in previous:
            if _busy(other):
                raise Conflict(
                    _("Finish your visitor at %(counter)s first.") % {"counter": other.name},
                    code="counter_busy",
                )
            other.staff = None
            other.is_open = False
            other.save(update_fields=["staff", "is_open"])
        locked.staff = staff
        locked.is_open = True
        locked.save(update_fields=["staff", "is_open"])
        record_event(
            EventKind.COUNTER_OPENED,
            actor=actor,
            branch=locked.branch,
            summary=f"{locked.name} · {staff.display_name}",
            details={"counter": locked.pk, "staff": staff.pk},
        )
    publish_queue_changed(locked.branch, "counter.changed")
    return locked


def close_counter(counter: Counter, *, actor: Actor) -> Counter:
    _in_scope(actor, counter)
    me = staff_of(actor)
    if me is None or counter.staff_id != me.pk:
        require(actor, Capability.SUPERVISE)
    with transaction.atomic():
        locked = Counter.objects.select_for_update().select_related("branch").get(pk=counter.pk)
        if _busy(locked):
            raise Conflict(
                _("Finish or transfer the visitor at this counter first."), code="counter_busy"
            )
        who = locked.staff.display_name if locked.staff else ""
        locked.is_open = False
        locked.staff = None
        locked.save(update_fields=["is_open", "staff"])
        record_event(
            EventKind.COUNTER_CLOSED,
            actor=actor,
            branch=locked.branch,
            summary=f"{locked.name}{' · ' + who if who else ''}",
            details={"counter": locked.pk},
        )
    publish_queue_changed(locked.branch, "counter.changed")
    return locked


def set_counter_services(counter: Counter, services: list[Service], *, actor: Actor) -> Counter:
    """Supervisor: which services this counter calls (empty = the staff member's skills)."""
    require(actor, Capability.SUPERVISE)
    _in_scope(actor, counter)
    offered = set(counter.branch.services.values_list("pk", flat=True))
    if any(s.pk not in offered for s in services):
        raise InvalidInput(
            _("This branch does not offer this service."), code="unknown_service", field="services"
        )
    with transaction.atomic():
        counter.services.set(services)
        record_event(
            EventKind.COUNTER_OPENED if counter.is_open else EventKind.COUNTER_CLOSED,
            actor=actor,
            branch=counter.branch,
            summary=f"{counter.name}: " + (", ".join(s.name_id for s in services) or "—"),
            details={"counter": counter.pk, "services": [s.code for s in services]},
        )
    publish_queue_changed(counter.branch, "counter.changed")
    return counter


def _busy(counter: Counter) -> bool:
    return Visit.objects.filter(counter=counter, status__in=ACTIVE_AT_COUNTER).exists()
