"""Back office: which agent answers at which extension (the screen pop goes to them), and
read-only views of calls and callback requests (they change through their actions)."""

from django.contrib import admin

from layani.channels.phone.models import AgentExtension, Call, CallbackAttempt, CallbackRequest


@admin.register(AgentExtension)
class AgentExtensionAdmin(admin.ModelAdmin):
    list_display = ("extension", "staff")
    search_fields = ("extension", "staff__display_name")
    autocomplete_fields = ("staff",)


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "direction",
        "caller",
        "callee",
        "agent",
        "state",
        "outcome",
        "duration_seconds",
        "documented_at",
    )
    list_filter = ("direction", "state", "outcome", "account")
    search_fields = ("call_id", "caller", "callee", "agent_extension")
    list_select_related = ("agent",)
    readonly_fields = [field.name for field in Call._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


class CallbackAttemptInline(admin.TabularInline):
    model = CallbackAttempt
    extra = 0
    readonly_fields = ("at", "outcome", "note", "by")
    can_delete = False

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(CallbackRequest)
class CallbackRequestAdmin(admin.ModelAdmin):
    list_display = ("created_at", "phone", "window_start", "window_end", "source", "status")
    list_filter = ("status", "source")
    search_fields = ("phone",)
    list_select_related = ("customer",)
    readonly_fields = [
        field.name for field in CallbackRequest._meta.fields if field.name != "max_attempts"
    ]
    inlines = (CallbackAttemptInline,)

    def has_add_permission(self, request: object) -> bool:
        return False
