from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from layani.core.errors import InvalidInput
from layani.customers import actions, queries
from layani.customers.schemas import CustomerIn, CustomerOut, CustomerPage, CustomerPatch
from layani.staff.permissions import Capability, require

router = Router(tags=["customers"])


class CustomerSearch(Schema):
    q: str = Field(default="", max_length=120, description="Phone, email, member number or name")
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    membership_number: str = Field(default="", max_length=40)
    name: str = Field(default="", max_length=120)
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=20, ge=1, le=100)


@router.get("/", response=CustomerPage, summary="Search customers")
def search_customers(request: HttpRequest, filters: Query[CustomerSearch]) -> CustomerPage:
    require(request.user, Capability.VIEW_CUSTOMERS)
    page = queries.search_customers(
        request.user,
        queries.CustomerQuery(
            q=filters.q,
            phone=filters.phone,
            email=filters.email,
            membership_number=filters.membership_number,
            name=filters.name,
        ),
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return CustomerPage(items=page.items, next_cursor=page.next_cursor)  # type: ignore[arg-type]


@router.post("/", response={201: CustomerOut}, summary="Create a customer")
def create_customer(request: HttpRequest, payload: CustomerIn) -> Status:
    require(request.user, Capability.EDIT_CUSTOMERS)
    details = actions.CustomerDetails.from_values(payload.model_dump())
    customer = actions.create_customer(details, actor=request.user)
    return Status(201, queries.access_customer(request.user, customer.pk))


@router.get("/{customer_id}", response=CustomerOut, summary="Read a customer")
def read_customer(request: HttpRequest, customer_id: int):
    require(request.user, Capability.VIEW_CUSTOMERS)
    return queries.access_customer(request.user, customer_id)


@router.patch("/{customer_id}", response=CustomerOut, summary="Update a customer")
def update_customer(request: HttpRequest, customer_id: int, payload: CustomerPatch):
    require(request.user, Capability.EDIT_CUSTOMERS)
    customer = queries.access_customer(request.user, customer_id)
    values = payload.model_dump(exclude_unset=True)
    if not values:
        raise InvalidInput(_("Nothing to change."), code="empty_update")
    actions.update_customer(
        customer, actions.CustomerDetails.from_values(values), actor=request.user
    )
    return queries.access_customer(request.user, customer_id)
