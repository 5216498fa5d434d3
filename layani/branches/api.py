from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from layani.branches import queries
from layani.branches.schemas import BranchOut
from layani.core.errors import NotFound

router = Router(tags=["branches"])


@router.get("/", response=list[BranchOut], summary="Branches you may see")
def list_branches(request: HttpRequest):
    return queries.branches_for(request.user).prefetch_related("opening_hours", "services")


@router.get("/{branch_id}", response=BranchOut, summary="Read a branch")
def read_branch(request: HttpRequest, branch_id: int):
    branch = (
        queries.branches_for(request.user)
        .prefetch_related("opening_hours", "services")
        .filter(pk=branch_id)
        .first()
    )
    if branch is None:
        raise NotFound(_("Branch not found."), code="branch_not_found")
    return branch
