from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from layani.core.errors import InvalidInput, LayaniError
from layani.customers import actions, queries
from layani.customers.forms import CustomerSearchForm, WhatMattersForm
from layani.staff.permissions import Capability, require


def _error_page(request: HttpRequest, error: LayaniError) -> HttpResponse:
    return render(request, "core/error.html", {"error": error}, status=error.status)


@login_required
def customer_search(request: HttpRequest) -> HttpResponse:
    try:
        require(request.user, Capability.VIEW_CUSTOMERS)
    except LayaniError as error:
        return _error_page(request, error)
    form = CustomerSearchForm(request.GET or None)
    page = None
    if form.is_valid() and form.cleaned_data["q"]:
        try:
            page = queries.search_customers(
                request.user,
                queries.CustomerQuery(q=form.cleaned_data["q"]),
                cursor=request.GET.get("cursor") or None,
                limit=25,
            )
        except InvalidInput as error:
            form.add_error("q", error.message)
    return render(request, "customers/search.html", {"form": form, "page": page})


@login_required
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    try:
        file = queries.customer_file(request.user, customer_id)
    except LayaniError as error:
        return _error_page(request, error)
    form = WhatMattersForm(
        initial={
            "what_matters": file.customer.what_matters,
            "tags": ", ".join(file.customer.what_matters_tags),
        }
    )
    return render(request, "customers/detail.html", {"file": file, "form": form})


@login_required
def customer_timeline(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The next page of the timeline, as an htmx fragment."""
    try:
        file = queries.customer_file(
            request.user, customer_id, timeline_cursor=request.GET.get("cursor") or None
        )
    except LayaniError as error:
        return _error_page(request, error)
    return render(request, "customers/detail.html#timeline-page", {"file": file})


@login_required
@require_http_methods(["POST"])
def edit_what_matters(request: HttpRequest, customer_id: int) -> HttpResponse:
    try:
        require(request.user, Capability.EDIT_CUSTOMERS)
        customer = queries.access_customer(request.user, customer_id)
    except LayaniError as error:
        return _error_page(request, error)
    form = WhatMattersForm(request.POST)
    if form.is_valid():
        try:
            actions.update_customer(
                customer,
                actions.CustomerDetails.from_values(
                    {
                        "what_matters": form.cleaned_data["what_matters"],
                        "what_matters_tags": form.cleaned_data["tags"],
                    }
                ),
                actor=request.user,
            )
            return redirect("customers:detail", customer_id=customer_id)
        except InvalidInput as error:
            form.add_error("tags" if error.field == "what_matters_tags" else None, error.message)
    file = queries.customer_file(request.user, customer_id)
    return render(
        request, "customers/detail.html", {"file": file, "form": form, "editing": True}, status=422
    )
