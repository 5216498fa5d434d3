from django.urls import include, path

from layani.channels import views

app_name = "channels"

urlpatterns = [
    # Pages and endpoints of channel packages come before the generic webhook address.
    path("chat/", include("layani.channels.webchat.urls")),
    path("calls/", include("layani.channels.phone.urls")),
    path("<slug:kind>/<slug:key>/", views.webhook, name="webhook"),
]
