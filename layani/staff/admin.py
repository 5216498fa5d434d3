from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from layani.staff.models import ApiToken, Staff, StaffSkill, Team
from layani.staff.tokens import issue_token


class StaffSkillInline(admin.TabularInline):
    model = StaffSkill
    extra = 0


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["display_name", "role", "is_active"]
    list_filter = ["role", "is_active", "branches"]
    search_fields = ["display_name", "user__username"]
    filter_horizontal = ["branches", "teams"]
    raw_id_fields = ["user"]
    inlines = [StaffSkillInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    filter_horizontal = ["branches"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["user", "name", "revoked_at"]
    raw_id_fields = ["user"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        issued = issue_token(obj.user, name=obj.name)
        obj.pk = issued.token.pk
        self.message_user(
            request,
            _("Copy this token now; it will not be shown again: %(token)s")
            % {"token": issued.secret},
            messages.WARNING,
        )


class StaffInline(admin.StackedInline):
    model = Staff
    can_delete = False
    filter_horizontal = ["branches", "teams"]


admin.site.unregister(User)


@admin.register(User)
class LayaniUserAdmin(UserAdmin):
    inlines = [StaffInline]
