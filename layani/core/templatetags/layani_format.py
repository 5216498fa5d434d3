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


_CHOICE_LABELS: dict[tuple[type, str], dict[Any, Any]] = {}


@register.filter
def label_of(obj: Any, field_name: str) -> Any:
    """`{{ event|label_of:"kind" }}`: like `get_kind_display`, without rebuilding the choices.

    Django's `get_FOO_display` builds a dict of every choice on each call; in a timeline of
    30 rows that is most of the page's render time. The cached labels are lazy; the one
    returned is translated here, while the page renders, so it is in the page's language
    (a lazy string costs the template a dozen calls more wherever it is shown).
    """
    if obj is None:
        return ""
    key = (type(obj), field_name)
    labels = _CHOICE_LABELS.get(key)
    if labels is None:
        labels = dict(obj._meta.get_field(field_name).flatchoices)
        _CHOICE_LABELS[key] = labels
    value = getattr(obj, field_name)
    label = labels.get(value)
    return value if label is None else str(label)
