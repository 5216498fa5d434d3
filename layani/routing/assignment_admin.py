"""Back office for routing and assignment: rules, team settings, agent status and working
hours, the priority policy; continuity holds and counts are read-only."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from layani.routing.models import (
    AgentPresence,
    AgentStatusChange,
    AssignmentHold,
    ContinuityRecord,
    PriorityPolicy,
    RoutingRule,
    TeamAssignment,
    WorkingHours,
)


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["position", "name", "team", "set_purpose", "is_active", "updated_at"]
    list_display_links = ["name"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", "team"]
    list_select_related = ["team"]
    search_fields = ["name"]
    filter_horizontal = ["branches"]
    fieldsets = [
        (
            None,
            {"fields": ["name", "position", "is_active", "team", "set_purpose", "required_skills"]},
        ),
        (
            _("Conditions"),
            {
                "fields": [
                    "channels",
                    "purposes",
                    "services",
                    "languages",
                    "segments",
                    "tiers",
                    "tags",
                    "keywords",
                    "branches",
                ]
            },
        ),
    ]


@admin.register(TeamAssignment)
class TeamAssignmentAdmin(admin.ModelAdmin):
    list_display = ["team", "mode", "is_paused", "reassign_on_offline", "last_assigned_at"]
    list_filter = ["mode", "is_paused"]
    list_select_related = ["team"]
    readonly_fields = ["paused_at", "paused_by", "last_assigned_at"]


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    fk_name = "staff"
    extra = 0


@admin.register(AgentPresence)
class AgentPresenceAdmin(admin.ModelAdmin):
    """Status is changed by the agents and their supervisors (the audit trail is kept by
    the action); the back office sets the time zone and reads the rest."""

    list_display = ["staff", "status", "since", "updated_by", "last_assigned_at"]
    list_filter = ["status"]
    list_select_related = ["staff", "updated_by"]
    search_fields = ["staff__display_name"]
    readonly_fields = ["staff", "status", "since", "updated_by", "last_assigned_at"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ["staff", "weekday", "starts", "ends"]
    list_filter = ["weekday"]
    list_select_related = ["staff"]
    raw_id_fields = ["staff"]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AgentStatusChange)
class AgentStatusChangeAdmin(ReadOnly):
    list_display = ["occurred_at", "staff", "before", "after", "actor", "reassigned", "reason"]
    list_filter = ["after"]
    list_select_related = ["staff", "actor"]


@admin.register(AssignmentHold)
class AssignmentHoldAdmin(ReadOnly):
    list_display = ["conversation", "staff", "source", "reason", "until"]
    list_select_related = ["conversation", "staff"]


@admin.register(ContinuityRecord)
class ContinuityRecordAdmin(ReadOnly):
    list_display = ["customer", "honoured", "broken", "last_broken_at", "last_reason"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]


@admin.register(PriorityPolicy)
class PriorityPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "aging_per_minute", "max_wait_minutes", "sla_weight"]
    list_select_related = ["team"]
