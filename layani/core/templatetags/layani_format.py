from datetime import datetime
from typing import Any

from django import template
from django.conf import settings

from layani.core.formatting import format_local, format_phone, format_rupiah

register = template.Library()


@register.filter
def rupiah(amount: int | None) -> str:
    return format_rupiah(amount)


@register.filter
def in_zone(moment: datetime | None, branch_or_zone: Any = None) -> str:
    """Show a UTC moment in a branch's zone (a Branch, a zone name, or the default zone)."""
    if isinstance(branch_or_zone, str) and branch_or_zone:
        tz_name = branch_or_zone
    else:
        tz_name = getattr(branch_or_zone, "timezone", None) or settings.TIME_ZONE
    return format_local(moment, tz_name)


@register.filter
def name_in(obj: Any, language: str) -> str:
    """A configurable thing's name in the page's language, e.g. a service's id/en name."""
    return str(obj.name_in(language)) if obj is not None else ""


@register.filter
def contact_value(identity: Any) -> str:
    """An identity as people read it: phone numbers grouped, other values as stored."""
    if identity.kind in ("phone", "whatsapp"):
        return format_phone(identity.value)
    return str(identity.value)
