from django.contrib import admin
from django.core.exceptions import ValidationError

from layani.core.errors import LayaniError
from layani.customers import actions
from layani.customers.models import Customer, CustomerIdentity

EDITABLE = (
    "full_name",
    "status",
    "membership_number",
    "tier",
    "member_since",
    "language",
    "what_matters",
    "what_matters_tags",
    "preferred_staff",
)


class IdentityInline(admin.TabularInline):
    model = CustomerIdentity
    extra = 0
    fields = ["kind", "value", "is_primary"]
    readonly_fields = ["kind", "value", "is_primary"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    """Saves go through customers.actions, so the timeline records every change."""

    list_display = ["full_name", "status", "tier", "membership_number", "created_at"]
    list_filter = ["status", "tier"]
    search_fields = ["=membership_number", "search_name", "=identities__value"]
    fields = EDITABLE
    raw_id_fields = ["preferred_staff"]
    inlines = [IdentityInline]
    show_full_result_count = False

    def _details(self, form) -> actions.CustomerDetails:
        values = {}
        for name in form.changed_data if form.instance.pk else EDITABLE:
            value = form.cleaned_data.get(name)
            if name == "preferred_staff":
                values["preferred_staff_id"] = value.pk if value else None
            else:
                values[name] = value
        return actions.CustomerDetails.from_values(values)

    def save_model(self, request, obj, form, change):
        try:
            if change:
                current = Customer.objects.get(pk=obj.pk)
                actions.update_customer(current, self._details(form), actor=request.user)
            else:
                created = actions.create_customer(self._details(form), actor=request.user)
                obj.pk = created.pk
        except LayaniError as error:
            raise ValidationError(error.message) from error
