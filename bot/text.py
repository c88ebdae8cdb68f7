"""Text helpers for Slack output and name matching: mrkdwn escaping, safe truncation, customer-name keys.

Pure functions, no I/O.
"""

import re
import unicodedata

ZWJ = "\u200d"
"""Zero-width joiner inserted after `@` in `@channel`/`@here`/`@everyone` so Slack does not broadcast."""

_BROADCAST_RE = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)


def escape_mrkdwn(text: str) -> str:
    """Escape user text for Slack mrkdwn: `&` `<` `>` become entities; broadcast words are neutralised.

    This stops `<!channel>`, `<@U123>` and `<http://evil|click here>` in user text from pinging or
    forging links. Not idempotent: escaping twice escapes the `&` of the first pass.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST_RE.sub("@" + ZWJ, text)


# ------------------------------------------------------------------------------------------- emphasis

ZWSP = "\u200b"
"""Zero-width space: Slack bolds `*x*` only when no letter touches the markers (`*Acme*의` shows the asterisks);
a zero-width space between them keeps the bold and shows nothing."""

_OPAQUE_RE = re.compile(r"\{[^{}]*\}|<[^<>]*>|`[^`]*`")  # placeholders, links and mentions, code: not markup
_MARKERS = "*_"


def _touches(ch: str, marker: str) -> bool:
    """Whether `ch` next to an emphasis marker stops Slack from reading it as one (a letter or digit, or a
    placeholder whose value may start or end with one). `_` between ASCII letters is a snake_case name, not
    italics, and stays as it is."""
    if marker == "_" and ch.isascii() and ch not in "{}":
        return False
    return ch.isalnum() or ch in "{}"


def seal_emphasis(template: str) -> str:
    """`template` with a zero-width space between each `*bold*` or `_italic_` and a letter, digit or placeholder
    touching it from outside: `*{customer}*의` -> `*{customer}*\u200b의`, `총*3곳*` -> `총\u200b*3곳*`.

    Markers pair up within a line as Slack pairs them (an opener followed by a non-space, a closer preceded by
    one); markers inside placeholders, links and code spans are not markup. For catalog templates and builder
    markup, before user text is filled in (user text is never sealed: its `*` are not Baton's)."""
    lines = []
    for line in template.split("\n"):
        opaque = [m.span() for m in _OPAQUE_RE.finditer(line)]
        inside = {i for a, b in opaque for i in range(a, b)}
        before: set[int] = set()  # insert a ZWSP before these positions
        after: set[int] = set()
        for marker in _MARKERS:
            opener = None
            for i, ch in enumerate(line):
                if ch != marker or i in inside:
                    continue
                nxt = line[i + 1] if i + 1 < len(line) else " "
                prev = line[i - 1] if i else " "
                if opener is not None and not prev.isspace() and prev != marker:
                    if opener and _touches(line[opener - 1], marker):
                        before.add(opener)
                    if _touches(nxt, marker):
                        after.add(i)
                    opener = None
                elif not nxt.isspace() and nxt != marker:
                    opener = i
        out = []
        for i, ch in enumerate(line):
            if i in before:
                out.append(ZWSP)
            out.append(ch)
            if i in after:
                out.append(ZWSP)
        lines.append("".join(out))
    return "\n".join(lines)


def clean_quote(text: str | None) -> str:
    """Someone's words as Baton keeps and prefills them: trimmed, Unicode NFC (a length limit is the caller's)."""
    return unicodedata.normalize("NFC", (text or "").strip())


# --------------------------------------------------------------------------------------------- truncate

_ENTITY_RE = re.compile(r"&(?:#\d{1,7}|#x[0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,9});")
_ENTITY_MAX = 11  # len("&#x10FFFF;") + 1
_WORD_WINDOW = 0.2


def _is_high_surrogate(ch: str) -> bool:
    return "\ud800" <= ch <= "\udbff"


def _is_regional_indicator(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def _extends(ch: str) -> bool:
    """True for characters that belong to the previous one (cutting before them splits a grapheme)."""
    return (
        "\udc00" <= ch <= "\udfff"  # low surrogate
        or ch == ZWJ
        or "\ufe00" <= ch <= "\ufe0f"  # variation selectors
        or "\U0001f3fb" <= ch <= "\U0001f3ff"  # emoji skin tones
        or "\U000e0020" <= ch <= "\U000e007f"  # emoji tag sequences (flags of regions)
        or "\u1160" <= ch <= "\u11ff"  # conjoining Hangul vowels and final consonants
        or "\ud7b0" <= ch <= "\ud7ff"
        or unicodedata.category(ch) in ("Mn", "Mc", "Me")
    )


def _safe_cut(text: str, cut: int) -> int:
    """Move `cut` left so text[:cut] ends on a whole character, grapheme and `&...;` entity."""
    while 0 < cut < len(text):
        before, after = text[cut - 1], text[cut]
        if _extends(after) or before == ZWJ or _is_high_surrogate(before):
            cut -= 1
            continue
        if _is_regional_indicator(before) and _is_regional_indicator(after):
            run = 0
            while cut - run - 1 >= 0 and _is_regional_indicator(text[cut - run - 1]):
                run += 1
            if run % 2:  # an odd run before the cut means we are inside a flag
                cut -= 1
                continue
        break
    amp = text.rfind("&", max(0, cut - _ENTITY_MAX), cut)
    if amp != -1 and ";" not in text[amp:cut]:
        m = _ENTITY_RE.match(text, amp)
        if m and m.end() > cut:
            cut = amp
    return cut


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """Shorten `text` to at most `limit` characters, ending with `ellipsis` when something was cut.

    Cuts at whitespace when there is some within the last 20% of the limit, and never inside a
    surrogate pair, an emoji/combining sequence or an `&amp;`-style entity. When `limit` leaves no
    room for the ellipsis, returns the first `limit` characters without one.
    """
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    budget = limit - len(ellipsis)
    if budget <= 0:
        return text[: _safe_cut(text, limit)]
    cut = _safe_cut(text, budget)
    if not text[cut].isspace():
        floor = cut - max(1, int(limit * _WORD_WINDOW))
        for i in range(cut - 1, max(floor, 0) - 1, -1):
            if text[i].isspace():
                cut = i
                break
    return text[:cut].rstrip() + ellipsis


# ---------------------------------------------------------------------------------------- normalize_key

COMPANY_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "ltd",
        "limited",
        "llc",
        "llp",
        "plc",
        "gmbh",
    }
)
"""Trailing words dropped by `normalize_key` (after case folding and removing dots)."""

_KO_COMPANY_MARKERS = ("주식회사", "(주)", "(株)", "株式会社", "유한회사", "(유)")
_WORD_RE = re.compile(r"[^\W_]+")


def normalize_key(name: str) -> str:
    """Key for matching customer names: `"ACME Corp."` and `"  Acme,  Inc "` -> `"acme"`, `"(주)삼성전자"` ->
    `"삼성전자"`.

    NFKC (so `㈜` becomes `(주)` and full-width letters fold), casefold, drop company forms
    (inc, corp, co, ltd, llc, gmbh, 주식회사, (주), ...), then remove punctuation and whitespace.
    A suffix word is only dropped while another word remains (`"Co"` alone stays `"co"`).
    """
    s = unicodedata.normalize("NFKC", name or "").casefold()
    for marker in _KO_COMPANY_MARKERS:
        s = s.replace(marker, " ")
    words = _WORD_RE.findall(s.replace(".", ""))
    while len(words) > 1 and words[-1] in COMPANY_SUFFIXES:
        words.pop()
    return "".join(words)
