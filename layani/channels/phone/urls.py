from django.urls import URLPattern, URLResolver, path

from layani.channels.phone import views
from layani.channels.phone.callback_views import callback_form

app_name = "phone"

urlpatterns: list[URLPattern | URLResolver] = [
    path("<int:call_id>/pop/", views.screen_pop, name="pop"),
    path("<int:call_id>/note/", views.call_note, name="note"),
    path("<int:call_id>/new-customer/", views.new_caller, name="new_caller"),
    path("undocumented/", views.undocumented, name="undocumented"),
    path("callback/<slug:key>/", callback_form, name="callback"),
]
