"""Indonesian by default, English on request: what a person (or a program) actually sees."""

import gettext
import os
import re
from io import StringIO
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from layani.core.management.commands.compilelocales import Command as CompileLocales

INDONESIAN_CATALOGUE = Path(settings.LOCALE_PATHS[0]) / "id" / "LC_MESSAGES" / "django.po"
NAMED_PLACEHOLDER = re.compile(r"%\(\w+\)[a-z]")


@pytest.fixture(scope="module")
def compiled_catalogues() -> None:
    """`.mo` files are not in git: make sure the ones under test are built from today's `.po`."""
    call_command("compilelocales", verbosity=0)


# --- Pages: only an explicit choice switches to English ------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogues")
class TestPages:
    def test_sign_in_page_is_indonesian_without_a_choice(self, client):
        response = client.get("/login/")
        page = response.content.decode()
        assert response.status_code == 200
        assert response["Content-Language"] == "id"
        assert '<html lang="id">' in page
        assert "Masuk ke Layani" in page
        assert "Kata sandi" in page
        assert "Sign in" not in page

    def test_an_english_browser_still_gets_indonesian(self, client):
        page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
        assert "Masuk ke Layani" in page
        assert "Sign in" not in page

    def test_language_cookie_gives_english(self, client):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = client.get("/login/")
        page = response.content.decode()
        assert response["Content-Language"] == "en"
        assert "Sign in to Layani" in page
        assert "Password" in page
        assert "Masuk" not in page

    def test_lang_parameter_gives_english(self, client):
        page = client.get("/login/?lang=en").content.decode()
        assert "Sign in to Layani" in page

    def test_lang_parameter_is_kept_for_what_the_page_loads_next(self, client, admin_user):
        # htmx requests and links after the first page carry no ?lang=: the cookie does.
        client.force_login(admin_user)
        client.get("/inbox/?lang=en")
        assert '<html lang="en"' in client.get("/inbox/").content.decode()
        client.get("/inbox/?lang=id")
        assert '<html lang="id"' in client.get("/inbox/").content.decode()

    def test_a_shared_screen_remembers_no_language(self, client):
        # Nobody is signed in at the branch kiosk: each visitor chooses, nothing is kept.
        response = client.get("/login/?lang=en")
        assert "Sign in to Layani" in response.content.decode()
        assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
        assert "Masuk ke Layani" in client.get("/login/").content.decode()

    def test_the_api_lang_parameter_sets_no_cookie(self, client):
        response = client.get("/api/v1/openapi.json?lang=en")
        assert settings.LANGUAGE_COOKIE_NAME not in response.cookies

    def test_language_switch_remembers_english_then_back_to_indonesian(self, client):
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
        assert response.status_code == 302
        assert "Sign in to Layani" in client.get("/login/").content.decode()

        client.post("/i18n/setlang/", {"language": "id", "next": "/login/"})
        assert "Masuk ke Layani" in client.get("/login/").content.decode()

    def test_unknown_language_falls_back_to_indonesian(self, client):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
        assert "Masuk ke Layani" in client.get("/login/?lang=de").content.decode()

    def test_admin_sign_in_is_indonesian_by_default(self, client):
        response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US")
        page = response.content.decode()
        assert response.status_code == 200
        assert '<html lang="id"' in page
        assert "Nama pengguna" in page
        assert "Kata sandi" in page
        assert 'value="Masuk"' in page
        assert "Log in" not in page

    def test_admin_sign_in_in_english_on_request(self, client):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        page = client.get("/admin/login/").content.decode()
        assert "Username" in page
        assert 'value="Log in"' in page


# --- API: programs may also ask through Accept-Language ------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalogues")
class TestApiErrors:
    def test_error_is_indonesian_by_default(self, client):
        response = client.get("/api/v1/customers/")
        assert response.status_code == 401
        assert response["Content-Language"] == "id"
        assert response.json() == {
            "error": {"code": "unauthenticated", "message": "Silakan masuk atau kirim token API."}
        }

    def test_error_is_english_with_accept_language(self, client):
        response = client.get("/api/v1/customers/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        assert response.status_code == 401
        assert response["Content-Language"] == "en"
        assert response.json() == {
            "error": {"code": "unauthenticated", "message": "Sign in or send an API token."}
        }

    def test_unsupported_accept_language_gets_indonesian(self, client):
        response = client.get("/api/v1/customers/", HTTP_ACCEPT_LANGUAGE="fr-FR")
        assert response.json()["error"]["message"] == "Silakan masuk atau kirim token API."


# --- The catalogue itself ------------------------------------------------------------------


@pytest.fixture(scope="module")
def indonesian() -> polib.POFile:
    return polib.pofile(str(INDONESIAN_CATALOGUE))


def test_catalogue_declares_indonesian(indonesian):
    assert indonesian.metadata["Language"] == "id"
    assert indonesian.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    assert indonesian.metadata["Content-Type"] == "text/plain; charset=UTF-8"


def test_every_message_is_translated(indonesian):
    untranslated = [e.msgid for e in indonesian.untranslated_entries()]
    fuzzy = [e.msgid for e in indonesian if e.fuzzy and not e.obsolete]
    assert untranslated == [], "run `layani makemessages` and translate these"
    assert fuzzy == [], "check these translations and remove the fuzzy flag"
    assert len(indonesian.translated_entries()) > 100


def test_translations_keep_every_placeholder(indonesian):
    for entry in indonesian.translated_entries():
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            assert sorted(NAMED_PLACEHOLDER.findall(translation)) == sorted(
                NAMED_PLACEHOLDER.findall(entry.msgid)
            ), entry.msgid


def test_key_terms_read_as_indonesian_customer_service(indonesian):
    expected = {
        "Sign in": "Masuk",
        "Sign out": "Keluar",
        "Customers": "Pelanggan",
        "What matters to this customer": "Yang penting bagi pelanggan ini",
        "Routine": "Rutin",
        "Complaint": "Keluhan",
        "Special request": "Permintaan khusus",
        "Not a customer yet": "Belum menjadi pelanggan",
        "Branch staff": "Petugas cabang",
        "Waiting on customer": "Menunggu pelanggan",
    }
    translated = {e.msgid: e.msgstr for e in indonesian.translated_entries()}
    assert {msgid: translated.get(msgid) for msgid in expected} == expected


# --- compilelocales ------------------------------------------------------------------------

CATALOGUE_HEADER = """\
msgid ""
msgstr ""
"Language: id\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"

"""


@pytest.fixture
def locale_dir(tmp_path, settings) -> Path:
    settings.LOCALE_PATHS = [tmp_path]
    (tmp_path / "id" / "LC_MESSAGES").mkdir(parents=True)
    return tmp_path / "id" / "LC_MESSAGES"


def write_catalogue(locale_dir: Path, body: str) -> Path:
    po = locale_dir / "django.po"
    po.write_text(CATALOGUE_HEADER + body, encoding="utf-8")
    return po


def compile_output(**options) -> str:
    out = StringIO()
    call_command("compilelocales", stdout=out, **options)
    return out.getvalue()


def test_compiles_with_python_only_and_leaves_out_fuzzy_and_empty(locale_dir):
    write_catalogue(
        locale_dir,
        'msgid "Sign in"\nmsgstr "Masuk"\n\n'
        '#, python-format\nmsgid "Hello, %(name)s"\nmsgstr "Halo, %(name)s"\n\n'
        '#, fuzzy\nmsgid "Save"\nmsgstr "Hapus"\n\n'
        'msgid "Edit"\nmsgstr ""\n',
    )
    output = compile_output()
    assert "Compiled" in output and "(2 messages)" in output
    assert "1 untranslated, 1 fuzzy" in output
    with (locale_dir / "django.mo").open("rb") as mo:
        # Not spelled `.gettext(...)`: makemessages would collect these test strings.
        lookup = gettext.GNUTranslations(mo).gettext
    assert lookup("Sign in") == "Masuk"
    assert lookup("Hello, %(name)s") % {"name": "Sari"} == "Halo, Sari"
    assert lookup("Save") == "Save"
    assert lookup("Edit") == "Edit"


def test_skips_an_up_to_date_catalogue_unless_forced(locale_dir):
    po = write_catalogue(locale_dir, 'msgid "Sign in"\nmsgstr "Masuk"\n')
    compile_output()
    assert "up to date" in compile_output()
    assert "Compiled" in compile_output(force=True)

    po.write_text(CATALOGUE_HEADER + 'msgid "Sign in"\nmsgstr "Silakan masuk"\n')
    later = (locale_dir / "django.mo").stat().st_mtime + 5
    os.utime(po, (later, later))
    assert "Compiled" in compile_output()


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ('msgid "Sign in\nmsgstr "Masuk"\n', "line 7"),
        ('msgid "Sign in"\nmsgstr "Masuk\n', "line 8"),
        ('msgid "Sign in"\nmsgstr Masuk\n', "line 8"),
        ('msgid "Sign in"\nmsgstr "Masuk" ke\n', "line 8"),
        ('msgid "Sign in"\nmsgstr "Masuk"\n\nmsgid "Sign in"\nmsgstr "Masuk lagi"\n', "duplicate"),
        (
            '#, python-format\nmsgid "Hello, %(name)s"\nmsgstr "Halo, %(nama)s"\n',
            "placeholders",
        ),
        ('#, python-format\nmsgid "Hello, %(name)s"\nmsgstr "Halo"\n', "placeholders"),
        ('#, python-format\nmsgid "%(count)d%% done"\nmsgstr "selesai %(count)d%"\n', "stray %"),
    ],
)
def test_broken_catalogue_is_an_error_and_keeps_the_old_mo(locale_dir, body, complaint):
    (locale_dir / "django.mo").write_bytes(b"previous")
    write_catalogue(locale_dir, body)
    with pytest.raises(CommandError) as error:
        call_command("compilelocales", force=True, verbosity=0)
    assert "django.po" in str(error.value)
    assert complaint in str(error.value)
    assert (locale_dir / "django.mo").read_bytes() == b"previous"


def test_broken_catalogue_exits_non_zero_from_the_command_line(locale_dir, capsys):
    write_catalogue(locale_dir, 'msgid "Sign in\nmsgstr "Masuk"\n')
    with pytest.raises(SystemExit) as exit_:
        CompileLocales().run_from_argv(["layani", "compilelocales"])
    assert exit_.value.code != 0
    assert "Broken translation catalogue" in capsys.readouterr().err


def test_one_broken_catalogue_does_not_stop_the_others(locale_dir, settings, tmp_path):
    write_catalogue(locale_dir, 'msgid "Sign in"\nmsgstr "Masuk\n')
    other = tmp_path / "en" / "LC_MESSAGES"
    other.mkdir(parents=True)
    write_catalogue(other, 'msgid "Sign in"\nmsgstr "Sign in"\n')
    with pytest.raises(CommandError):
        call_command("compilelocales", verbosity=0)
    assert (other / "django.mo").exists()
    assert not (locale_dir / "django.mo").exists()
