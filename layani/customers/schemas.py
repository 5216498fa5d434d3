from datetime import date, datetime

from ninja import Schema
from pydantic import ConfigDict, Field


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class CustomerIn(StrictSchema):
    full_name: str = Field(min_length=1, max_length=160)
    status: str = "customer"
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    whatsapp: str | None = Field(default=None, max_length=40)
    telegram: str | None = Field(default=None, max_length=120)
    messenger: str | None = Field(default=None, max_length=120)
    instagram: str | None = Field(default=None, max_length=120)
    membership_number: str | None = Field(default=None, max_length=40)
    tier: str = ""
    member_since: date | None = None
    language: str = "id"
    what_matters: str = Field(default="", max_length=4000)
    what_matters_tags: list[str] = Field(default_factory=list, max_length=20)
    preferred_staff_id: int | None = None


class CustomerPatch(StrictSchema):
    full_name: str | None = Field(default=None, min_length=1, max_length=160)
    status: str | None = None
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    whatsapp: str | None = Field(default=None, max_length=40)
    telegram: str | None = Field(default=None, max_length=120)
    messenger: str | None = Field(default=None, max_length=120)
    instagram: str | None = Field(default=None, max_length=120)
    membership_number: str | None = Field(default=None, max_length=40)
    tier: str | None = None
    member_since: date | None = None
    language: str | None = None
    what_matters: str | None = Field(default=None, max_length=4000)
    what_matters_tags: list[str] | None = Field(default=None, max_length=20)
    preferred_staff_id: int | None = None


class IdentityOut(Schema):
    kind: str
    value: str
    is_primary: bool


class StaffRef(Schema):
    id: int
    display_name: str


class CustomerOut(Schema):
    id: int
    full_name: str
    status: str
    standing: str
    membership_number: str | None
    tier: str
    member_since: date | None
    language: str
    what_matters: str
    what_matters_tags: list[str]
    what_matters_updated_at: datetime | None
    preferred_staff: StaffRef | None
    identities: list[IdentityOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_identities(obj) -> list:
        return list(obj.identities.all())


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_cursor: str | None
