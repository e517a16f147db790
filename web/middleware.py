"""The pages' language: Dutch by default, English when the user chose it (the language menu,
kept in a cookie and in the user's preference). Not the browser's Accept-Language: the
region works in Dutch, whatever language a laptop was set up in. The API keeps English,
the language its error messages are documented in."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

UNTRANSLATED = ("/api/", "/ws/", "/health/")


def chosen_language(request: HttpRequest) -> str:
    code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class PageLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        code = "en" if request.path.startswith(UNTRANSLATED) else chosen_language(request)
        translation.activate(code)
        request.LANGUAGE_CODE = code

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if request.path.startswith(UNTRANSLATED):
            return response
        return super().process_response(request, response)
