"""Pages for visitors: the kiosk, remote join, live status, booking, printed ticket, feedback.

Thin handlers (STYLE rule 3): parse, authorise, call one action or query, render. The kiosk is
one page whose steps are swapped in with htmx; every step also works as a plain page.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import wraps
from typing import Any, cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from layani.branches.actions import (
    book_appointment,
    check_in,
    policy_of,
    recognise_or_record_customer,
    slots_on,
)
from layani.branches.estimates import Estimate, give_estimate
from layani.branches.forms_visitor import (
    BookingForm,
    JoinForm,
    KioskAppointmentForm,
    KioskCheckInForm,
    KioskRatingForm,
    OneTimeTokens,
    RatingForm,
    SendTicketForm,
    TicketLookupForm,
    split_identifier,
)
from layani.branches.models import (
    Appointment,
    Branch,
    Service,
    Visit,
    VisitSource,
    VisitStatus,
    WaitEstimate,
)
from layani.branches.notifications import phone_of, public_url, send_ticket, visit_status_url
from layani.branches.queries import access_branch, services_of
from layani.branches.queue_queries import service_day, visitor_view
from layani.core.choices import Purpose
from layani.core.errors import InvalidInput, LayaniError, NotFound
from layani.customers.identities import normalise_phone
from layani.customers.models import Customer, IdentityKind
from layani.feedback.actions import record_visit_feedback
from layani.feedback.models import SurveyResponse
from layani.staff.permissions import Capability, require

TEMPLATES = "branches/visitor/"
ESTIMATE_EVERY = timedelta(minutes=5)
BOOKING_DAYS = 14
ACTIVE = [VisitStatus.WAITING, VisitStatus.CALLED, VisitStatus.SERVING]
TICKET_WIDTHS = {"58": "58mm", "80": "80mm"}

PURPOSE_HINTS = {
    Purpose.ROUTINE: gettext_lazy("Pay, update your data, order, ask about a product"),
    Purpose.COMPLAINT: gettext_lazy("Something went wrong and you want it put right"),
    Purpose.SPECIAL_REQUEST: gettext_lazy("A custom product, an agreement or an exception"),
    Purpose.PROSPECT: gettext_lazy("Get to know us, open an account or become a member"),
}


@dataclass(frozen=True)
class Face:
    value: int
    label: Any
    mouth: str
    colour: str


FACES = [
    Face(1, gettext_lazy("Very bad"), "M20 47 Q32 33 44 47", "#e2574c"),
    Face(2, gettext_lazy("Bad"), "M21 45 Q32 38 43 45", "#f0883e"),
    Face(3, gettext_lazy("Okay"), "M21 43 L43 43", "#f2c94c"),
    Face(4, gettext_lazy("Good"), "M21 40 Q32 49 43 40", "#9ccc65"),
    Face(5, gettext_lazy("Very good"), "M19 38 Q32 56 45 38", "#2e9d5b"),
]


# --- Shared pieces --------------------------------------------------------------------------


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _error_page(request: HttpRequest, error: LayaniError) -> HttpResponse:
    return render(request, "core/error.html", {"error": error}, status=error.status)


def _add_error(form: forms.Form, error: LayaniError, fields: dict[str, str]) -> None:
    """Show a domain error on the form field it concerns, or above the form."""
    target = fields.get(error.field or "", error.field)
    form.add_error(target if target in form.fields else None, error.message)


def _renew_token(form: forms.Form, tokens: OneTimeTokens) -> None:
    """Give a re-shown form a fresh one-time token, keeping everything the visitor typed."""
    data = cast(QueryDict, form.data).copy()
    data["form_token"] = tokens.issue()
    form.data = data


def qr_svg(text: str, *, label: str) -> SafeString:
    """An inline SVG QR code (scales with its container through CSS)."""
    import segno  # only the QR pages need it

    code = segno.make(text, error="m")
    svg = code.svg_inline(scale=1, border=2, omitsize=True, svgclass="qr", dark="#000")
    return mark_safe(
        f'<figure class="qr-figure" role="img" aria-label="{escape(label)}">{svg}</figure>'
    )


def _public_branch(branch_code: str) -> Branch:
    return get_object_or_404(Branch, code=branch_code, is_active=True)


def _visit_by_token(public_token: str) -> Visit:
    return get_object_or_404(
        Visit.objects.select_related("branch", "service", "counter"), public_token=public_token
    )


def _serialise_intake(branch: Branch) -> None:
    """Take the branch row's lock: one ticket or booking form of this branch at a time, so a
    double tap or a double POST of one form token waits for the first and then sees it."""
    list(Branch.objects.select_for_update().filter(pk=branch.pk).values_list("pk", flat=True))


class _ExpiredForm(LayaniError):
    status = 409
    default_code = "form_expired"


def _once(request: HttpRequest, branch: Branch, token: str, make: Callable[[], str]) -> str:
    """Run `make` once per one-time form token and return what it made ("visit:<token>" or
    "appointment:<code>"); a repeat of the token returns the first result, makes nothing."""
    tokens = OneTimeTokens(request)
    with transaction.atomic():
        _serialise_intake(branch)
        claim = tokens.claim(token)
        if claim is None:
            raise _ExpiredForm(
                _("This form has expired. Please check your details and tap the button again.")
            )
        if claim.made:
            return claim.made
        made = make()
        tokens.record(token, made)
        return made


def _made_visit(made: str) -> Visit:
    return _visit_by_token(made.removeprefix("visit:"))


def _issued_estimate(visit: Visit) -> Estimate | None:
    """What the visitor was told when the ticket was issued."""
    first = WaitEstimate.objects.filter(visit=visit).order_by("given_at", "id").first()
    if first is None:
        return None
    return Estimate(position=first.position, seconds=first.estimated_seconds, counters=0)


def _services_by_purpose(branch: Branch) -> list[dict[str, Any]]:
    """The branch's active services grouped under the four purposes (empty purposes left out)."""
    grouped: dict[str, list[Service]] = {}
    for service in services_of(branch):
        grouped.setdefault(service.purpose, []).append(service)
    return [
        {
            "purpose": purpose,
            "label": purpose.label,
            "hint": PURPOSE_HINTS[purpose],
            "services": grouped[purpose],
        }
        for purpose in Purpose
        if grouped.get(purpose)
    ]


def _today(branch: Branch) -> date:
    """Today in the branch's zone (`service_day` is typed as object)."""
    return cast(date, service_day(branch))


def _masked(phone: str | None) -> str:
    return f"•••• {phone[-4:]}" if phone else ""


# --- Kiosk ----------------------------------------------------------------------------------


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
            found = Branch.objects.filter(code=branch_code).values_list("pk", flat=True).first()
            if found is None:
                raise NotFound(_("Branch not found."), code="branch_not_found")
            branch = access_branch(request.user, found)
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
        return self.url("kiosk")

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
    groups = _services_by_purpose(kiosk.branch)
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
            (g for g in _services_by_purpose(branch) if g["purpose"] == request.GET.get("purpose")),
            None,
        )
        if group is not None:
            links = [(s, kiosk.step("details", service=s.pk)) for s in group["services"]]
            return _kiosk_render(request, kiosk, "services", {"group": group, "services": links})
    elif step == "details":
        service = services_of(branch).filter(pk=_int(request.GET.get("service"))).first()
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


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


CHECK_IN_FIELDS = {
    "phone": "identifier",
    "membership_number": "identifier",
    "priority_category": "priority_category",
    "note": "note",
    "name": "name",
}


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
    services = services_of(branch)
    form = KioskCheckInForm(request.POST, services=services)
    if not form.is_valid():
        service = services.filter(pk=_int(request.POST.get("service"))).first()
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
        visit = _made_visit(_once(request, branch, data["form_token"], issue))
    except LayaniError as error:
        _add_error(form, error, CHECK_IN_FIELDS)
        if isinstance(error, _ExpiredForm):
            _renew_token(form, OneTimeTokens(request))
        return _details_screen(request, kiosk, form, service, status=error.status)
    return _ticket_screen(request, kiosk, visit, _issued_estimate(visit))


@require_POST
@kiosk_view
def kiosk_appointment(request: HttpRequest, branch: Branch) -> HttpResponse:
    """The "I have an appointment" entry: the booking code checks the visitor in."""
    kiosk = Kiosk.of(request, branch)
    form = KioskAppointmentForm(request.POST)
    if not form.is_valid():
        return _kiosk_render(request, kiosk, "appointment", {"form": form}, status=422)

    def arrive() -> str:
        appointment = (
            Appointment.objects.select_related("service", "customer")
            .filter(branch=branch, reference=form.cleaned_data["reference"])
            .first()
        )
        if appointment is None:
            raise InvalidInput(
                _("We cannot find this booking code at this branch. Please check it."),
                code="unknown_appointment",
                field="reference",
            )
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
        visit = _made_visit(_once(request, branch, form.cleaned_data["form_token"], arrive))
    except LayaniError as error:
        _add_error(form, error, {"appointment": "reference"})
        _renew_token(form, OneTimeTokens(request))
        return _kiosk_render(request, kiosk, "appointment", {"form": form}, status=error.status)
    return _ticket_screen(request, kiosk, visit, _issued_estimate(visit))


@require_POST
@kiosk_view
def kiosk_send_ticket(request: HttpRequest, branch: Branch) -> HttpResponse:
    """Send the ticket just issued here by WhatsApp or SMS."""
    kiosk = Kiosk.of(request, branch)
    form = SendTicketForm(request.POST)
    token = request.POST.get("visit", "")
    if not OneTimeTokens(request).made_here(f"visit:{token}"):
        raise Http404
    visit = _visit_by_token(token)
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
            send_ticket(visit, channel=form.cleaned_data["channel"], recipient=recipient)
            sent_to = _masked(recipient)
        except LayaniError as error:
            _add_error(form, error, {})
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
        _issued_estimate(visit),
        send_form=form,
        sent_to=sent_to,
        status=status,
    )


def _finished_today(branch: Branch, ticket_number: str) -> Visit | None:
    return (
        Visit.objects.select_related("branch", "service")
        .filter(
            branch=branch,
            service_day=_today(branch),
            ticket_number=ticket_number,
            status=VisitStatus.DONE,
        )
        .order_by("-finished_at")
        .first()
    )


def _kiosk_rate_lookup(request: HttpRequest, kiosk: Kiosk) -> HttpResponse:
    """Rating at the exit: the visitor types today's ticket number."""
    if "ticket_number" not in request.GET:
        return _kiosk_render(request, kiosk, "rate_lookup", {"form": TicketLookupForm()})
    form = TicketLookupForm(request.GET)
    if form.is_valid():
        visit = _finished_today(kiosk.branch, form.cleaned_data["ticket_number"])
        if visit is None:
            form.add_error(
                "ticket_number",
                _("We cannot find a finished visit with this ticket number today."),
            )
        elif SurveyResponse.objects.filter(visit=visit).exists():
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
    visit = _visit_by_token(request.POST.get("visit", ""))
    if visit.branch_id != branch.pk or visit.service_day != _today(branch):
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
            _add_error(form, error, {})
    return _kiosk_render(request, kiosk, "rate", {"form": form, "visit": visit}, status=422)


# --- Printed ticket -------------------------------------------------------------------------


@require_GET
@xframe_options_sameorigin  # the kiosk prints it from a hidden frame
def ticket(request: HttpRequest, public_token: str) -> HttpResponse:
    """The ticket for a 58 mm (default) or 80 mm thermal printer."""
    visit = _visit_by_token(public_token)
    width = request.GET.get("width", "58")
    context = {
        "visit": visit,
        "estimate": _issued_estimate(visit),
        "paper": TICKET_WIDTHS.get(width, "58mm"),
        "wide": width == "80",
        "qr": qr_svg(visit_status_url(visit), label=_("Your place in the queue")),
        "status_url": visit_status_url(visit),
        "auto_print": request.GET.get("print") == "1",
    }
    return render(request, f"{TEMPLATES}ticket.html", context)


# --- Remote join ----------------------------------------------------------------------------


def _active_visit_of_phone(branch: Branch, e164: str) -> Visit | None:
    """Today's ticket at this branch still in the queue for this phone number, if any."""
    return (
        Visit.objects.filter(
            branch=branch,
            service_day=_today(branch),
            status__in=ACTIVE,
            customer__identities__kind__in=[IdentityKind.PHONE, IdentityKind.WHATSAPP],
            customer__identities__value=e164,
        )
        .order_by("-checked_in_at")
        .first()
    )


JOIN_FIELDS = {"branch": "", "phone": "phone", "name": "name", "service": "service"}


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, branch_code: str) -> HttpResponse:
    """Join the queue from outside: choose a service, leave a phone number, follow live."""
    branch = _public_branch(branch_code)
    services = services_of(branch)
    tokens = OneTimeTokens(request)
    if request.method == "GET":
        form = JoinForm(initial={"form_token": tokens.issue()}, services=services)
        return _join_page(request, branch, form)
    form = JoinForm(request.POST, services=services)
    if not form.is_valid():
        _renew_token(form, tokens)
        return _join_page(request, branch, form, status=422)
    data = form.cleaned_data
    already = False

    def join_queue() -> str:
        nonlocal already
        phone = normalise_phone(data["phone"])
        existing = _active_visit_of_phone(branch, phone)
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
        visit = _made_visit(_once(request, branch, data["form_token"], join_queue))
    except LayaniError as error:
        _add_error(form, error, JOIN_FIELDS)
        _renew_token(form, tokens)
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
        "groups": _services_by_purpose(branch),
        "chosen": chosen,
    }
    return render(request, f"{TEMPLATES}join.html", context, status=status)


@require_GET
def join_qr(request: HttpRequest, branch_code: str) -> HttpResponse:
    """A poster for the branch door: scan to join the queue."""
    branch = _public_branch(branch_code)
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
        last = (
            WaitEstimate.objects.filter(visit=visit)
            .order_by("-given_at")
            .values_list("given_at", flat=True)
            .first()
        )
        if last is None or timezone.now() - last >= ESTIMATE_EVERY:
            estimate = give_estimate(visit, shown_on="remote")
    near_front = False
    if estimate is not None and visit.source == VisitSource.REMOTE:
        near_front = estimate.position <= policy_of(visit.branch).near_front_position
    rated = visit.status == VisitStatus.DONE and SurveyResponse.objects.filter(visit=visit).exists()
    return {
        "branch": visit.branch,
        "visit": visit,
        "estimate": estimate,
        "last_called_at": view.last_called_at,
        "near_front": near_front,
        "live": visit.status in ACTIVE,
        "rated": rated,
        "updated_at": timezone.now(),
    }


@require_GET
def visit_status(request: HttpRequest, public_token: str) -> HttpResponse:
    visit = _visit_by_token(public_token)
    context = _status_context(visit)
    context["already"] = request.GET.get("already") == "1"
    return render(request, f"{TEMPLATES}status.html", context)


@require_GET
def visit_status_fragment(request: HttpRequest, public_token: str) -> HttpResponse:
    visit = _visit_by_token(public_token)
    return render(request, f"{TEMPLATES}_status.html", _status_context(visit))


# --- Appointments ---------------------------------------------------------------------------


def _booking_days(branch: Branch) -> list[Any]:
    today = _today(branch)
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
    service = services_of(branch).filter(pk=_int(params.get("service"))).first()
    days = {day.isoformat(): day for day in _booking_days(branch)}
    return service, days.get(params.get("day") or "")


BOOKING_FIELDS = {"starts_at": "starts_at", "service": "service", "name": "name", "phone": "phone"}


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, branch_code: str) -> HttpResponse:
    """Book a slot: service, day, a free time, name and phone; then the booking code."""
    branch = _public_branch(branch_code)
    services = services_of(branch)
    tokens = OneTimeTokens(request)
    if request.method == "GET":
        service, day = _booking_choice(branch, request.GET)
        initial = {
            "form_token": tokens.issue(),
            "service": service.pk if service else None,
            "day": (day or _today(branch)).isoformat(),
        }
        form = BookingForm(initial=initial, services=services)
        return _booking_page(request, branch, form)
    form = BookingForm(request.POST, services=services)
    if not form.is_valid():
        _renew_token(form, tokens)
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
        reference = _once(request, branch, data["form_token"], book_slot)
    except LayaniError as error:
        if error.code == "slot_full":
            error.field = "starts_at"
        _add_error(form, error, BOOKING_FIELDS)
        _renew_token(form, tokens)
        return _booking_page(request, branch, form, status=error.status)
    appointment = get_object_or_404(
        Appointment.objects.select_related("service"),
        reference=reference.removeprefix("appointment:"),
    )
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
        "groups": _services_by_purpose(branch),
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
    branch = _public_branch(branch_code)
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
    visit = _visit_by_token(public_token)
    state = "form"
    if visit.status != VisitStatus.DONE:
        state = "not_finished"
    elif SurveyResponse.objects.filter(visit=visit).exists():
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
                    _add_error(form, error, {})
                    status = error.status
        else:
            status = 422
    context = {"branch": visit.branch, "visit": visit, "form": form, "state": state}
    context["faces"] = FACES
    return render(request, f"{TEMPLATES}feedback.html", context, status=status)
