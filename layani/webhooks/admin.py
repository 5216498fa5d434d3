from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from layani.core.errors import LayaniError
from layani.webhooks import actions as webhook_actions
from layani.webhooks.models import WebhookDelivery, WebhookEndpoint

EDITABLE = ["name", "url", "events", "is_active", "failure_limit"]
_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "name": webhook_actions.clean_name,
    "url": webhook_actions.clean_url,
    "events": webhook_actions.clean_events,
    "failure_limit": webhook_actions.clean_failure_limit,
}


class WebhookEndpointForm(forms.ModelForm):
    """Checks input with the same rules as the API, so the admin shows field errors."""

    class Meta:
        model = WebhookEndpoint
        fields = EDITABLE

    def clean(self):
        cleaned = super().clean() or {}
        for field, cleaner in _CLEANERS.items():
            if field in cleaned and field not in self.errors:
                try:
                    cleaned[field] = cleaner(cleaned[field])
                except LayaniError as error:
                    self.add_error(field, error.message)
        return cleaned


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Saves go through webhooks.actions; the signing secret is shown once, after saving."""

    form = WebhookEndpointForm
    list_display = [
        "name",
        "url",
        "is_active",
        "consecutive_failures",
        "failure_limit",
        "last_success_at",
        "last_failure_at",
        "disabled_at",
    ]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]
    readonly_fields = [
        "consecutive_failures",
        "last_success_at",
        "last_failure_at",
        "disabled_at",
        "disabled_reason",
        "created_by",
        "created_at",
        "updated_at",
        "secret_rotated_at",
    ]
    actions = ["rotate_secrets", "send_pings"]

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in EDITABLE}
        if change:
            current = WebhookEndpoint.objects.get(pk=obj.pk)
            changed = {name: values[name] for name in form.changed_data if name in values}
            webhook_actions.update_endpoint(current, **changed, actor=request.user)
            return
        is_active = values.pop("is_active")
        issued = webhook_actions.create_endpoint(**values, actor=request.user)
        if not is_active:
            webhook_actions.update_endpoint(issued.endpoint, is_active=False, actor=request.user)
        obj.pk = issued.endpoint.pk
        self._show_secret(request, issued)

    def _show_secret(self, request: HttpRequest, issued: webhook_actions.IssuedSecret) -> None:
        self.message_user(
            request,
            _("Signing secret of “%(name)s”, shown only this once: %(secret)s")
            % {"name": issued.endpoint.name, "secret": issued.secret},
            messages.WARNING,
        )

    @admin.action(description=_("Rotate the signing secret"))
    def rotate_secrets(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            self._show_secret(request, webhook_actions.rotate_secret(endpoint, actor=request.user))

    @admin.action(description=_("Send a ping event"))
    def send_pings(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        sent = 0
        for endpoint in queryset:
            try:
                webhook_actions.send_ping(endpoint, actor=request.user)
                sent += 1
            except LayaniError as error:
                self.message_user(request, f"{endpoint}: {error.message}", messages.ERROR)
        if sent:
            self.message_user(
                request,
                ngettext("%(count)d ping queued.", "%(count)d pings queued.", sent)
                % {"count": sent},
            )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log is written by the worker; the back office reads it and redelivers."""

    list_display = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    ]
    list_filter = ["status", "event", "endpoint"]
    search_fields = ["=event_id"]
    list_select_related = ["endpoint"]
    ordering = ["-id"]
    show_full_result_count = False
    actions = ["redeliver_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Redeliver"))
    def redeliver_selected(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        queued = 0
        for delivery in queryset.select_related("endpoint"):
            try:
                webhook_actions.redeliver(delivery, actor=request.user)
                queued += 1
            except LayaniError as error:
                self.message_user(request, f"{delivery}: {error.message}", messages.ERROR)
        if queued:
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery queued again.", "%(count)d deliveries queued again.", queued
                )
                % {"count": queued},
            )
