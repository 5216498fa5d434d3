from django.http import HttpRequest
from ninja import Router, Schema

from layani.staff.permissions import capabilities_of, staff_of

router = Router(tags=["me"])


class MeOut(Schema):
    username: str
    display_name: str
    role: str | None
    branch_ids: list[int]
    capabilities: list[str]


@router.get("/", response=MeOut, summary="Who the request is authenticated as")
def me(request: HttpRequest) -> MeOut:
    staff = staff_of(request.user)
    return MeOut(
        username=request.user.get_username(),
        display_name=staff.display_name if staff else request.user.get_username(),
        role=staff.role if staff else None,
        branch_ids=list(staff.branches.values_list("id", flat=True)) if staff else [],
        capabilities=sorted(str(c) for c in capabilities_of(request.user)),
    )
