"""Normalising the ways a customer can be recognised (pure, no database)."""

import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from layani.core.errors import InvalidInput
from layani.customers.models import IdentityKind

DEFAULT_REGION = "ID"
_SPACES = re.compile(r"\s+")
_CHANNEL_ID = re.compile(r"^[A-Za-z0-9_.@:-]{1,120}$")


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """Any way Indonesians write a number (0812..., 62812..., +62 812-...) to E.164."""
    text = raw.strip()
    if text.startswith("62") and not text.startswith("+"):
        text = "+" + text
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(
            _("Not a valid phone number: %(value)s") % {"value": raw},
            code="invalid_phone",
            field=field,
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            _("Not a valid phone number: %(value)s") % {"value": raw},
            code="invalid_phone",
            field=field,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str, *, field: str = "email") -> str:
    value = raw.strip().lower()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise InvalidInput(
            _("Not a valid email address: %(value)s") % {"value": raw},
            code="invalid_email",
            field=field,
        ) from exc
    return value


def normalise_channel_id(raw: str, *, field: str) -> str:
    value = raw.strip()
    if not _CHANNEL_ID.match(value):
        raise InvalidInput(
            _("Not a valid account id: %(value)s") % {"value": raw},
            code="invalid_identity",
            field=field,
        )
    return value


def normalise_identity(kind: str, raw: str) -> str:
    """The stored form of an identity value; raises InvalidInput naming the field."""
    if kind in (IdentityKind.PHONE, IdentityKind.WHATSAPP):
        return normalise_phone(raw, field=kind)
    if kind == IdentityKind.EMAIL:
        return normalise_email(raw, field=kind)
    if kind == IdentityKind.TELEGRAM:
        return normalise_channel_id(
            raw.lstrip("@").lower() if not raw.strip().isdigit() else raw, field=kind
        )
    return normalise_channel_id(raw, field=kind)


def normalise_name(name: str) -> str:
    """Lower-case, accents folded, single spaces: the form names are searched in."""
    folded = unicodedata.normalize("NFKD", name)
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return _SPACES.sub(" ", folded).strip().lower()


def looks_like_phone(text: str) -> bool:
    digits = re.sub(r"[\s\-().+]", "", text)
    return digits.isdigit() and 8 <= len(digits) <= 15
