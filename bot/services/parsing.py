"""Parse the handoff form's multi-line fields (promises, stakeholders, success criteria).

Pure functions, no I/O. Each parser takes the raw text the AE typed and returns frozen rows, or raises
`LineError` naming the first bad line (1-based, counting blank lines, as the user sees the text box).
A blank field or a "none" answer (`NONE_WORDS`) gives an empty list. Leading list bullets (`-`, `*`,
`•`, `1.`, `1)`) are ignored, and so are lines that are only a none-word.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

NONE_WORDS = frozenset({"none", "n/a", "na", "-", "없음", "해당 없음", "없습니다"})

MAX_PROMISES = 20
MAX_PROMISE_TEXT = 300
MAX_OWNER_NAME = 100
MAX_STAKEHOLDERS = 20
MAX_NAME = 100
MAX_TITLE = 100
MAX_ROLE = 50
MAX_EMAIL = 254
MAX_CRITERIA = 3
MAX_CRITERION_TEXT = 300
MAX_METRIC = 100

ROLE_KEYS = ("economic_buyer", "champion", "day_to_day", "technical")


class LineError(ValueError):
    """One line of a multi-line field is wrong.

    `.line_no` is 1-based, `.code` a short key (bad_date, past_date, too_long, too_many, empty_text,
    empty_name, bad_email, bad_format), `.value` the offending text (the field or the whole line).
    """

    def __init__(self, line_no: int, code: str, value: str) -> None:
        self.line_no = line_no
        self.code = code
        self.value = value
        super().__init__(f"line {line_no}: {code}: {value!r}")


@dataclass(frozen=True)
class ParsedPromise:
    text: str
    owner_user_id: str | None
    owner_name: str | None
    due_date: date | None


@dataclass(frozen=True)
class ParsedStakeholder:
    role: str | None
    name: str
    title: str | None
    email: str | None
    role_key: str | None = None


@dataclass(frozen=True)
class ParsedCriterion:
    text: str
    metric: str | None
    baseline: str | None
    target: str | None


# ------------------------------------------------------------------------------------------------ helpers

_SPACE_RE = re.compile(r"\s+")
_BULLET_RE = re.compile(r"^(?:[-*•·▪◦‣]|\d{1,2}[.)])\s+")


def _fold(text: str) -> str:
    """NFKC + casefold + single spaces, for comparing keywords."""
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def is_none_answer(text: str | None) -> bool:
    """True when the whole answer is a "nothing here" word (`None`, `N/A`, `-`, `없음`, `해당 없음`...).

    Case, width, surrounding spaces and a trailing `.` are ignored; a blank answer is not a none-answer.
    """
    if not text:
        return False
    folded = _fold(text)
    return folded in NONE_WORDS or folded.rstrip(".").strip() in NONE_WORDS


def _lines(text: str | None) -> list[tuple[int, str]]:
    """Non-empty lines as (1-based line number, stripped text without a list bullet)."""
    if not text or not text.strip() or is_none_answer(text):
        return []
    out = []
    for no, line in enumerate(text.splitlines(), start=1):
        line = _BULLET_RE.sub("", line.strip()).strip()
        if line and not is_none_answer(line):
            out.append((no, line))
    return out


_DATE_PATTERNS = (
    re.compile(r"(?P<y>\d{4})\s*([-/.])\s*(?P<m>\d{1,2})\s*\2\s*(?P<d>\d{1,2})\.?"),
    re.compile(r"(?:(?P<y>\d{4})\s*년\s*)?(?P<m>\d{1,2})\s*월\s*(?P<d>\d{1,2})\s*일"),
)
_DATE_ANY = r"(?:\d{4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}\.?|(?:\d{4}\s*년\s*)?\d{1,2}\s*월\s*\d{1,2}\s*일)"
_TRAILING_DATE_RE = re.compile(
    rf"^(?P<text>.*?)[\s,;:–—-]*"
    rf"(?:\(\s*(?:(?:due|by|until|마감|기한)\s*:?\s*)?(?P<d1>{_DATE_ANY})\s*(?:까지)?\s*\)"
    rf"|(?<!\w)(?:(?:due|by|until|마감|기한)\s*:?\s*)?(?P<d2>{_DATE_ANY})\s*(?:까지)?)$",
    re.IGNORECASE,
)


def parse_date(text: str, today: date) -> date | None:
    """`2026-12-01`, `2026/12/01`, `2026.12.01`, `2026년 12월 1일`; `12월 1일` is the next such day from
    `today`. None when the text is not one of these or not a real date."""
    s = unicodedata.normalize("NFKC", text).strip()
    for pattern in _DATE_PATTERNS:
        m = pattern.fullmatch(s)
        if not m:
            continue
        month, day = int(m.group("m")), int(m.group("d"))
        try:
            if m.group("y"):
                return date(int(m.group("y")), month, day)
            due = date(today.year, month, day)
            return due if due >= today else date(today.year + 1, month, day)
        except ValueError:
            return None
    return None


def _check_len(line_no: int, value: str, limit: int) -> None:
    if len(value) > limit:
        raise LineError(line_no, "too_long", value)


def _check_count(lines: list[tuple[int, str]], limit: int) -> None:
    if len(lines) > limit:
        no, line = lines[limit]
        raise LineError(no, "too_many", line)


# ----------------------------------------------------------------------------------------------- promises

_PIPE_RE = re.compile(r"\|(?![^<>]*>)")  # not the "|" inside <@U123|jane> or <http://x|label>
_MENTION_RE = re.compile(r"<@(?P<id>[UW][A-Z0-9_]+)(?:\|[^>]*)?>")


def parse_promises(text: str, today: date) -> list[ParsedPromise]:
    """One promise per line: `text | owner | due date`, owner and date optional.

    Also `text | owner`, `text | | 2026-12-01`, `text | 2026-12-01`, and a date at the end of the text
    (`Deliver SSO - 2026-12-01`, `Deliver SSO (due 2026-12-01)`). The owner is a Slack mention `<@U123>`
    (kept as a user id) or free text. Due dates before `today` are rejected (`past_date`).
    Max 20 promises, text up to 300 characters.
    """
    lines = _lines(text)
    _check_count(lines, MAX_PROMISES)
    return [_parse_promise(no, line, today) for no, line in lines]


def _parse_promise(no: int, line: str, today: date) -> ParsedPromise:
    parts = [p.strip() for p in _PIPE_RE.split(line.replace("｜", "|"))]
    if len(parts) > 3:
        raise LineError(no, "bad_format", line)
    body = parts[0]
    owner = parts[1] if len(parts) > 1 else ""
    due_text = parts[2] if len(parts) > 2 else ""
    if len(parts) == 2 and parse_date(owner, today) is not None:
        owner, due_text = "", owner

    due: date | None = None
    if due_text:
        due = parse_date(due_text, today)
        if due is None:
            raise LineError(no, "bad_date", due_text)
    else:
        m = _TRAILING_DATE_RE.match(body)
        if m:
            date_text = m.group("d1") or m.group("d2")
            due = parse_date(date_text, today)
            if due is None:
                raise LineError(no, "bad_date", date_text)
            body = m.group("text").strip()
    if due is not None and due < today:
        raise LineError(no, "past_date", due.isoformat())

    if not body:
        raise LineError(no, "empty_text", line)
    _check_len(no, body, MAX_PROMISE_TEXT)

    owner_user_id = owner_name = None
    mention = _MENTION_RE.fullmatch(owner)
    if mention:
        owner_user_id = mention.group("id")
    elif owner and not is_none_answer(owner):
        _check_len(no, owner, MAX_OWNER_NAME)
        owner_name = owner
    return ParsedPromise(text=body, owner_user_id=owner_user_id, owner_name=owner_name, due_date=due)


# ------------------------------------------------------------------------------------------- stakeholders

_ROLE_ALIASES: dict[str, tuple[str, ...]] = {
    "economic_buyer": (
        "economic buyer",
        "eb",
        "buyer",
        "decision maker",
        "budget owner",
        "경제적 구매자",
        "구매자",
        "구매 결정권자",
        "결정권자",
        "의사결정권자",
        "예산 책임자",
    ),
    "champion": ("champion", "internal champion", "챔피언", "내부 챔피언", "내부 지지자"),
    "day_to_day": (
        "day to day",
        "day to day contact",
        "daily contact",
        "primary contact",
        "main contact",
        "point of contact",
        "poc",
        "실무 담당자",
        "실무자",
        "일상 담당자",
        "주 담당자",
        "담당자",
    ),
    "technical": (
        "technical",
        "technical contact",
        "tech contact",
        "tech lead",
        "it contact",
        "기술 담당자",
        "기술 담당",
        "기술 연락처",
        "기술 책임자",
    ),
}


def _role_token(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


_ROLE_LOOKUP = {_role_token(alias): key for key, aliases in _ROLE_ALIASES.items() for alias in aliases}

_EMAIL_RE = re.compile(r"[^@\s<>(),;:\"']+@[^@\s<>(),;:\"']+\.[^@\s<>(),;:\"'.][^@\s<>(),;:\"']*")
_NAMED_EMAIL_RE = re.compile(r"(?P<name>[^<>]*?)\s*<(?P<email>[^<>]+)>")
_MAILTO_RE = re.compile(r"<mailto:[^|>]+\|([^>]+)>")


def role_key(role: str | None) -> str | None:
    """Normalise a role as typed (en/ko) to one of ROLE_KEYS, or None when unknown."""
    if not role:
        return None
    return _ROLE_LOOKUP.get(_role_token(role))


def parse_stakeholders(text: str) -> list[ParsedStakeholder]:
    """One stakeholder per line: `Role: Name, Title, email`; role, title and email optional.

    `Champion: Jane Kim, VP Ops, jane@acme.com`, `Jane Kim, CTO`,
    `경제적 구매자: 김민수, 대표이사, ms@acme.co.kr`; `Name <email>` also works.
    A comma inside the title is kept (`Jane, VP, Ops` -> title `VP, Ops`). Max 20 lines,
    name and title up to 100 characters. A line whose name is a none-word (`Technical: n/a`) is skipped.
    """
    lines = _lines(text)
    _check_count(lines, MAX_STAKEHOLDERS)
    rows = (_parse_stakeholder(no, line) for no, line in lines)
    return [row for row in rows if row is not None]


def _parse_stakeholder(no: int, line: str) -> ParsedStakeholder | None:
    typed_line = line
    line = _MAILTO_RE.sub(r"\1", line).replace("：", ":").replace("，", ",")
    role: str | None = None
    head, sep, rest = line.partition(":")
    if sep and "," not in head and "@" not in head and len(head.strip()) <= MAX_ROLE:
        role = head.strip() or None
        line = rest
    parts = [p.strip() for p in line.split(",")]

    email: str | None = None
    email_at = [i for i, p in enumerate(parts) if "@" in p]
    if len(email_at) > 1:
        raise LineError(no, "bad_email", parts[email_at[1]])
    if email_at:
        i = email_at[0]
        typed = parts[i]
        named = _NAMED_EMAIL_RE.fullmatch(typed)  # "Jane Kim <jane@acme.com>"
        if named:
            email, parts[i] = named.group("email").strip(), named.group("name").strip()
            if not parts[i]:
                del parts[i]
        else:
            email = typed
            del parts[i]
        if len(email) > MAX_EMAIL or not _EMAIL_RE.fullmatch(email):
            raise LineError(no, "bad_email", typed)

    name = parts[0] if parts else ""
    title = ", ".join(p for p in parts[1:] if p) or None
    if is_none_answer(name) and not title and not email:
        return None  # "Technical: n/a"
    if not name:
        raise LineError(no, "empty_name", typed_line)
    _check_len(no, name, MAX_NAME)
    if title:
        _check_len(no, title, MAX_TITLE)
    return ParsedStakeholder(role=role, name=name, title=title, email=email, role_key=role_key(role))


# --------------------------------------------------------------------------------------- success criteria

_CRITERION_RE = re.compile(r"(?P<metric>[^:]*):(?P<baseline>.*?)(?:->|→|=>|⇒|➔|➜)(?P<target>.*)")


def parse_success_criteria(text: str) -> list[ParsedCriterion]:
    """Up to 3 lines, each free text or `metric: baseline -> target` (`→` also works).

    `Onboarding time: 30 days -> 7 days` gives metric/baseline/target; an empty baseline is allowed
    (`NPS: -> 50`), an empty metric or target is `bad_format`. A line with no colon or arrow is free text.
    """
    lines = _lines(text)
    _check_count(lines, MAX_CRITERIA)
    return [_parse_criterion(no, line) for no, line in lines]


def _parse_criterion(no: int, line: str) -> ParsedCriterion:
    _check_len(no, line, MAX_CRITERION_TEXT)
    m = _CRITERION_RE.fullmatch(line.replace("：", ":"))
    if not m:
        return ParsedCriterion(text=line, metric=None, baseline=None, target=None)
    metric, baseline, target = (m.group(g).strip() for g in ("metric", "baseline", "target"))
    if not metric or not target:
        raise LineError(no, "bad_format", line)
    _check_len(no, metric, MAX_METRIC)
    return ParsedCriterion(text=line, metric=metric, baseline=baseline or None, target=target)
