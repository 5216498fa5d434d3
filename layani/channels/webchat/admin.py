from django.contrib import admin

from layani.channels.webchat.models import WebchatVisitor


@admin.register(WebchatVisitor)
class WebchatVisitorAdmin(admin.ModelAdmin):
    """Who chatted through the widget, and which customer their messages went to."""

    list_display = ("public_id", "account", "customer", "name", "email", "phone", "last_seen_at")
    list_filter = ("account",)
    search_fields = ("public_id", "name", "email", "phone")
    raw_id_fields = ("customer",)
    readonly_fields = ("account", "public_id", "created_at", "last_seen_at")
