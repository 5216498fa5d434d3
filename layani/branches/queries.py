"""Branch-scoped reads: supervisors, branch staff and kiosks see only their own branches."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from layani.branches.models import Branch, Service, Visit
from layani.core.errors import NotFound
from layani.staff.permissions import is_branch_scoped, staff_of

User = AbstractBaseUser | AnonymousUser


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


def visits_for(user: User) -> QuerySet[Visit]:
    ids = branch_ids_for(user)
    qs = Visit.objects.all()
    return qs if ids is None else qs.filter(branch_id__in=ids)


def services_of(branch: Branch) -> QuerySet[Service]:
    return branch.services.filter(is_active=True).order_by("purpose", "sort_order", "name_id")
