from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "layani.channels"
    # "channels" is Django Channels' label; ours must not clash with it.
    label = "layani_channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from layani.channels import accounts, registry

        registry.load_adapters()
        accounts.connect_invalidation()
