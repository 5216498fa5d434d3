"""Credentials kept encrypted in the database (channel tokens, mailbox passwords, the
signing secrets of outgoing webhooks).

A database dump or backup alone must not hand out the keys to a business's WhatsApp number
or mailbox. Values are sealed with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`)
under `LAYANI_SECRETS_KEYS`: comma-separated Fernet keys, the first seals, every one opens,
so a key is rotated by putting the new one first and running `layani reseal_secrets`.
Without that setting the key is derived from `SECRET_KEY` (HKDF-SHA256), which is then
needed to read the credentials: changing it makes them unreadable, with a clear error.
"""

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "sealed:"


def derived_key(secret_key: str) -> bytes:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"layani sealed credentials v1"
    ).derive(secret_key.encode())
    return base64.urlsafe_b64encode(key)


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    chosen = [k.strip().encode() for k in keys if k.strip()] or [derived_key(secret_key)]
    try:
        return MultiFernet([Fernet(key) for key in chosen])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "LAYANI_SECRETS_KEYS must be Fernet keys (32 url-safe base64-encoded bytes)."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(getattr(settings, "LAYANI_SECRETS_KEYS", ())), settings.SECRET_KEY)


class UnreadableSecret(ImproperlyConfigured):
    """Sealed under a key this installation no longer has."""


def seal(text: str) -> str:
    return PREFIX + fernet().encrypt(text.encode()).decode()


def unseal(value: str) -> str:
    if not value.startswith(PREFIX):
        return value  # stored before sealing existed; sealed on its next save
    try:
        return fernet().decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise UnreadableSecret(
            "Stored credentials cannot be decrypted: SECRET_KEY or LAYANI_SECRETS_KEYS changed. "
            "Put the old key back (after the new one in LAYANI_SECRETS_KEYS) and run "
            "`layani reseal_secrets`."
        ) from exc


def reseal(value: str) -> str:
    """The same secret under the current first key."""
    return seal(unseal(value))


class SealedJSONField(models.TextField):
    """A JSON object stored sealed: Python sees the dict, the database only ciphertext."""

    # What django-stubs reads as the attribute's types (a dict, not the column's text).
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return {}
        return json.loads(unseal(value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(unseal(value)) if value else {}
        return value if value is not None else {}

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return seal(json.dumps(value, sort_keys=True))

    def value_to_string(self, obj: Any) -> str:
        return json.dumps(self.value_from_object(obj))

    def formfield(
        self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any
    ) -> Any:
        # Field's own, for the label and help text (TextField's would add a text widget).
        return models.Field.formfield(self, form_class=forms.JSONField, **kwargs)


class SealedTextField(models.TextField):
    """A text stored sealed: Python sees the text, the database only ciphertext. "" stays ""
    (nothing to hide, and a blank secret must read as blank)."""

    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return unseal(value) if value else value

    def to_python(self, value: Any) -> Any:
        return unseal(value) if isinstance(value, str) and value else value

    def get_prep_value(self, value: Any) -> Any:
        return seal(value) if value else value
