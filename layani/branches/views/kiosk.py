"""The kiosk: a signed-in kiosk device where visitors take a ticket, check in for a booking,
get their ticket sent, and rate their visit at the exit.

Thin handlers (STYLE rule 3): parse, authorise, call one action or query, render. The kiosk is
one page whose steps are swapped in with htmx; every step also works as a plain page.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from layani.branches.actions import (
    attach_customer_by_phone,
    check_in,
    recognise_or_record_customer,
)
from layani.branches.estimates import Estimate
from layani.branches.forms_visitor import (
    KioskAppointmentForm,
    KioskCheckInForm,
    KioskRatingForm,
    OneTimeTokens,
    SendTicketForm,
    TicketLookupForm,
    split_identifier,
)
from layani.branches.models import Branch, Service, Visit, VisitSource
from layani.branches.notifications import phone_of, send_ticket
from layani.branches.queries import (
    access_branch_by_code,
    appointment_by_reference,
    finished_visit_today,
    is_rated,
    issued_estimate,
    service_of,
    services_of,
    visit_by_token,
)
from layani.branches.queue_queries import service_day
from layani.branches.views.intake import (
    FACES,
    TEMPLATES,
    ExpiredForm,
    add_domain_error,
    made_visit,
    make_once,
    or_404,
    parse_id,
    renew_token,
    services_by_purpose,
)
from layani.core.errors import InvalidInput, LayaniError, NotFound
from layani.customers.identities import normalise_phone
from layani.customers.models import Customer
from layani.feedback.actions import record_visit_feedback
from layani.staff.permissions import Capability, require

CHECK_IN_FIELDS = {
    "phone": "identifier",
    "membership_number": "identifier",
    "priority_category": "priority_category",
    "note": "note",
    "name": "name",
}


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _error_page(request: HttpRequest, error: LayaniError) -> HttpResponse:
    return render(request, "core/error.html", {"error": error}, status=error.status)


def _masked(phone: str | None) -> str:
    return f"•••• {phone[-4:]}" if phone else ""


def kiosk_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, allowed to check visitors in, and at one of the device's own branches."""

    @wraps(view)
    def wrapper(request: HttpRequest, branch_code: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            if _is_htmx(request):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = (
                    reverse("staff:login")
                    + "?"
                    + urlencode({"next": reverse("queue:kiosk", args=[branch_code])})
                )
                return response
            return redirect_to_login(request.get_full_path())
        try:
            require(request.user, Capability.CHECK_IN)
            branch = access_branch_by_code(request.user, branch_code)
        except LayaniError as error:
            return _error_page(request, error)
        return view(request, branch, *args, **kwargs)

    return wrapper


@dataclass
class Kiosk:
    """Where the kiosk's links go, in the language this visitor chose."""

    branch: Branch
    english: bool
    urls: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, request: HttpRequest, branch: Branch) -> "Kiosk":
        kiosk = cls(branch=branch, english=request.GET.get("lang") == "en")
        for name in ("kiosk", "kiosk_take", "kiosk_appointment", "kiosk_send", "kiosk_rate"):
            kiosk.urls[name] = kiosk.url(name)
        for step in ("appointment", "rate"):
            kiosk.urls[step] = kiosk.step(step)
        return kiosk

    def url(self, name: str, **params: Any) -> str:
        if self.english:
            params["lang"] = "en"
        query = urlencode(params)
        return reverse(f"queue:{name}", args=[self.branch.code]) + (f"?{query}" if query else "")

    def step(self, step: str, **params: Any) -> str:
        return self.url("kiosk", step=step, **params)

    @property
    def home(self) -> str:
        """The start, in this visitor's language (their "Back" and "Done")."""
        return self.url("kiosk")

    @property
    def start(self) -> str:
        """The start for the next visitor, in Indonesian (where the idle kiosk returns)."""
        return reverse("queue:kiosk", args=[self.branch.code])

    @property
    def switch_language(self) -> str:
        base = reverse("queue:kiosk", args=[self.branch.code])
        return base + ("?lang=id" if self.english else "?lang=en")


def _kiosk_render(
    request: HttpRequest,
    kiosk: Kiosk,
    screen: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    """The step alone for an htmx swap, or the whole kiosk page around it."""
    context = {"kiosk": kiosk, "branch": kiosk.branch, "faces": FACES, **context}
    template = f"{TEMPLATES}kiosk/{screen}.html"
    if _is_htmx(request):
        return render(request, template, context, status=status)
    return render(
        request, f"{TEMPLATES}kiosk/page.html", {**context, "screen": template}, status=status
    )


def _purpose_screen(request: HttpRequest, kiosk: Kiosk) -> HttpResponse:
    groups = services_by_purpose(kiosk.branch)
    for group in groups:
        group["url"] = kiosk.step("services", purpose=group["purpose"].value)
    return _kiosk_render(request, kiosk, "purpose", {"groups": groups})


def _details_screen(
    request: HttpRequest, kiosk: Kiosk, form: KioskCheckInForm, service: Service, status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "service": service,
        "back_url": kiosk.step("services", purpose=service.purpose),
    }
    return _kiosk_render(request, kiosk, "details", context, status=status)


def _ticket_screen(
    request: HttpRequest,
    kiosk: Kiosk,
    visit: Visit,
    estimate: Estimate | None,
    *,
    send_form: SendTicketForm | None = None,
    sent_to: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "visit": visit,
        "estimate": estimate,
        "known_phone": _masked(phone_of(visit)),
        "send_form": send_form or SendTicketForm(initial={"visit": visit.public_token}),
        "sent_to": sent_to,
        "print_url": reverse("queue:ticket", args=[visit.public_token]),
    }
    return _kiosk_render(request, kiosk, "ticket", context, status=status)


@require_GET
@kiosk_view
def kiosk(request: HttpRequest, branch: Branch) -> HttpResponse:
    """Step by step: purpose, service, details; or a booking code; or a rating."""
    kiosk = Kiosk.of(request, branch)
    step = request.GET.get("step", "purpose")
    tokens = OneTimeTokens(request)
    if step == "services":
        group = next(
            (g for g in services_by_purpose(branch) if g["purpose"] == request.GET.get("purpose")),
            None,
        )
        if group is not None:
            links = [(s, kiosk.step("details", service=s.pk)) for s in group["services"]]
            return _kiosk_render(request, kiosk, "services", {"group": group, "services": links})
    elif step == "details":
        service = service_of(branch, parse_id(request.GET.get("service")))
        if service is not None:
            form = KioskCheckInForm(
                initial={"form_token": tokens.issue(), "service": service.pk},
                services=services_of(branch),
            )
            return _details_screen(request, kiosk, form, service)
    elif step == "appointment":
        booking = KioskAppointmentForm(initial={"form_token": tokens.issue()})
        return _kiosk_render(request, kiosk, "appointment", {"form": booking})
    elif step == "rate":
        return _kiosk_rate_lookup(request, kiosk)
    return _purpose_screen(request, kiosk)


def _recognise(identifier: str, name: str, purpose: str, actor: Any) -> Customer | None:
    """Who is this: by phone, else by member number; a member number of digits only that
    looks like a phone number is tried as a member number when it is no valid phone."""
    phone, member = split_identifier(identifier)
    try:
        return recognise_or_record_customer(
            phone=phone, membership_number=member, name=name, purpose=purpose, actor=actor
        )
    except InvalidInput as error:
        if error.code != "invalid_phone":
            raise
        try:
            return recognise_or_record_customer(
                membership_number=phone, purpose=purpose, actor=actor
            )
        except InvalidInput:
            raise error from None


@require_POST
@kiosk_view
def kiosk_take_ticket(request: HttpRequest, branch: Branch) -> HttpResponse:
    kiosk = Kiosk.of(request, branch)
    form = KioskCheckInForm(request.POST, services=services_of(branch))
    if not form.is_valid():
        service = service_of(branch, parse_id(request.POST.get("service")))
        if service is None:
            return _purpose_screen(request, kiosk)
        return _details_screen(request, kiosk, form, service, status=422)
    data = form.cleaned_data
    service = data["service"]

    def issue() -> str:
        customer = _recognise(data["identifier"], data["name"], service.purpose, request.user)
        visit = check_in(
            branch=branch,
            service=service,
            customer=customer,
            actor=request.user,
            note=data["note"],
            source=VisitSource.KIOSK,
            priority_category=data["priority_category"] or "",
        ).visit
        return f"visit:{visit.public_token}"

    try:
        visit = made_visit(make_once(request, branch, data["form_token"], issue))
    except LayaniError as error:
        add_domain_error(form, error, CHECK_IN_FIELDS)
        if isinstance(error, ExpiredForm):
            renew_token(form, OneTimeTokens(request))
        return _details_screen(request, kiosk, form, service, status=error.status)
    return _ticket_screen(request, kiosk, visit, issued_estimate(visit))


@require_POST
@kiosk_view
def kiosk_appointment(request: HttpRequest, branch: Branch) -> HttpResponse:
    """The "I have an appointment" entry: the booking code checks the visitor in."""
    kiosk = Kiosk.of(request, branch)
    form = KioskAppointmentForm(request.POST)
    if not form.is_valid():
        return _kiosk_render(request, kiosk, "appointment", {"form": form}, status=422)

    def arrive() -> str:
        try:
            appointment = appointment_by_reference(branch, form.cleaned_data["reference"])
        except NotFound:
            raise InvalidInput(
                _("We cannot find this booking code at this branch. Please check it."),
                code="unknown_appointment",
                field="reference",
            ) from None
        visit = check_in(
            branch=branch,
            service=appointment.service,
            customer=appointment.customer,
            actor=request.user,
            source=VisitSource.APPOINTMENT,
            appointment=appointment,
        ).visit
        return f"visit:{visit.public_token}"

    try:
        visit = made_visit(make_once(request, branch, form.cleaned_data["form_token"], arrive))
    except LayaniError as error:
        add_domain_error(form, error, {"appointment": "reference"})
        renew_token(form, OneTimeTokens(request))
        return _kiosk_render(request, kiosk, "appointment", {"form": form}, status=error.status)
    return _ticket_screen(request, kiosk, visit, issued_estimate(visit))


@require_POST
@kiosk_view
def kiosk_send_ticket(request: HttpRequest, branch: Branch) -> HttpResponse:
    """Send the ticket just issued here by WhatsApp or SMS."""
    kiosk = Kiosk.of(request, branch)
    form = SendTicketForm(request.POST)
    token = request.POST.get("visit", "")
    if not OneTimeTokens(request).made_here(f"visit:{token}"):
        raise Http404
    visit = or_404(visit_by_token, token)
    if visit.branch_id != branch.pk:
        raise Http404
    sent_to = ""
    if form.is_valid():
        try:
            raw = form.cleaned_data["phone"]
            recipient = normalise_phone(raw) if raw.strip() else (phone_of(visit) or "")
            if not recipient:
                raise InvalidInput(
                    _("Type your phone number first."), code="required", field="phone"
                )
            if raw.strip():
                visit = attach_customer_by_phone(visit, phone=recipient, actor=request.user)
            send_ticket(visit, channel=form.cleaned_data["channel"], recipient=recipient)
            sent_to = _masked(recipient)
        except LayaniError as error:
            add_domain_error(form, error, {})
    status = 200 if sent_to else 422
    if _is_htmx(request):
        context = {
            "kiosk": kiosk,
            "visit": visit,
            "send_form": form,
            "sent_to": sent_to,
            "known_phone": _masked(phone_of(visit)),
        }
        return render(request, f"{TEMPLATES}kiosk/_send.html", context, status=status)
    return _ticket_screen(
        request,
        kiosk,
        visit,
        issued_estimate(visit),
        send_form=form,
        sent_to=sent_to,
        status=status,
    )


def _kiosk_rate_lookup(request: HttpRequest, kiosk: Kiosk) -> HttpResponse:
    """Rating at the exit: the visitor types today's ticket number."""
    if "ticket_number" not in request.GET:
        return _kiosk_render(request, kiosk, "rate_lookup", {"form": TicketLookupForm()})
    form = TicketLookupForm(request.GET)
    if form.is_valid():
        visit = finished_visit_today(kiosk.branch, form.cleaned_data["ticket_number"])
        if visit is None:
            form.add_error(
                "ticket_number",
                _("We cannot find a finished visit with this ticket number today."),
            )
        elif is_rated(visit):
            return _kiosk_render(request, kiosk, "rate_done", {"already": True})
        else:
            rating = KioskRatingForm(initial={"visit": visit.public_token})
            return _kiosk_render(request, kiosk, "rate", {"form": rating, "visit": visit})
    return _kiosk_render(request, kiosk, "rate_lookup", {"form": form}, status=422)


@require_POST
@kiosk_view
def kiosk_rate(request: HttpRequest, branch: Branch) -> HttpResponse:
    kiosk = Kiosk.of(request, branch)
    form = KioskRatingForm(request.POST)
    visit = or_404(visit_by_token, request.POST.get("visit", ""))
    if visit.branch_id != branch.pk or visit.service_day != service_day(branch):
        raise Http404
    if form.is_valid():
        try:
            record_visit_feedback(
                visit,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                channel="kiosk",
                actor=request.user,
            )
            return _kiosk_render(request, kiosk, "rate_done", {"already": False})
        except LayaniError as error:
            if error.code == "already_rated":
                return _kiosk_render(request, kiosk, "rate_done", {"already": True})
            add_domain_error(form, error, {})
    return _kiosk_render(request, kiosk, "rate", {"form": form, "visit": visit}, status=422)
