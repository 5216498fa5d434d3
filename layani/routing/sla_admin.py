"""Back office for SLAs: business calendars with their closed days, SLA policies; each
conversation's SLA state is read-only (the actions and the sweep write it)."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from layani.routing.models import BusinessCalendar, ClosedDay, ConversationSla, SlaPolicy


class ClosedDayInline(admin.TabularInline):
    model = ClosedDay
    extra = 1
    fields = ("date", "reason")


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "timezone",
        "branch",
        "is_default",
        "always_open",
        "use_indonesian_holidays",
        "include_joint_leave",
    ]
    list_filter = ["timezone", "is_default", "always_open"]
    list_select_related = ["branch"]
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "timezone", "branch", "is_default"]}),
        (_("Hours"), {"fields": ["always_open", "weekly_hours"]}),
        (_("Holidays"), {"fields": ["use_indonesian_holidays", "include_joint_leave"]}),
    ]
    inlines = [ClosedDayInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "order",
        "name",
        "is_active",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
        "calendar",
    ]
    list_display_links = ["name"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active", "calendar"]
    list_select_related = ["calendar"]
    search_fields = ["name"]
    filter_horizontal = ["branches"]
    fieldsets = [
        (None, {"fields": ["name", "order", "is_active"]}),
        (
            _("Conditions (empty: any)"),
            {
                "fields": [
                    "channels",
                    "purposes",
                    "priorities",
                    "customer_statuses",
                    "tiers",
                    "branches",
                ]
            },
        ),
        (
            _("Targets (minutes of business time)"),
            {
                "fields": [
                    "first_response_minutes",
                    "next_response_minutes",
                    "resolution_minutes",
                    "calendar",
                    "pause_while_pending",
                    "warn_before_minutes",
                ]
            },
        ),
        (
            _("At a breach"),
            {"fields": ["notify_supervisors", "escalate_to_team", "raise_priority"]},
        ),
    ]


@admin.register(ConversationSla)
class ConversationSlaAdmin(admin.ModelAdmin):
    list_display = [
        "conversation",
        "policy",
        "first_response_due_at",
        "next_response_due_at",
        "resolution_due_at",
        "first_response_breached_at",
        "resolution_breached_at",
        "next_response_breaches",
        "next_check_at",
    ]
    list_filter = ["policy"]
    list_select_related = ["conversation", "policy"]
    raw_id_fields = ["conversation"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
