from django.contrib import admin

from layani.feedback.models import SurveyResponse


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    """What customers said, as they said it: read-only."""

    list_display = ["created_at", "rating", "channel", "branch", "service", "staff", "comment"]
    list_filter = ["rating", "channel", "branch"]
    list_select_related = ["branch", "service", "staff"]
    raw_id_fields = ["visit", "conversation", "customer", "staff"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
