"""What each role may do. One table, checked in one place (`require`)."""

from enum import StrEnum

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _

from layani.core.errors import PermissionDenied
from layani.staff.models import Role, Staff


class Capability(StrEnum):
    VIEW_CUSTOMERS = "customers.view"
    EDIT_CUSTOMERS = "customers.edit"
    VIEW_CONVERSATIONS = "conversations.view"
    WORK_CONVERSATIONS = "conversations.work"
    VIEW_ALL_CONVERSATIONS = "conversations.view_all"
    VIEW_UNASSIGNED_POOL = "conversations.view_pool"
    MANAGE_CANNED_REPLIES = "canned_replies.manage"
    VIEW_ALL_BRANCHES = "branches.view_all"
    SERVE_VISITS = "visits.serve"
    CHECK_IN = "visits.check_in"
    SUPERVISE = "branches.supervise"
    CONFIGURE = "configure"
    MANAGE_TOKENS = "api_tokens.manage"
    MANAGE_WEBHOOKS = "webhooks.manage"
    MANAGE_BUSINESS_HOURS = "sla.business_hours"  # calendars and closed days of own branches


_SERVING = {
    Capability.VIEW_CUSTOMERS,
    Capability.EDIT_CUSTOMERS,
    Capability.VIEW_CONVERSATIONS,
    Capability.WORK_CONVERSATIONS,
}

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.ADMIN: frozenset(Capability),
    Role.SUPERVISOR: frozenset(
        _SERVING
        | {
            Capability.SERVE_VISITS,
            Capability.SUPERVISE,
            Capability.CHECK_IN,
            Capability.MANAGE_CANNED_REPLIES,
            Capability.MANAGE_BUSINESS_HOURS,
        }
    ),
    Role.AGENT: frozenset(
        _SERVING | {Capability.VIEW_ALL_BRANCHES, Capability.VIEW_UNASSIGNED_POOL}
    ),
    Role.BRANCH_STAFF: frozenset(_SERVING | {Capability.SERVE_VISITS, Capability.CHECK_IN}),
    Role.TECHNICIAN: frozenset(_SERVING),
    Role.KIOSK: frozenset({Capability.CHECK_IN}),
}

BRANCH_SCOPED_ROLES = frozenset({Role.SUPERVISOR, Role.BRANCH_STAFF, Role.KIOSK})


def staff_of(user: AbstractBaseUser | AnonymousUser | None) -> Staff | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    staff = getattr(user, "staff", None)
    if staff is None or not staff.is_active:
        return None
    return staff


def capabilities_of(user: AbstractBaseUser | AnonymousUser | None) -> frozenset[Capability]:
    if user is not None and user.is_authenticated and getattr(user, "is_superuser", False):
        return frozenset(Capability)
    staff = staff_of(user)
    if staff is None:
        return frozenset()
    return ROLE_CAPABILITIES.get(staff.role, frozenset())


def can(user: AbstractBaseUser | AnonymousUser | None, capability: Capability) -> bool:
    return capability in capabilities_of(user)


def require(user: AbstractBaseUser | AnonymousUser | None, capability: Capability) -> None:
    if not can(user, capability):
        raise PermissionDenied(_("You are not allowed to do this."))


def is_branch_scoped(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Supervisors, branch staff and kiosks see only the branches they belong to."""
    if user is not None and getattr(user, "is_superuser", False):
        return False
    staff = staff_of(user)
    return staff is None or staff.role in BRANCH_SCOPED_ROLES
