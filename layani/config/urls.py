from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from layani.config.api import api
from layani.core import relay
from layani.core.health import healthz

admin.site.site_header = "Layani"
admin.site.site_title = "Layani"
admin.site.index_title = _("Back office")

urlpatterns = [
    path("", include("layani.staff.urls")),
    path("customers/", include("layani.customers.urls")),
    path("inbox/", include("layani.conversations.urls")),
    path("branch/", include("layani.branches.urls_staff")),
    path("q/", include("layani.branches.urls_public")),
    path("reports/", include("layani.analytics.urls")),
    path("channels/", include("layani.channels.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("healthz", healthz, name="healthz"),
    path("internal/realtime/", relay.receive, name="realtime-relay"),
]
