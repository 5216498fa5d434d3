from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BranchesConfig(AppConfig):
    name = "layani.branches"
    label = "branches"
    verbose_name = _("Branches")

    def ready(self) -> None:
        from layani.branches.call_config import connect_invalidation

        connect_invalidation()
