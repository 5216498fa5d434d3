import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layani.config.settings")
_site = get_wsgi_application()

from layani.channels.webhook_wsgi import split  # noqa: E402  (needs the apps loaded)

application = split(_site)
