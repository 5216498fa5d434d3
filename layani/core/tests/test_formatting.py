from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from layani.core.formatting import format_local, format_phone, format_rupiah


def test_rupiah_uses_dots_between_thousands():
    assert format_rupiah(1250000) == "Rp 1.250.000"
    assert format_rupiah(0) == "Rp 0"
    assert format_rupiah(-5000) == "-Rp 5.000"
    assert format_rupiah(None) == ""


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_rupiah_reads_back_to_the_same_amount(amount):
    text = format_rupiah(amount)
    digits = text.replace("Rp ", "").replace(".", "")
    assert int(digits) == amount


def test_times_show_in_the_branch_zone_with_its_indonesian_name():
    moment = datetime(2026, 11, 23, 2, 15, tzinfo=UTC)
    assert format_local(moment, "Asia/Jakarta") == "23/11/2026 09.15 WIB"
    assert format_local(moment, "Asia/Makassar") == "23/11/2026 10.15 WITA"
    assert format_local(moment, "Asia/Jayapura") == "23/11/2026 11.15 WIT"


def test_late_evening_utc_is_the_next_day_in_indonesia():
    moment = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    assert format_local(moment, "Asia/Jakarta").startswith("23/11/2026 03.00")


def test_phone_numbers_are_grouped_for_reading():
    assert format_phone("+6281234567890") == "+62 812-3456-7890"
    assert format_phone("not a number") == "not a number"
