"""Calls and callbacks in the API: /api/v1/calls/ and /api/v1/callbacks/."""

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from layani.channels.models import ChannelAccount
from layani.channels.phone import queries
from layani.channels.phone.callback_views import PHONE_KINDS
from layani.channels.phone.callbacks import (
    CallbackDetails,
    access_callback,
    record_attempt,
    request_callback,
)
from layani.channels.phone.documentation import document_call
from layani.channels.phone.models import CallbackAttempt, CallbackRequest
from layani.channels.phone.schemas import (
    CallbackAttemptIn,
    CallbackIn,
    CallbackOut,
    CallbackPage,
    CallNoteIn,
    CallOut,
    CallPage,
    CallQuery,
    PageQuery,
)
from layani.conversations.queries import conversations_for
from layani.core.errors import InvalidInput, PermissionDenied
from layani.core.pagination import keyset_page
from layani.staff.permissions import Capability, can

calls_router = Router(tags=["calls"])
callbacks_router = Router(tags=["callbacks"])


@calls_router.get("/", response=CallPage, summary="List the calls you may see, latest first")
def list_calls(request: HttpRequest, page: Query[CallQuery]) -> CallPage:
    if page.undocumented:
        found = queries.undocumented_calls(request.user, cursor=page.cursor, limit=page.limit)  # type: ignore[arg-type]
    else:
        found = keyset_page(
            queries.calls_for(request.user),
            fields=("started_at", "id"),
            cursor=page.cursor,
            limit=page.limit,
            descending=True,
        )
    return CallPage(items=found.items, next_cursor=found.next_cursor)  # type: ignore[arg-type]


@calls_router.get("/{call_id}", response=CallOut, summary="Read a call")
def read_call(request: HttpRequest, call_id: int):
    return queries.access_call(request.user, call_id)


@calls_router.post(
    "/{call_id}/documentation",
    response=CallOut,
    summary="Write (or correct) the call's note: why the customer called and the result",
)
def write_call_note(request: HttpRequest, call_id: int, payload: CallNoteIn):
    call = queries.access_call(request.user, call_id)
    return document_call(call, purpose=payload.purpose, result=payload.result, actor=request.user)


def _with_attempts(qs: QuerySet[CallbackRequest]) -> QuerySet[CallbackRequest]:
    return qs.prefetch_related(
        Prefetch("attempts", queryset=CallbackAttempt.objects.order_by("at", "id"))
    )


@callbacks_router.post(
    "/",
    response={201: CallbackOut},
    summary="Ask for a call back (portal, kiosk, WhatsApp flows)",
    description="The request becomes a conversation of channel `callback` in the inbox, and "
    "the customer gets a confirmation with the window by SMS.",
)
def create_callback(request: HttpRequest, payload: CallbackIn) -> Status:
    if not (
        can(request.user, Capability.WORK_CONVERSATIONS) or can(request.user, Capability.CHECK_IN)
    ):
        raise PermissionDenied(_("You are not allowed to do this."))
    account = None
    if payload.account_key:
        account = ChannelAccount.objects.filter(
            kind__in=PHONE_KINDS, key=payload.account_key, is_active=True
        ).first()
        if account is None:
            raise InvalidInput(
                _("No active phone account has this key."),
                code="unknown_account",
                field="account_key",
            )
    callback = request_callback(
        CallbackDetails(
            phone=payload.phone,
            name=payload.name,
            window_start=payload.window_start,
            window_end=payload.window_end,
            source=payload.source,
            topic=payload.topic,
        ),
        account=account,
    )
    return Status(201, _with_attempts(CallbackRequest.objects.all()).get(pk=callback.pk))


@callbacks_router.get("/", response=CallbackPage, summary="List callback requests, newest first")
def list_callbacks(request: HttpRequest, page: Query[PageQuery]) -> CallbackPage:
    visible = CallbackRequest.objects.filter(
        conversation__in=conversations_for(request.user).values("pk")
    )
    found = keyset_page(
        _with_attempts(visible),
        fields=("created_at", "id"),
        cursor=page.cursor,
        limit=page.limit,
        descending=True,
    )
    return CallbackPage(items=found.items, next_cursor=found.next_cursor)  # type: ignore[arg-type]


@callbacks_router.get("/{callback_id}", response=CallbackOut, summary="Read a callback request")
def read_callback(request: HttpRequest, callback_id: int):
    access_callback(request.user, callback_id)
    return _with_attempts(CallbackRequest.objects.all()).get(pk=callback_id)


@callbacks_router.post(
    "/{callback_id}/attempts",
    response={201: CallbackOut},
    summary="Record a call-back attempt: reached, or not reached (closes after the maximum)",
)
def add_attempt(request: HttpRequest, callback_id: int, payload: CallbackAttemptIn) -> Status:
    callback = access_callback(request.user, callback_id)
    record_attempt(callback, outcome=payload.outcome, note=payload.note, actor=request.user)
    return Status(201, _with_attempts(CallbackRequest.objects.all()).get(pk=callback_id))
