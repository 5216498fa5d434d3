"""How Layani shows money and time to people (pure functions, no database)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Indonesia's three zones. Asia/Pontianak is WIB too.
ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
INDONESIAN_TIMEZONES = [
    ("Asia/Jakarta", "WIB (Asia/Jakarta)"),
    ("Asia/Pontianak", "WIB (Asia/Pontianak)"),
    ("Asia/Makassar", "WITA (Asia/Makassar)"),
    ("Asia/Jayapura", "WIT (Asia/Jayapura)"),
]


def format_rupiah(amount: int | None) -> str:
    """Integer Rupiah as Indonesians write it: `Rp 1.250.000`, `-Rp 5.000`."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    grouped = f"{abs(int(amount)):,}".replace(",", ".")
    return f"{sign}Rp {grouped}"


def zone_abbreviation(tz_name: str) -> str:
    if tz_name in ZONE_ABBREVIATIONS:
        return ZONE_ABBREVIATIONS[tz_name]
    return tz_name


def local_time(moment: datetime, tz_name: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz_name))


def format_local(moment: datetime | None, tz_name: str, *, with_date: bool = True) -> str:
    """`23/11/2026 09.15 WIB`: day-first, dotted time, zone named as Indonesians do."""
    if moment is None:
        return ""
    local = local_time(moment, tz_name)
    clock = f"{local:%H.%M}"
    text = f"{local:%d/%m/%Y} {clock}" if with_date else clock
    return f"{text} {zone_abbreviation(tz_name)}"


def format_phone(e164: str) -> str:
    """`+6281234567890` as people read it: `+62 812-3456-7890`."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def duration_words(delta: timedelta, *, days: bool = True) -> str:
    """`2 d 3 h`, `1 h 20 min`, `35 min` (never negative); with `days=False` in hours only
    (`37 h 0 min`: hours of working time are not days on the calendar)."""
    minutes = max(0, int(delta.total_seconds() // 60))
    whole_days, rest = divmod(minutes, 60 * 24) if days else (0, minutes)
    hours, minutes = divmod(rest, 60)
    if whole_days:
        return _("%(days)s d %(hours)s h") % {"days": whole_days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    # A plural form: the branch counter page shows the same words with ngettext, and one
    # catalogue entry cannot serve both a plain and a plural lookup.
    return ngettext("%(minutes)s min", "%(minutes)s min", minutes) % {"minutes": minutes}


def late_words(late: timedelta) -> str:
    """'35 min late'; under a minute 'just past due' (never '0 min late')."""
    if late < timedelta(minutes=1):
        return _("just past due")
    return _("%(time)s late") % {"time": duration_words(late)}
