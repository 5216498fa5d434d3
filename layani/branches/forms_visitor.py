"""Forms of the visitor pages (kiosk, remote join, booking, feedback) and their one-time tokens.

A one-time form token is issued with each form that creates something (a ticket, a booking)
and kept in the session. The first POST that carries it claims it and records what it made;
a repeat (a double tap, a refresh) finds the claim and shows the same ticket again.
"""

import re
import secrets
import time
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from layani.branches.models import PriorityCategory, Service
from layani.core.choices import Channel

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

SESSION_KEY = "visitor_form_tokens"
KEEP_TOKENS = 30
PHONE_LIKE = re.compile(r"(\+62|62|0|8)\d{8,13}")


@dataclass(frozen=True)
class TokenClaim:
    """What a token's first POST produced: "visit:<public token>" or "appointment:<ref>"."""

    made: str | None

    @property
    def used(self) -> bool:
        return self.made is not None


class OneTimeTokens:
    """One-time form tokens held in the session.

    `claim` and `record` must run inside the transaction that creates the thing, after a
    lock that serialises the competing requests: `claim` reads the session as committed in
    the store (not this request's copy, loaded before the lock), and `record` saves the
    session at once, so the next request to get the lock sees the claim.
    """

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    def issue(self) -> str:
        token = secrets.token_urlsafe(16)
        tokens = dict(self.request.session.get(SESSION_KEY, {}))
        tokens[token] = {"at": int(time.time()), "made": None}
        newest = sorted(tokens.items(), key=lambda item: item[1]["at"])[-KEEP_TOKENS:]
        self.request.session[SESSION_KEY] = dict(newest)
        return token

    def _stored(self) -> dict[str, Any]:
        session = self.request.session
        if session.session_key is None:
            return dict(session.get(SESSION_KEY, {}))
        engine = import_module(settings.SESSION_ENGINE)
        fresh = engine.SessionStore(session_key=session.session_key)
        return dict(fresh.get(SESSION_KEY, {}))

    def claim(self, token: str) -> TokenClaim | None:
        """None for a token this session never got (expired, forged)."""
        entry = self._stored().get(token) if token else None
        if entry is None:
            return None
        return TokenClaim(made=entry.get("made"))

    def record(self, token: str, made: str) -> None:
        tokens = self._stored()
        tokens[token] = {"at": int(time.time()), "made": made}
        self.request.session[SESSION_KEY] = tokens
        self.request.session.save()

    def made_here(self, made: str) -> bool:
        """Did one of this session's forms make `made` (e.g. "visit:<token>")?"""
        return any(
            entry.get("made") == made
            for entry in self.request.session.get(SESSION_KEY, {}).values()
        )


def split_identifier(value: str) -> tuple[str, str]:
    """The kiosk's one box "phone or member number" as (phone, membership_number).

    Digits starting like an Indonesian mobile number (0..., 62..., +62..., 8...) with 9 to 15
    digits are a phone number; anything else is a member number.
    """
    text = value.strip()
    compact = re.sub(r"[\s.()-]", "", text)
    if PHONE_LIKE.fullmatch(compact):
        return compact, ""
    return "", text


# Kiosk wording for the priority categories, with a context of their own: "Disabled" alone
# is translated as a switched-off setting elsewhere in the catalogue.
PRIORITY_CHOICES = [
    (PriorityCategory.NONE.value, pgettext_lazy("priority category", "No")),
    (PriorityCategory.ELDERLY.value, pgettext_lazy("priority category", "Elderly")),
    (PriorityCategory.DISABLED.value, pgettext_lazy("priority category", "Disability")),
    (PriorityCategory.PREGNANT.value, pgettext_lazy("priority category", "Pregnant")),
]


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name_id)


class KioskCheckInForm(forms.Form):
    form_token = forms.CharField(widget=forms.HiddenInput)
    service = ServiceChoiceField(queryset=Service.objects.none(), widget=forms.HiddenInput)
    identifier = forms.CharField(
        label=_("Phone or member number"),
        required=False,
        max_length=40,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "class": "kiosk-input"}
        ),
    )
    name = forms.CharField(
        label=_("Your name"),
        required=False,
        max_length=160,
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "kiosk-input"}),
    )
    priority_category = forms.ChoiceField(
        label=_("Do you need priority service?"),
        required=False,
        initial="",
        choices=PRIORITY_CHOICES,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Tell us briefly what you need"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "kiosk-input"}),
    )

    def __init__(self, *args: Any, services: QuerySet[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]


def code_field(label: "str | StrPromise") -> forms.CharField:
    """A short code typed on the kiosk (booking code, ticket number): capitals, no autofill."""
    return forms.CharField(
        label=label,
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "class": "kiosk-input kiosk-code",
            }
        ),
    )


def normalise_code(value: object) -> str:
    return str(value).strip().upper().replace(" ", "")


class KioskAppointmentForm(forms.Form):
    form_token = forms.CharField(widget=forms.HiddenInput)
    reference = code_field(_("Booking code"))

    def clean_reference(self) -> str:
        return normalise_code(self.cleaned_data["reference"])


class TicketLookupForm(forms.Form):
    ticket_number = code_field(_("Your ticket number"))

    def clean_ticket_number(self) -> str:
        return normalise_code(self.cleaned_data["ticket_number"])


class SendTicketForm(forms.Form):
    visit = forms.CharField(widget=forms.HiddenInput, max_length=32)
    channel = forms.ChoiceField(choices=[(Channel.WHATSAPP, "WhatsApp"), (Channel.SMS, "SMS")])
    phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "class": "kiosk-input"}
        ),
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How was our service?"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        error_messages={
            "required": _("Choose a rating from 1 to 5."),
            "invalid_choice": _("Choose a rating from 1 to 5."),
        },
    )
    comment = forms.CharField(
        label=_("Anything else you want to tell us? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class KioskRatingForm(RatingForm):
    visit = forms.CharField(widget=forms.HiddenInput, max_length=32)


class JoinForm(forms.Form):
    form_token = forms.CharField(widget=forms.HiddenInput)
    service = ServiceChoiceField(
        queryset=Service.objects.none(),
        label=_("What do you need?"),
        error_messages={"required": _("Choose a service.")},
    )
    phone = forms.CharField(
        label=_("Your phone number (WhatsApp)"),
        max_length=20,
        help_text=_("We send your ticket and tell you when to come."),
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "0812 3456 7890"}
        ),
    )
    name = forms.CharField(
        label=_("Your name (optional)"),
        required=False,
        max_length=160,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def __init__(self, *args: Any, services: QuerySet[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]


class BookingForm(forms.Form):
    form_token = forms.CharField(widget=forms.HiddenInput)
    service = ServiceChoiceField(
        queryset=Service.objects.none(),
        label=_("Service"),
        error_messages={"required": _("Choose a service.")},
    )
    day = forms.DateField(label=_("Day"), error_messages={"required": _("Choose a day.")})
    starts_at = forms.DateTimeField(
        label=_("Time"),
        input_formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"],
        error_messages={"required": _("Choose a time."), "invalid": _("Choose a time.")},
    )
    name = forms.CharField(
        label=_("Your name"), max_length=160, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        label=_("Your phone number (WhatsApp)"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "0812 3456 7890"}
        ),
    )

    def __init__(self, *args: Any, services: QuerySet[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
