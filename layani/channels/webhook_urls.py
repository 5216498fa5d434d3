"""The one route of the lean webhook handler (`webhook_wsgi`); the site's URL
configuration has the same route under `channels/`, where `reverse` finds it."""

from django.urls import path

from layani.channels import views

urlpatterns = [path("channels/<slug:kind>/<slug:key>/", views.webhook)]
