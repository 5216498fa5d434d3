"""Compile the translation catalogues (`.po`) under LOCALE_PATHS into the `.mo` files Django reads.

Pure Python (polib), so a fresh machine needs no GNU gettext. `.mo` files are not in git;
the install script and the test run call this command. A catalogue whose `.mo` is newer
than its `.po` is skipped unless `--force`. A broken catalogue (bad syntax, a duplicate
msgid, a placeholder such as `%(name)s` that differs from the English) stops the command
with an error naming the file and line, and its old `.mo` is left untouched.

After adding or changing translatable strings, refresh the catalogue and compile it, from
the repository root with DEBUG=1 set (makemessages needs GNU gettext; it is a developer tool):

    (cd layani && PYTHONPATH=.. python -m layani makemessages -l id --ignore=.venv --ignore=bench)
    python -m layani compilelocales

then translate the new (empty) and `fuzzy` entries in layani/locale/id/LC_MESSAGES/django.po,
remove each `fuzzy` flag once the translation is checked, and compile again.
"""

import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polib  # type: ignore[import-untyped]
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation.reloader import translation_file_changed

# One line of a catalogue that is not a comment: an optional keyword, then a quoted string.
_STRING_LINE = re.compile(r'^(?:(?:msgctxt|msgid|msgid_plural|msgstr|msgstr\[\d+\])\s+)?"(.*)"$')
_KEYWORD_ONLY = re.compile(r"^(?:msgctxt|msgid|msgid_plural|msgstr|msgstr\[\d+\])\b")
# The inside of a C string: no bare quote, and only the escapes gettext knows.
_VALID_STRING_BODY = re.compile(r'^(?:[^"\\]|\\[\\"abfnrtv]|\\[0-7]{1,3}|\\x[0-9A-Fa-f]+)*$')
# A %-format specification as Python's `%` operator reads it.
_FORMAT_SPEC = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?"  # optional mapping key
    r"[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"  # flags, width, precision, length
    r"(?P<conv>[diouxXeEfFgGcrsa%])"
)


@dataclass(frozen=True)
class Problem:
    line: int
    text: str


@dataclass(frozen=True)
class Compiled:
    messages: int
    untranslated: int
    fuzzy: int


class Command(BaseCommand):
    help = "Compile the .po translation catalogues under LOCALE_PATHS into .mo files (pure Python)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Compile every catalogue, even when its .mo is newer than the .po.",
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        catalogues = sorted(
            po for root in settings.LOCALE_PATHS for po in Path(root).rglob("*.po") if po.is_file()
        )
        if not catalogues:
            self.stdout.write("No .po catalogues found under LOCALE_PATHS.")
            return
        last_compiled: Path | None = None
        failures: list[str] = []
        for po_path in catalogues:
            mo_path = po_path.with_suffix(".mo")
            shown = _display_path(po_path)
            if not force and _is_up_to_date(po_path, mo_path):
                if options["verbosity"] >= 2:
                    self.stdout.write(f"Up to date: {shown}")
                continue
            try:
                result = _compile(po_path, mo_path)
            except CommandError as error:
                failures.append(f"{shown}\n{error}")
                continue
            last_compiled = mo_path
            self.stdout.write(self.style.SUCCESS(f"Compiled {shown} ({result.messages} messages)"))
            if result.untranslated or result.fuzzy:
                self.stdout.write(
                    self.style.WARNING(
                        f"  left out (shown in English): {result.untranslated} untranslated, "
                        f"{result.fuzzy} fuzzy"
                    )
                )
        if last_compiled is not None:
            # A process that already read translations (a test run, a shell) sees the new ones.
            translation_file_changed(sender=None, file_path=last_compiled)
        elif not failures and options["verbosity"] >= 1:
            self.stdout.write("All translation catalogues are up to date.")
        if failures:
            raise CommandError(
                "Broken translation catalogue, not compiled:\n" + "\n".join(failures)
            )


def _is_up_to_date(po_path: Path, mo_path: Path) -> bool:
    return mo_path.exists() and mo_path.stat().st_mtime > po_path.stat().st_mtime


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _compile(po_path: Path, mo_path: Path) -> Compiled:
    try:
        text = po_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CommandError(f"  not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc
    problems = _syntax_problems(text)
    if not problems:
        try:
            catalogue = polib.pofile(text)
        except (OSError, ValueError) as exc:
            raise CommandError(f"  {exc}") from exc
        problems = _content_problems(catalogue)
    if problems:
        raise CommandError(
            "\n".join(f"  line {problem.line}: {problem.text}" for problem in problems[:20])
        )
    _write_atomically(mo_path, catalogue.to_binary())
    live = [entry for entry in catalogue if not entry.obsolete]
    return Compiled(
        messages=len(catalogue.translated_entries()),
        untranslated=len(catalogue.untranslated_entries()),
        fuzzy=sum(1 for entry in live if entry.fuzzy),
    )


def _syntax_problems(text: str) -> list[Problem]:
    """Lines polib would silently misread: unterminated strings, bad escapes, stray text."""
    problems = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _STRING_LINE.match(line)
        if match is None:
            if _KEYWORD_ONLY.match(line):
                problems.append(Problem(number, f"string is not quoted or not closed: {line}"))
            else:
                problems.append(Problem(number, f"not a catalogue line: {line}"))
        elif not _VALID_STRING_BODY.match(match.group(1)):
            problems.append(Problem(number, f"unescaped quote or unknown escape: {line}"))
    return problems


def _content_problems(catalogue: polib.POFile) -> list[Problem]:
    problems = []
    seen: set[tuple[str | None, str]] = set()
    for entry in catalogue:
        if entry.obsolete:
            continue
        key = (entry.msgctxt, entry.msgid)
        if key in seen:
            problems.append(Problem(entry.linenum, f"duplicate msgid {entry.msgid!r}"))
        seen.add(key)
        if entry.fuzzy or "python-format" not in entry.flags:
            continue
        problems.extend(_placeholder_problems(entry))
    return problems


def _placeholder_problems(entry: polib.POEntry) -> list[Problem]:
    """A translation must use the English text's placeholders: a wrong name breaks the page."""
    source = _format_specs(entry.msgid)
    if entry.msgid_plural:
        plural = _format_specs(entry.msgid_plural)
        allowed = None if source is None or plural is None else source + plural
        translations = [text for text in entry.msgstr_plural.values() if text]
    else:
        allowed = source
        translations = [entry.msgstr] if entry.msgstr else []
    problems = []
    for translation in translations:
        found = _format_specs(translation)
        if found is None:
            problems.append(Problem(entry.linenum, f"stray % in translation {translation!r}"))
        elif allowed is not None and not _placeholders_match(entry, allowed, found):
            problems.append(
                Problem(
                    entry.linenum,
                    f"placeholders of {translation!r} differ from those of {entry.msgid!r}",
                )
            )
    return problems


def _placeholders_match(entry: polib.POEntry, allowed: list[str], found: list[str]) -> bool:
    if entry.msgid_plural:  # one plural form may drop the count, never invent a name
        return set(found) <= set(allowed)
    return Counter(found) == Counter(allowed)


def _format_specs(text: str) -> list[str] | None:
    """`%(name)s` and `%d` specifications in `text` (not `%%`), or None if a `%` is malformed."""
    specs = []
    position = 0
    for match in _FORMAT_SPEC.finditer(text):
        if "%" in text[position : match.start()]:
            return None
        position = match.end()
        if match.group("conv") == "%":
            continue
        name, conversion = match.group("name"), match.group("conv")
        specs.append(f"%({name}){conversion}" if name is not None else f"%{conversion}")
    if "%" in text[position:]:
        return None
    return specs


def _write_atomically(path: Path, content: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: a reader never sees half a file."""
    temporary = ""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the web server must read it
        os.replace(temporary, path)
    except OSError as exc:
        if temporary and os.path.exists(temporary):
            os.unlink(temporary)
        raise CommandError(f"  cannot write {path.name}: {exc.strerror}") from exc
