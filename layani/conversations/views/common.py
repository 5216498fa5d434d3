"""What every workspace page shares: the guard, the error page, htmx helpers, due times.

Thin handlers (STYLE rule 3): parse, authorise, call one action or query, render. A domain
error (`LayaniError`) becomes a message in place with its HTTP status, never a 500.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from layani.core.errors import LayaniError
from layani.core.formatting import duration_words, format_local, late_words
from layani.staff.permissions import Capability, require

# A conversation due within this time is shown amber; past its due time, red.
SOON = timedelta(hours=1)

View = Callable[..., HttpResponse]


def error_page(request: HttpRequest, error: LayaniError) -> HttpResponse:
    if is_htmx(request):
        return render(request, "conversations/_error.html", {"error": error}, status=error.status)
    return render(request, "core/error.html", {"error": error}, status=error.status)


def workspace_page(
    capability: Capability = Capability.VIEW_CONVERSATIONS,
) -> Callable[[View], View]:
    """Signed in (else the sign-in page) and allowed to `capability` (else 403)."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                require(request.user, capability)
                return view(request, *args, **kwargs)
            except LayaniError as error:
                return error_page(request, error)

        return login_required(wrapper)

    return decorate


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@dataclass(frozen=True)
class DueTime:
    """When an answer is due, as an agent reads it: "2 h 15 min left", "35 min late"."""

    at: datetime
    text: str
    state: str  # "overdue", "soon" or "later"; "done" for a resolved or closed conversation
    local: str  # the moment itself, in the branch's zone


def ended_time(ended_at: datetime, now: datetime, closed: bool, zone: str | None = None) -> DueTime:
    """A resolved or closed conversation's row: when it ended, not a due time (nothing is
    due any more; "114 d late" in red would only bury the live work)."""
    ago = duration_words(max(now - ended_at, timedelta(0)))
    if closed:
        text = _("closed %(time)s ago") % {"time": ago}
    else:
        text = _("resolved %(time)s ago") % {"time": ago}
    local = format_local(ended_at, zone or settings.TIME_ZONE)
    return DueTime(at=ended_at, text=text, state="done", local=local)


def due_time(due_at: datetime, now: datetime, zone: str | None = None) -> DueTime:
    local = format_local(due_at, zone or settings.TIME_ZONE)
    left = due_at - now
    if left < timedelta(0):
        text = late_words(-left)
        return DueTime(at=due_at, text=text, state="overdue", local=local)
    text = _("%(time)s left") % {"time": duration_words(left)}
    return DueTime(at=due_at, text=text, state="soon" if left <= SOON else "later", local=local)
