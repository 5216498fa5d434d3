from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from layani.branches.models import (
    Appointment,
    Branch,
    Counter,
    OpeningHours,
    QueuePolicy,
    Service,
    Visit,
    WaitEstimate,
)


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "timezone", "is_active"]
    list_filter = ["timezone", "is_active"]
    search_fields = ["name", "code", "address"]
    filter_horizontal = ["services"]
    inlines = [OpeningHoursInline]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name_id", "name_en", "purpose", "ticket_prefix", "default_handling_minutes"]
    list_filter = ["purpose", "is_active"]
    search_fields = ["name_id", "name_en", "code"]
    ordering = ["purpose", "sort_order"]


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    """Visits are written by the queue; the back office reads them."""

    list_display = [
        "ticket_number",
        "branch",
        "service",
        "status",
        "source",
        "checked_in_at",
        "customer",
    ]
    list_filter = ["branch", "status", "purpose"]
    search_fields = ["ticket_number", "customer__full_name"]
    list_select_related = ["branch", "service", "customer"]
    raw_id_fields = ["customer", "served_by", "appointment", "counter", "reserved_counter"]
    date_hierarchy = "checked_in_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Counter)
class CounterAdmin(admin.ModelAdmin):
    list_display = ["name", "branch", "number", "is_open", "staff"]
    list_filter = ["branch", "is_open"]
    filter_horizontal = ["services"]
    raw_id_fields = ["staff"]


@admin.register(QueuePolicy)
class QueuePolicyAdmin(admin.ModelAdmin):
    list_display = [
        "branch",
        "max_wait_minutes",
        "aging_per_minute",
        "ratio_priority",
        "ratio_normal",
    ]
    fieldsets = [
        (None, {"fields": ["branch"]}),
        (
            _("Order of calling"),
            {
                "fields": [
                    "purpose_weights",
                    "service_weights",
                    "category_weights",
                    "skill_weight",
                    "aging_per_minute",
                    "max_wait_minutes",
                    ("ratio_priority", "ratio_normal"),
                    "recall_limit",
                ]
            },
        ),
        (
            _("Appointments"),
            {
                "fields": [
                    "slot_minutes",
                    "appointments_per_slot",
                    "appointment_early_minutes",
                    "appointment_grace_minutes",
                ]
            },
        ),
        (_("Remote visitors"), {"fields": ["near_front_position"]}),
    ]


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["reference", "branch", "service", "starts_at", "name", "status"]
    list_filter = ["branch", "status", "service"]
    search_fields = ["=reference", "name", "phone"]
    raw_id_fields = ["customer"]
    date_hierarchy = "starts_at"


@admin.register(WaitEstimate)
class WaitEstimateAdmin(admin.ModelAdmin):
    """How honest our wait estimates were: estimated versus real, read-only."""

    list_display = [
        "visit",
        "branch",
        "service",
        "given_at",
        "position",
        "estimated_seconds",
        "actual_seconds",
        "shown_on",
    ]
    list_filter = ["branch", "service", "shown_on"]
    list_select_related = ["visit", "branch", "service"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
