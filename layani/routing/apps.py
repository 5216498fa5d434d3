from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "layani.routing"
    label = "routing"
    verbose_name = _("Routing and SLAs")

    def ready(self) -> None:
        from layani.routing.sla_config import connect_invalidation

        connect_invalidation()
