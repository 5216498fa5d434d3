"""Enumerations shared by every domain: why people come, and through which channel."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    COMPLAINT = "complaint", _("Complaint")
    SPECIAL_REQUEST = "special_request", _("Special request")
    PROSPECT = "prospect", _("Not a customer yet")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SMS = "sms", _("SMS")
    TELEGRAM = "telegram", _("Telegram")
    MESSENGER = "messenger", _("Messenger")
    INSTAGRAM = "instagram", _("Instagram")
    WEBCHAT = "webchat", _("Web chat")
    IN_PERSON = "in_person", _("In person")
    CALLBACK = "callback", _("Callback")
    PORTAL = "portal", _("Portal")
    ASSISTANT = "assistant", _("Virtual assistant")


class Language(models.TextChoices):
    INDONESIAN = "id", _("Indonesian")
    ENGLISH = "en", _("English")
    JAVANESE = "jv", _("Javanese")
    SUNDANESE = "su", _("Sundanese")
    MANDARIN = "zh", _("Mandarin")


def purpose_order(field: str = "purpose") -> models.Case:
    """Order rows by purpose as people read them (routine, complaint, special request,
    prospect), not alphabetically by code."""
    return models.Case(
        *[
            models.When(**{field: value}, then=models.Value(i))
            for i, value in enumerate(Purpose.values)
        ],
        output_field=models.IntegerField(),
    )
