"""Staff pages: the screen pop, the call note, the list of undocumented calls, and recording
an unknown caller as a customer. Thin: parse, authorise (in queries/actions), render."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from layani.channels.phone import queries
from layani.channels.phone.calls import record_caller_as_customer
from layani.channels.phone.documentation import document_call
from layani.channels.phone.forms import CallNoteForm, NewCallerForm
from layani.core.errors import InvalidInput, LayaniError
from layani.customers.queries import customer_file
from layani.staff.permissions import Capability, require


def _error_page(request: HttpRequest, error: LayaniError) -> HttpResponse:
    return render(request, "core/error.html", {"error": error}, status=error.status)


@login_required
def screen_pop(request: HttpRequest, call_id: int) -> HttpResponse:
    """The fragment the agent's workspace shows while the call rings."""
    try:
        call = queries.access_call(request.user, call_id)
        file = (
            customer_file(request.user, call.customer_id, timeline_limit=5)
            if call.customer_id is not None
            else None
        )
    except LayaniError as error:
        return _error_page(request, error)
    return render(request, "phone/_screen_pop.html", {"call": call, "file": file})


@login_required
@require_http_methods(["GET", "POST"])
def call_note(request: HttpRequest, call_id: int) -> HttpResponse:
    try:
        call = queries.access_call(request.user, call_id)
    except LayaniError as error:
        return _error_page(request, error)
    initial = {"purpose": call.purpose or "routine", "result": call.result}
    form = CallNoteForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                document_call(call, **form.cleaned_data, actor=request.user)
                return redirect(reverse("channels:phone:note", args=[call.pk]) + "?saved=1")
            except InvalidInput as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            except LayaniError as error:
                return _error_page(request, error)
        status = 422
    return render(
        request,
        "phone/call_note.html",
        {"call": call, "form": form, "saved": request.GET.get("saved") == "1"},
        status=status,
    )


@login_required
def undocumented(request: HttpRequest) -> HttpResponse:
    try:
        require(request.user, Capability.SUPERVISE)
        page = queries.undocumented_calls(
            request.user,  # type: ignore[arg-type]
            cursor=request.GET.get("cursor") or None,
        )
    except LayaniError as error:
        return _error_page(request, error)
    return render(request, "phone/undocumented.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def new_caller(request: HttpRequest, call_id: int) -> HttpResponse:
    try:
        call = queries.access_call(request.user, call_id)
    except LayaniError as error:
        return _error_page(request, error)
    form = NewCallerForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                customer = record_caller_as_customer(
                    call, full_name=form.cleaned_data["full_name"], actor=request.user
                )
                return redirect("customers:detail", customer.pk)
            except InvalidInput as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            except LayaniError as error:
                return _error_page(request, error)
        status = 422
    return render(request, "phone/new_caller.html", {"call": call, "form": form}, status=status)
