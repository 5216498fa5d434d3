from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from layani.channels.configuration import problems
from layani.channels.models import ChannelAccount, InboundRecord, InboundStatus
from layani.channels.processing import reprocess


class ChannelAccountForm(forms.ModelForm):
    class Meta:
        model = ChannelAccount
        fields = ("kind", "name", "key", "is_active", "settings", "secrets", "team", "branch")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "kind" in cleaned and "settings" in cleaned and "secrets" in cleaned:
            for field, message in problems(
                cleaned["kind"], cleaned["settings"], cleaned["secrets"]
            ):
                self.add_error(field, message)
        return cleaned


@admin.register(ChannelAccount)
class ChannelAccountAdmin(admin.ModelAdmin):
    form = ChannelAccountForm
    list_display = ("name", "kind", "key", "is_active", "team", "branch")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "key")
    readonly_fields = ("webhook_address", "created_at")

    @admin.display(description=_("webhook address (give it to the provider)"))
    def webhook_address(self, account: ChannelAccount) -> str:
        if account.pk is None:
            return _("shown once the account is saved")
        return f"/channels/{account.kind}/{account.key}/"


@admin.register(InboundRecord)
class InboundRecordAdmin(admin.ModelAdmin):
    """What providers sent: admins see what could not be processed, and why, and send it
    through again after a fix."""

    list_display = ("received_at", "account", "status", "attempts", "duplicates", "short_reason")
    list_filter = ("status", "account__kind", "account")
    search_fields = ("idempotency_key", "reason")
    readonly_fields = (
        "account",
        "idempotency_key",
        "received_at",
        "headers",
        "body_text",
        "status",
        "attempts",
        "duplicates",
        "reason",
        "processed_at",
    )
    exclude = ("body",)
    actions = ("reprocess_selected",)
    date_hierarchy = "received_at"
    list_select_related = ("account",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("reason"))
    def short_reason(self, record: InboundRecord) -> str:
        return record.reason[:120]

    @admin.display(description=_("body"))
    def body_text(self, record: InboundRecord) -> str:
        return record.body_bytes()[:20000].decode("utf-8", errors="replace")

    @admin.action(description=_("Process the selected failed records again"))
    def reprocess_selected(self, request: HttpRequest, queryset: QuerySet[InboundRecord]) -> None:
        count = reprocess(
            list(queryset.filter(status=InboundStatus.FAILED).values_list("pk", flat=True))
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d record sent through again.",
                "%(count)d records sent through again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
