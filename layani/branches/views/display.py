"""The TV display: the branch's last calls, kept live over ws/display/<branch_id>/."""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from layani.branches.models import Branch, Visit
from layani.branches.queue_queries import DISPLAY_CALLS, recent_calls
from layani.branches.views.branch_pages import branch_page
from layani.core.formatting import zone_abbreviation


def call_payload(visit: Visit) -> dict[str, Any]:
    """A past call as the display's websocket sends it (layani.branches.realtime)."""
    counter = visit.counter
    return {
        "ticket": visit.ticket_number,
        "counter": counter.name if counter else "",
        "counter_number": counter.number if counter else None,
        "recall": False,
        "called_at": visit.called_at.isoformat() if visit.called_at else None,
    }


@require_GET
@branch_page(None)
def display_page(request: HttpRequest, branch: Branch) -> HttpResponse:
    """The TV: any signed-in account whose scope holds the branch (a kiosk device, staff)."""
    calls = recent_calls(branch)
    config = {
        "branchId": branch.pk,
        "timezone": branch.timezone,
        "wsPath": f"/ws/display/{branch.pk}/",
        "callsUrl": reverse("branch:display_calls", args=[branch.pk]),
        "calls": [call_payload(v) for v in calls],
        "max": DISPLAY_CALLS,
    }
    context = {
        "branch": branch,
        "calls": calls,
        "config": config,
        "zone": zone_abbreviation(branch.timezone),
        "now": timezone.now(),
    }
    return render(request, "branches/staff/display.html", context)


@require_GET
@branch_page(None)
def display_calls(request: HttpRequest, branch: Branch) -> JsonResponse:
    """The display's list again, read after a reconnect (calls may have been missed)."""
    return JsonResponse({"calls": [call_payload(v) for v in recent_calls(branch)]})
