"""Pages anyone may open without signing in: remote join (and its QR poster), live status,
the printable ticket, booking, and feedback from the visitor's link.

Thin handlers (STYLE rule 3): parse, authorise, call one action or query, render.
"""

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods

from layani.branches.actions import (
    book_appointment,
    check_in,
    policy_of,
    recognise_or_record_customer,
    slots_on,
)
from layani.branches.estimates import give_estimate
from layani.branches.forms_visitor import BookingForm, JoinForm, OneTimeTokens, RatingForm
from layani.branches.models import Branch, Service, Visit, VisitSource, VisitStatus
from layani.branches.notifications import public_url, send_ticket, visit_status_url
from layani.branches.queries import (
    IN_QUEUE,
    active_visit_of_phone,
    appointment_by_reference,
    is_rated,
    issued_estimate,
    last_estimate_given_at,
    public_branch,
    service_of,
    services_of,
    visit_by_token,
)
from layani.branches.queue_queries import service_day, visitor_view
from layani.branches.views.intake import (
    FACES,
    TEMPLATES,
    add_domain_error,
    made_visit,
    make_once,
    or_404,
    parse_id,
    renew_token,
    services_by_purpose,
)
from layani.core.errors import LayaniError
from layani.customers.identities import normalise_phone
from layani.feedback.actions import record_visit_feedback

ESTIMATE_EVERY = timedelta(minutes=5)
BOOKING_DAYS = 14
TICKET_WIDTHS = {"58": "58mm", "80": "80mm"}
JOIN_FIELDS = {"branch": "", "phone": "phone", "name": "name", "service": "service"}
BOOKING_FIELDS = {"starts_at": "starts_at", "service": "service", "name": "name", "phone": "phone"}


def qr_svg(text: str, *, label: str) -> SafeString:
    """An inline SVG QR code (scales with its container through CSS)."""
    import segno  # only the QR pages need it

    code = segno.make(text, error="m")
    svg = code.svg_inline(scale=1, border=2, omitsize=True, svgclass="qr", dark="#000")
    return mark_safe(
        f'<figure class="qr-figure" role="img" aria-label="{escape(label)}">{svg}</figure>'
    )


# --- Printed ticket -------------------------------------------------------------------------


@require_GET
@xframe_options_sameorigin  # the kiosk prints it from a hidden frame
def ticket(request: HttpRequest, public_token: str) -> HttpResponse:
    """The ticket for a 58 mm (default) or 80 mm thermal printer."""
    visit = or_404(visit_by_token, public_token)
    width = request.GET.get("width", "58")
    context = {
        "visit": visit,
        "estimate": issued_estimate(visit),
        "paper": TICKET_WIDTHS.get(width, "58mm"),
        "wide": width == "80",
        "qr": qr_svg(visit_status_url(visit), label=_("Your place in the queue")),
        "status_url": visit_status_url(visit),
        "auto_print": request.GET.get("print") == "1",
    }
    return render(request, f"{TEMPLATES}ticket.html", context)


# --- Remote join ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, branch_code: str) -> HttpResponse:
    """Join the queue from outside: choose a service, leave a phone number, follow live."""
    branch = or_404(public_branch, branch_code)
    services = services_of(branch)
    tokens = OneTimeTokens(request)
    if request.method == "GET":
        form = JoinForm(initial={"form_token": tokens.issue()}, services=services)
        return _join_page(request, branch, form)
    form = JoinForm(request.POST, services=services)
    if not form.is_valid():
        renew_token(form, tokens)
        return _join_page(request, branch, form, status=422)
    data = form.cleaned_data
    already = False

    def join_queue() -> str:
        nonlocal already
        phone = normalise_phone(data["phone"])
        existing = active_visit_of_phone(branch, phone)
        if existing is not None:
            already = True
            return f"visit:{existing.public_token}"
        customer = recognise_or_record_customer(
            phone=phone, name=data["name"], purpose=data["service"].purpose, actor=None
        )
        visit = check_in(
            branch=branch,
            service=data["service"],
            customer=customer,
            actor=None,
            source=VisitSource.REMOTE,
        ).visit
        send_ticket(visit)
        return f"visit:{visit.public_token}"

    try:
        visit = made_visit(make_once(request, branch, data["form_token"], join_queue))
    except LayaniError as error:
        add_domain_error(form, error, JOIN_FIELDS)
        renew_token(form, tokens)
        return _join_page(request, branch, form, status=error.status)
    url = reverse("queue:visit_status", args=[visit.public_token])
    return redirect(f"{url}?already=1" if already else url)


def _join_page(
    request: HttpRequest, branch: Branch, form: JoinForm, status: int = 200
) -> HttpResponse:
    chosen = str(form["service"].value() or "")
    context = {
        "branch": branch,
        "form": form,
        "groups": services_by_purpose(branch),
        "chosen": chosen,
    }
    return render(request, f"{TEMPLATES}join.html", context, status=status)


@require_GET
def join_qr(request: HttpRequest, branch_code: str) -> HttpResponse:
    """A poster for the branch door: scan to join the queue."""
    branch = or_404(public_branch, branch_code)
    url = public_url(reverse("queue:join", args=[branch.code]))
    context = {
        "branch": branch,
        "join_url": url,
        "qr": qr_svg(url, label=_("Join the queue")),
    }
    return render(request, f"{TEMPLATES}join_qr.html", context)


# --- Live status ----------------------------------------------------------------------------


def _status_context(visit: Visit) -> dict[str, Any]:
    """What the visitor's page shows; an estimate shown is recorded at most every 5 minutes."""
    view = visitor_view(visit)
    estimate = view.estimate
    if visit.status == VisitStatus.WAITING:
        last = last_estimate_given_at(visit)
        if last is None or timezone.now() - last >= ESTIMATE_EVERY:
            estimate = give_estimate(visit, shown_on="remote")
    near_front = False
    if estimate is not None and visit.source == VisitSource.REMOTE:
        near_front = estimate.position <= policy_of(visit.branch).near_front_position
    return {
        "branch": visit.branch,
        "visit": visit,
        "estimate": estimate,
        "last_called_at": view.last_called_at,
        "near_front": near_front,
        "live": visit.status in IN_QUEUE,
        "rated": visit.status == VisitStatus.DONE and is_rated(visit),
        "updated_at": timezone.now(),
    }


@require_GET
def visit_status(request: HttpRequest, public_token: str) -> HttpResponse:
    visit = or_404(visit_by_token, public_token)
    context = _status_context(visit)
    context["already"] = request.GET.get("already") == "1"
    return render(request, f"{TEMPLATES}status.html", context)


@require_GET
def visit_status_fragment(request: HttpRequest, public_token: str) -> HttpResponse:
    visit = or_404(visit_by_token, public_token)
    return render(request, f"{TEMPLATES}_status.html", _status_context(visit))


# --- Appointments ---------------------------------------------------------------------------


def _booking_days(branch: Branch) -> list[date]:
    today = service_day(branch)
    return [today + timedelta(days=n) for n in range(BOOKING_DAYS)]


def _free_slots(branch: Branch, service: Service | None, day: Any) -> list[tuple[str, str]]:
    """(value, "09.15") of every slot of `day` with a place left, in the branch's zone."""
    if service is None or day is None:
        return []
    zone = ZoneInfo(branch.timezone)
    return [
        (start.isoformat(), f"{start.astimezone(zone):%H.%M}")
        for start, places_left in slots_on(branch, service, day)
        if places_left > 0
    ]


def _booking_choice(branch: Branch, params: Any) -> tuple[Service | None, Any]:
    service = service_of(branch, parse_id(params.get("service")))
    days = {day.isoformat(): day for day in _booking_days(branch)}
    return service, days.get(params.get("day") or "")


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, branch_code: str) -> HttpResponse:
    """Book a slot: service, day, a free time, name and phone; then the booking code."""
    branch = or_404(public_branch, branch_code)
    services = services_of(branch)
    tokens = OneTimeTokens(request)
    if request.method == "GET":
        service, day = _booking_choice(branch, request.GET)
        initial = {
            "form_token": tokens.issue(),
            "service": service.pk if service else None,
            "day": (day or service_day(branch)).isoformat(),
        }
        form = BookingForm(initial=initial, services=services)
        return _booking_page(request, branch, form)
    form = BookingForm(request.POST, services=services)
    if not form.is_valid():
        renew_token(form, tokens)
        return _booking_page(request, branch, form, status=422)
    data = form.cleaned_data

    def book_slot() -> str:
        phone = normalise_phone(data["phone"])
        customer = recognise_or_record_customer(
            phone=phone, name=data["name"], purpose=data["service"].purpose, actor=None
        )
        appointment = book_appointment(
            branch=branch,
            service=data["service"],
            starts_at=data["starts_at"],
            name=data["name"],
            phone=phone,
            customer=customer,
            actor=None,
        )
        return f"appointment:{appointment.reference}"

    try:
        reference = make_once(request, branch, data["form_token"], book_slot)
    except LayaniError as error:
        if error.code == "slot_full":
            error.field = "starts_at"
        add_domain_error(form, error, BOOKING_FIELDS)
        renew_token(form, tokens)
        return _booking_page(request, branch, form, status=error.status)
    appointment = or_404(appointment_by_reference, branch, reference.removeprefix("appointment:"))
    return render(
        request, f"{TEMPLATES}booked.html", {"branch": branch, "appointment": appointment}
    )


def _booking_page(
    request: HttpRequest, branch: Branch, form: BookingForm, status: int = 200
) -> HttpResponse:
    params = {"service": form["service"].value(), "day": form["day"].value()}
    service, day = _booking_choice(branch, params)
    context = {
        "branch": branch,
        "form": form,
        "groups": services_by_purpose(branch),
        "chosen_service": str(service.pk) if service else "",
        "chosen_day": day.isoformat() if day else "",
        "chosen_slot": str(form["starts_at"].value() or ""),
        "days": _booking_days(branch),
        "slots": _free_slots(branch, service, day),
        "service": service,
        "day": day,
    }
    return render(request, f"{TEMPLATES}book.html", context, status=status)


@require_GET
def book_slots(request: HttpRequest, branch_code: str) -> HttpResponse:
    """The free times of the chosen service and day (an htmx fragment of the booking page)."""
    branch = or_404(public_branch, branch_code)
    service, day = _booking_choice(branch, request.GET)
    context = {
        "branch": branch,
        "slots": _free_slots(branch, service, day),
        "service": service,
        "day": day,
        "chosen_slot": "",
    }
    return render(request, f"{TEMPLATES}_slots.html", context)


# --- Exit feedback --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def visit_feedback(request: HttpRequest, public_token: str) -> HttpResponse:
    """Rate the service of a finished visit, once, from the link the visitor got."""
    visit = or_404(visit_by_token, public_token)
    state = "form"
    if visit.status != VisitStatus.DONE:
        state = "not_finished"
    elif is_rated(visit):
        state = "already"
    form = RatingForm(request.POST or None)
    status = 200
    if request.method == "POST" and state == "form":
        if form.is_valid():
            try:
                record_visit_feedback(
                    visit,
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                    channel="link",
                    actor=None,
                )
                state = "thanks"
            except LayaniError as error:
                if error.code == "already_rated":
                    state = "already"
                else:
                    add_domain_error(form, error, {})
                    status = error.status
        else:
            status = 422
    context = {"branch": visit.branch, "visit": visit, "form": form, "state": state}
    context["faces"] = FACES
    return render(request, f"{TEMPLATES}feedback.html", context, status=status)
