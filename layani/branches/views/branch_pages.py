"""What every signed-in branch page shares: the `branch_page` guard and the error page.

Thin handlers (STYLE rule 3): parse, authorise, call one action or query, render. A domain
error (`LayaniError`) becomes a message on the page with its HTTP status, never a 500.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from layani.branches.models import Branch, Counter
from layani.branches.queries import access_branch
from layani.core.errors import LayaniError, NotFound
from layani.staff.permissions import Capability, require

# Events after which a page re-reads its live fragment (see staff-live.js).
COUNTER_EVENTS = "visit.checked_in visit.called visit.finished visit.no_show visit.transferred"
COUNTER_EVENTS += " counter.changed"
SUPERVISOR_EVENTS = COUNTER_EVENTS + " visit.serving"

BranchView = Callable[..., HttpResponse]


def error_page(request: HttpRequest, error: LayaniError) -> HttpResponse:
    return render(request, "core/error.html", {"error": error}, status=error.status)


def branch_page(capability: Capability | None) -> Callable[[BranchView], BranchView]:
    """Signed in, allowed to `capability`, and the branch in the person's scope (else 403/404)."""

    def decorate(view: BranchView) -> BranchView:
        @wraps(view)
        def wrapper(request: HttpRequest, branch_id: int, **kwargs: Any) -> HttpResponse:
            try:
                if capability is not None:
                    require(request.user, capability)
                branch = access_branch(request.user, branch_id)
            except LayaniError as error:
                return error_page(request, error)
            return view(request, branch, **kwargs)

        return login_required(wrapper)

    return decorate


def branch_counter(branch: Branch, counter_id: int | str) -> Counter:
    """The branch's counter with this id; a counter of another branch is not found."""
    counter = None
    if str(counter_id).isdigit():
        counter = (
            Counter.objects.filter(branch=branch, pk=int(counter_id))
            .select_related("branch")
            .first()
        )
    if counter is None:
        raise NotFound(_("Counter not found."), code="counter_not_found")
    return counter
