from django.http import HttpRequest
from ninja import Router

from layani.branches import queries
from layani.branches.schemas import BranchOut

router = Router(tags=["branches"])


@router.get("/", response=list[BranchOut], summary="Branches you may see")
def list_branches(request: HttpRequest):
    return queries.branches_for(request.user).prefetch_related("opening_hours", "services")


@router.get("/{branch_id}", response=BranchOut, summary="Read a branch")
def read_branch(request: HttpRequest, branch_id: int):
    queries.access_branch(request.user, branch_id)
    return (
        queries.branches_for(request.user)
        .prefetch_related("opening_hours", "services")
        .get(pk=branch_id)
    )
