from django.contrib import admin

from layani.branches.models import Branch, OpeningHours, Service, Visit


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

    list_display = ["ticket_number", "branch", "service", "status", "checked_in_at", "customer"]
    list_filter = ["branch", "status", "purpose"]
    search_fields = ["ticket_number", "customer__full_name"]
    list_select_related = ["branch", "service", "customer"]
    raw_id_fields = ["customer", "served_by"]
    date_hierarchy = "checked_in_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
