"""Indonesian first: pages speak Bahasa Indonesia unless the person chose English.

Django's LocaleMiddleware would follow the browser's Accept-Language, so a clerk whose
browser is set to English would get English without asking. Here pages follow only an
explicit choice (the language switch's cookie, or the URL parameter `?lang=`); the API,
used by programs, also honours Accept-Language. For a signed-in person, a page opened with
`?lang=` keeps that language like the switch does (the cookie is set), so what the page
loads after it (the next rows, a form sent with htmx, a link) speaks the same language.
The pages for the public (`queue:`: the branch kiosk, a shared screen whose visitors each
choose their language; the visitor's own pages) carry `?lang=` in their links instead and
remember nothing.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

SUPPORTED = {code for code, _name in settings.LANGUAGES}
PUBLIC_NAMESPACE = "queue"  # layani.branches.urls_public


def chosen_language(request: HttpRequest) -> str:
    for candidate in (
        request.GET.get("lang"),
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME),
    ):
        if candidate in SUPPORTED:
            return candidate
    if request.path.startswith("/api/"):
        header = translation.get_language_from_request(request)
        if header and header[:2] in SUPPORTED:
            return header[:2]
    return settings.LANGUAGE_CODE


class IndonesianFirstLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        asked = request.GET.get("lang")
        user = getattr(request, "user", None)
        if (
            asked in SUPPORTED
            and asked != request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            and not request.path.startswith("/api/")
            and user is not None
            and user.is_authenticated
            and getattr(request.resolver_match, "namespace", "") != PUBLIC_NAMESPACE
        ):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                asked,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        response.headers.setdefault("Content-Language", language)
        response.headers.setdefault("Vary", "Cookie")
        translation.deactivate()
        return response
