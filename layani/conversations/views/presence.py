"""The agent's own status (online, away, on a break, offline) from the inbox header.

Auto-assignment only gives work to agents who are online, so the switch sits where the
agent starts the shift.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from layani.conversations.views.common import is_htmx, workspace_page
from layani.core.errors import Conflict
from layani.routing.agent_status import presence_of, set_agent_status
from layani.routing.models import AgentStatus, AgentStatusChange
from layani.staff.permissions import staff_of


def presence_context(request: HttpRequest) -> dict[str, object]:
    staff = staff_of(request.user)
    if staff is None:
        return {"presence": None}
    return {"presence": presence_of(staff), "agent_statuses": AgentStatus.choices}


@require_POST
@workspace_page()
def set_my_status(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request.user)
    if staff is None:
        raise Conflict(_("Only staff members have a status."), code="not_staff")
    status = request.POST.get("status", "")
    was = presence_of(staff).status
    set_agent_status(staff, status=status, actor=request.user)
    context = presence_context(request)
    if status == AgentStatus.OFFLINE and was != AgentStatus.OFFLINE:
        # How many of their conversations went back to their teams: said where they clicked.
        latest = AgentStatusChange.objects.filter(staff=staff).order_by("-occurred_at", "-id")
        context["handed_on"] = latest.values_list("reassigned", flat=True).first() or 0
    if is_htmx(request):
        return render(request, "conversations/_presence.html", context)
    return redirect("inbox:inbox")
