"""How Layani shows money and time to people (pure functions, no database)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import phonenumbers

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
