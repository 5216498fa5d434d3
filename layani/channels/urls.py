from django.urls import path

from layani.channels import views

app_name = "channels"

urlpatterns = [
    path("<slug:kind>/<slug:key>/", views.webhook, name="webhook"),
]
