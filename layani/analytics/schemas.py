"""API contracts of the reports."""

from datetime import datetime

from ninja import Field, Schema


class EquityQuery(Schema):
    start: datetime
    end: datetime
    by: str = Field(
        default="segment",
        description="segment, tier, purpose, channel, branch, tag or what_matters_tag",
    )


class EquityRowOut(Schema):
    key: str
    label: str
    policy_weight: float = Field(description="How much the priority policy favours the group")
    conversations: int
    answered: int
    first_response_median_seconds: float | None
    first_response_p90_seconds: float | None
    met: int
    breached: int
    compliance_percent: float | None
    visits: int
    called: int
    wait_median_seconds: float | None
    wait_p90_seconds: float | None
    too_few: bool = Field(description="Fewer than 20 samples: reported, never flagged")
    flagged: bool
    flags: list[str] = Field(description="waits_longer, waits_far_longer, less_compliant")


class EquityOut(Schema):
    by: str
    start: datetime
    end: datetime
    sampled: bool = Field(description="True when the most recent rows were read, not all")
    overall: EquityRowOut
    rows: list[EquityRowOut]
