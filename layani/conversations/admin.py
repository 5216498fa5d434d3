from django.contrib import admin

from layani.conversations.models import (
    CannedReply,
    Conversation,
    Message,
    OutboxMessage,
    Tag,
    TimelineEvent,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Conversations and the timeline are written by actions only; the back office reads."""

    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ("created_at", "direction", "body_text", "delivery_status")
    readonly_fields = ("created_at", "direction", "body_text", "delivery_status")
    can_delete = False
    show_change_link = False


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "customer",
        "channel",
        "purpose",
        "status",
        "assignee",
        "team",
        "due_at",
        "created_at",
    ]
    list_filter = ["channel", "purpose", "status", "priority", "branch", "team"]
    list_select_related = ["customer", "assignee", "team"]
    search_fields = ["=id", "subject"]
    raw_id_fields = ["customer", "previous", "merged_into", "visit"]
    inlines = [MessageInline]


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "kind", "customer", "conversation", "branch", "actor", "summary"]
    list_filter = ["kind", "branch"]
    list_select_related = ["customer", "conversation", "branch", "actor"]
    raw_id_fields = ["customer", "conversation", "visit", "message"]
    date_hierarchy = "occurred_at"


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "channel", "recipient", "reason", "status", "body"]
    list_filter = ["channel", "reason", "status"]
    raw_id_fields = ["customer", "visit", "message"]
    date_hierarchy = "created_at"


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    show_full_result_count = False


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    """Canned replies are configuration: managed here or through the API."""

    list_display = ["title", "language", "team", "shortcut", "is_active", "updated_at"]
    list_filter = ["language", "team", "is_active"]
    list_select_related = ["team"]
    search_fields = ["title", "shortcut", "body"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
