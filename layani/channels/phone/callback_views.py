"""The public "call me back" form of a phone account (its branch's zone, Indonesian first)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from layani.channels.models import AccountKind, ChannelAccount
from layani.channels.phone.callbacks import CallbackDetails, request_callback, window_text
from layani.channels.phone.forms import CallbackForm
from layani.channels.phone.models import CallbackSource
from layani.core.errors import InvalidInput

PHONE_KINDS = (AccountKind.CTI, AccountKind.TWILIO)


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
