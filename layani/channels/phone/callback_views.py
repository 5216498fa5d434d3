"""The public "call me back" form of a phone account (its branch's zone, Indonesian first)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import get_usage, is_ratelimited

from layani.channels.models import AccountKind, ChannelAccount
from layani.channels.phone.callbacks import CallbackDetails, request_callback, window_text
from layani.channels.phone.forms import CallbackForm
from layani.channels.phone.models import CallbackSource
from layani.core.errors import InvalidInput
from layani.customers.identities import normalise_phone

PHONE_KINDS = (AccountKind.CTI, AccountKind.TWILIO)

# A public form: a script must not fill the callback queue, nor have one number called over
# and over. Per sender address and per number, counted in the shared cache (Redis).
REQUESTS_PER_ADDRESS = "20/h"
REQUESTS_PER_NUMBER = "3/h"


def _number_key(phone: str) -> str:
    """One key per number however it is written (0812..., +62 812..., 62-812-...)."""
    try:
        return normalise_phone(phone, field="phone")
    except InvalidInput:
        return "".join(ch for ch in phone if ch.isdigit())


def _too_many(request: HttpRequest, account: ChannelAccount, phone: str) -> bool:
    """Every form sent counts for the address; only the requests taken count for the
    number (`_number_limited`, counted once a request is taken), so a customer who
    corrects a refused window three times is not locked out of the fourth, valid one."""
    by_address = is_ratelimited(
        request,
        group=f"callback-form:{account.pk}",
        key="ip",
        rate=REQUESTS_PER_ADDRESS,
        increment=True,
    )
    return by_address or _number_limited(request, account, phone, count=False)


def _number_limited(
    request: HttpRequest, account: ChannelAccount, phone: str, *, count: bool
) -> bool:
    """Whether the number has had its requests this hour; `count`: record one more."""
    usage = get_usage(
        request,
        group=f"callback-number:{account.pk}",
        key=lambda _group, _request: _number_key(phone),
        rate=REQUESTS_PER_NUMBER,
        increment=count,
    )
    if usage is None:  # rate limiting switched off
        return False
    return bool(usage["should_limit"] if count else usage["count"] >= usage["limit"])


@require_http_methods(["GET", "POST"])
def callback_form(request: HttpRequest, key: str) -> HttpResponse:
    account = (
        ChannelAccount.objects.select_related("branch", "team")
        .filter(kind__in=PHONE_KINDS, key=key, is_active=True)
        .first()
    )
    if account is None:
        return render(request, "phone/callback_unknown.html", status=404)
    zone = account.branch.timezone if account.branch is not None else "Asia/Jakarta"
    with timezone.override(zone):
        form = CallbackForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if _too_many(request, account, data["phone"]):
                form.add_error(
                    None,
                    _(
                        "We have received several callback requests from you or for this "
                        "number already. Please try again in an hour, or call us."
                    ),
                )
                return render(
                    request,
                    "phone/callback_form.html",
                    {"form": form, "account": account},
                    status=429,
                )
            try:
                callback = request_callback(
                    CallbackDetails(
                        phone=data["phone"],
                        name=data["name"],
                        window_start=data["window_start"],
                        window_end=data["window_end"],
                        topic=data["topic"],
                        source=CallbackSource.WEB,
                    ),
                    account=account,
                )
            except InvalidInput as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                _number_limited(request, account, data["phone"], count=True)
                return render(
                    request,
                    "phone/callback_done.html",
                    {"callback": callback, "window": window_text(callback), "account": account},
                    status=201,
                )
    status = 422 if request.method == "POST" else 200
    return render(
        request, "phone/callback_form.html", {"form": form, "account": account}, status=status
    )
