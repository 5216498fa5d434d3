"""Reports API: read-only, supervisors see their scope and admins everything."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from layani.analytics.equity import EquityRow, equity_report
from layani.analytics.schemas import EquityOut, EquityQuery

router = Router(tags=["reports"])


def _row_out(row: EquityRow) -> dict[str, Any]:
    return {**row.__dict__, "compliance_percent": row.compliance_percent, "flagged": row.flagged}


@router.get(
    "/equity",
    response=EquityOut,
    summary="Waits and SLA compliance per group, flagging groups served worse than the policy "
    "intends (supervisors, admins)",
)
def equity(request: HttpRequest, query: Query[EquityQuery]) -> dict[str, Any]:
    report = equity_report(request.user, start=query.start, end=query.end, by=query.by)
    return {
        "by": report.by,
        "start": report.start,
        "end": report.end,
        "sampled": report.sampled,
        "overall": _row_out(report.overall),
        "rows": [_row_out(row) for row in report.rows],
    }
