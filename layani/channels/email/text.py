"""Reading the words of a mail: bytes in any (or a wrong) charset to text, HTML to a readable
text rendering, and where the quoted history and the signature begin (the view folds them).
Pure functions, no Django."""

import re
from html.parser import HTMLParser

from charset_normalizer import from_bytes


def decode_text(raw: bytes, charset: str | None) -> str:
    """The text of a part. The declared charset first; a mislabelled or unknown one falls
    back to detection, then to latin-1, which decodes any byte: never an exception."""
    candidates = [c for c in (charset, None if charset else "utf-8") if c]
    for name in candidates:
        try:
            return raw.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    if raw.isascii():
        return raw.decode("ascii")
    best = from_bytes(raw).best()
    if best is not None:
        return str(best)
    return raw.decode("latin-1")


_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "tr", "li", "ul", "ol", "table", "blockquote", "pre", "hr"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer"}
    | {"address", "dl", "dt", "dd"}
)
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "template"})


class _TextRenderer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.quote_depth = 0
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        elif tag == "blockquote":
            self.quote_depth += 1
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "img":
            alt = dict(attrs).get("alt") or ""
            if alt:
                self.parts.append(f"[{alt}]")
        elif tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
            self.parts.append("\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href.startswith(("http://", "https://")) and href not in "".join(self.parts[-3:]):
                self.parts.append(f" ({href})")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        text = re.sub(r"\s+", " ", data)
        if self.quote_depth and text.strip():
            text = text.replace("\n", "\n> ")
            if not self.parts or self.parts[-1].endswith("\n"):
                text = "> " * self.quote_depth + text.lstrip()
        self.parts.append(text)


def html_to_text(html: str) -> str:
    """A readable plain rendering of an HTML mail (paragraphs, list items, link targets,
    quoted blocks as '> ' lines)."""
    renderer = _TextRenderer()
    try:
        renderer.feed(html)
        renderer.close()
    except Exception:  # a broken document still gives its text so far
        pass
    lines = [line.strip() for line in "".join(renderer.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# Where a mail client starts the quoted history it copies under a reply.
_QUOTE_HEADERS = re.compile(
    r"^(?:"
    r"On .{3,200}(?:wrote|writes):\s*$"  # Gmail, Apple Mail, Thunderbird (en)
    r"|Pada .{3,200}menulis:\s*$"  # the same in Indonesian
    r"|Le .{3,200}a écrit\s*:\s*$"
    r"|-{2,}\s*(?:Original Message|Pesan Asli|Forwarded message|Pesan yang diteruskan)\s*-{2,}"
    r"|_{10,}\s*$"  # Outlook's rule above the copied headers
    r"|(?:From|Dari):\s.+\n(?:Sent|Dikirim|Date|Tanggal):\s"  # Outlook's copied headers
    r")",
    re.IGNORECASE | re.MULTILINE,
)
_SIGNATURE = re.compile(
    r"^(?:-- ?$|Sent from my \w+|Dikirim dari \w+|Salam,?$|Hormat saya,?$|Terima kasih,?$)",
    re.IGNORECASE | re.MULTILINE,
)


def quote_start(text: str) -> int | None:
    """Offset where the quoted history begins (a quote header or the first run of '>' lines
    that runs to the end), or None when the mail quotes nothing."""
    found = _QUOTE_HEADERS.search(text)
    if found is not None and found.start() > 0:
        return found.start()
    offset = 0
    start: int | None = None
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith(">"):
            if start is None:
                start = offset
        elif stripped and start is not None:
            start = None  # an answer between quotes (inline reply): not a trailing history
        offset += len(line)
    return start if start else None


def signature_start(text: str, before: int | None = None) -> int | None:
    """Offset of the sender's signature ('-- ' line, 'Sent from my phone', a closing
    greeting) in the new part of the mail, or None."""
    end = before if before is not None else len(text)
    last = None
    for match in _SIGNATURE.finditer(text, 0, end):
        if match.start() > 0:
            last = match.start()
            if match.group(0).startswith("--"):
                return last  # the standard delimiter wins
    return last
