"""The equity report page: a table per grouping, flagged groups highlighted."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from layani.analytics.equity import GROUPINGS, EquityRow, equity_report, flag_labels
from layani.core.errors import InvalidInput, LayaniError

DEFAULT_DAYS = 30
PAGE_TIMEZONE = ZoneInfo("Asia/Jakarta")


def _day(raw: str | None, default: datetime, field: str) -> datetime:
    if not raw:
        return default
    day = parse_date(raw) if len(raw) == 10 else None
    if day is None:
        raise InvalidInput(_("Give a date as YYYY-MM-DD."), code="invalid", field=field)
    return datetime.combine(day, time.min, tzinfo=PAGE_TIMEZONE)


def _minutes(row: EquityRow) -> dict[str, object]:
    """The row with its durations in minutes, as the page shows them."""

    def minutes(seconds: float | None) -> float | None:
        return None if seconds is None else seconds / 60.0

    return {
        "row": row,
        "first_response_median": minutes(row.first_response_median_seconds),
        "first_response_p90": minutes(row.first_response_p90_seconds),
        "wait_median": minutes(row.wait_median_seconds),
        "wait_p90": minutes(row.wait_p90_seconds),
    }


@require_GET
@login_required
def equity_page(request: HttpRequest) -> HttpResponse:
    today = datetime.combine(timezone.localdate(timezone=PAGE_TIMEZONE), time.min, PAGE_TIMEZONE)
    try:
        # The page asks for the last day shown; the report's period ends the day after.
        end = _day(request.GET.get("end"), today, "end") + timedelta(days=1)
        start = _day(request.GET.get("start"), end - timedelta(days=DEFAULT_DAYS), "start")
        reports = [equity_report(request.user, start=start, end=end, by=by) for by in GROUPINGS]
    except LayaniError as error:
        return render(request, "core/error.html", {"error": error}, status=error.status)
    tables = [
        {
            "report": report,
            "overall": _minutes(report.overall),
            "rows": [{**_minutes(row), "flags": flag_labels(row.flags)} for row in report.rows],
        }
        for report in reports
    ]
    return render(
        request,
        "analytics/equity.html",
        {
            "tables": tables,
            "start": start,
            "end": end,
            "last_day": end - timedelta(days=1),
        },
    )
