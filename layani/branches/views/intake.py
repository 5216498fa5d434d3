"""Taking a visitor's form in, shared by the kiosk and the public visitor pages.

A form that issues a ticket or books a slot makes its thing once per one-time form token; a
domain error is shown on the field it concerns; the choices a form offers (services grouped
by purpose, the rating faces) look the same on the kiosk and on a phone.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar, cast

from django import forms
from django.db import transaction
from django.http import Http404, HttpRequest, QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from layani.branches.forms_visitor import OneTimeTokens
from layani.branches.models import Branch, Service, Visit
from layani.branches.queries import lock_branch_for_intake, services_of, visit_by_token
from layani.core.choices import Purpose
from layani.core.errors import LayaniError, NotFound

TEMPLATES = "branches/visitor/"

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

P = ParamSpec("P")
T = TypeVar("T")


def or_404(find: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a lookup; its `NotFound` shows Django's 404 page, as `get_object_or_404` would."""
    try:
        return find(*args, **kwargs)
    except NotFound as error:
        raise Http404(error.message) from error


def parse_id(value: str | None) -> int:
    """A submitted id as a number; 0 (matching nothing) when it is not one."""
    try:
        return int(value or "")
    except ValueError:
        return 0


def add_domain_error(form: forms.Form, error: LayaniError, fields: dict[str, str]) -> None:
    """Show a domain error on the form field it concerns, or above the form."""
    target = fields.get(error.field or "", error.field)
    form.add_error(target if target in form.fields else None, error.message)


def renew_token(form: forms.Form, tokens: OneTimeTokens) -> None:
    """Give a re-shown form a fresh one-time token, keeping everything the visitor typed."""
    data = cast(QueryDict, form.data).copy()
    data["form_token"] = tokens.issue()
    form.data = data


class ExpiredForm(LayaniError):
    status = 409
    default_code = "form_expired"


def make_once(request: HttpRequest, branch: Branch, token: str, make: Callable[[], str]) -> str:
    """Run `make` once per one-time form token and return what it made ("visit:<token>" or
    "appointment:<code>"); a repeat of the token returns the first result, makes nothing."""
    tokens = OneTimeTokens(request)
    with transaction.atomic():
        lock_branch_for_intake(branch)
        claim = tokens.claim(token)
        if claim is None:
            raise ExpiredForm(
                _("This form has expired. Please check your details and tap the button again.")
            )
        if claim.made:
            return claim.made
        made = make()
        tokens.record(token, made)
        return made


def made_visit(made: str) -> Visit:
    """The visit a form made, from what `make_once` returned."""
    return or_404(visit_by_token, made.removeprefix("visit:"))


def services_by_purpose(branch: Branch) -> list[dict[str, Any]]:
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
