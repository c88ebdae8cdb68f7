"""Block Kit for the weekly at-risk digest: one channel message plus, when the list is long, thread replies.

The message holds the header with the totals, the week's band crossings, overdue onboarding and the worst
FIRST_CUSTOMERS customers, each with an Open card button (a section accessory: no extra block). The other
customers follow in thread replies ("Part 2 of n"), dense: up to LINES_PER_SECTION customers per section and
PART_CUSTOMERS per reply, at most MAX_REPLIES replies; beyond that one line says how many were left out (they
are still in the totals). Whatever the data (500+ customers, 255-character names, Korean), every part stays
within Slack's limits: 50 blocks, section text 3,000, header 150, button text 75.
"""

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, SectionBlock

from bot.blocks import customer as cb
from bot.blocks.kit import SECTION_LIMIT, mrkdwn, plain, points, section
from bot.blocks.reminders import open_card_button
from bot.i18n import format_date, format_range, t, t_count
from bot.money import combined_short, format_amount_short
from bot.text import escape_mrkdwn, truncate
from bot.viewdata import health
from bot.viewdata.digest import SCORE_WINDOW_DAYS, Crossing, Digest, Line, OverdueTask
from bot.viewdata.parts import Part

FIRST_CUSTOMERS = 10  # in the channel message, each with an Open card button
LINES_PER_SECTION = 10  # in the thread replies
PART_CUSTOMERS = 100  # per thread reply
MAX_REPLIES = 10
MAX_BLOCKS = 50
HEADER_LIMIT = 150
NAME_LIMIT = 80  # a customer's name in a line
LIST_NAME_LIMIT = 40  # a name in the crossings lists
MAX_OVERDUE = 10  # onboarding items listed; the rest counted
LINE_LIMIT = 600  # one customer line, whatever its parts (a section holds at least 4)
EMOJI = {health.UNHEALTHY: "🔴", health.AT_RISK: "🟠", health.HEALTHY: "🟢"}
BANDS = (health.UNHEALTHY, health.AT_RISK)
MAX_OWNERS = 40  # owners mentioned in the summary line (a mention is ~15 characters); the rest counted
STALE_TOUCH_DAYS = 30  # a last touch this old is flagged ⚠️


def _name(name: str, limit: int = NAME_LIMIT) -> str:
    return escape_mrkdwn(truncate(name, limit))


def _n(count: int) -> str:
    return f"{count:,}"


def _owner(user_id: str | None, email: str | None, locale: str) -> str:
    if user_id:
        return f"<@{user_id}>"
    if email:
        return escape_mrkdwn(truncate(email, 100))
    return t(locale, "digest.no_owner")


def _change(change: float | None) -> str:
    """` ▼12`, ` ▲4`, ` ±0` in whole points; empty when there was no score a week before."""
    if change is None:
        return ""
    shown = points(abs(change))
    if shown == "0":
        return " ±0"
    return f" {'▲' if change > 0 else '▼'}{shown}"


def _renewal(days: int | None, locale: str) -> str | None:
    if days is None:
        return None
    if days > 0:
        return t_count(locale, "digest.renewal.in", days, days=days)
    if days == 0:
        return t(locale, "digest.renewal.today")
    return t_count(locale, "digest.renewal.past", -days, days=-days)


def _row_owner(line: Line, locale: str) -> str:
    """The owner in a row, by name (the summary line mentions each owner once); a mention only when Baton has
    never seen the user's name."""
    if line.owner_name:
        return escape_mrkdwn(truncate(line.owner_name, 60))
    return _owner(line.owner_user_id, line.owner_email, locale)


def _touch(line: Line, today: date | None, touches: bool, locale: str) -> str | None:
    """How long ago the customer was last touched (Log a touch); "no touch logged" only for a team that logs them."""
    if line.last_touch is None or today is None:
        return t(locale, "digest.touch.none") if touches else None
    days = (today - line.last_touch).days
    if days <= 0:
        return t(locale, "digest.touch.today")
    key = "digest.touch.stale" if days >= STALE_TOUCH_DAYS else "digest.touch.ago"
    return t_count(locale, key, days)


def customer_line(line: Line, locale: str, *, today: date | None = None, touches: bool = False) -> str:
    """One customer: name, score and change, top driver, owner (by name), ARR, days to renewal and the last touch
    (at most LINE_LIMIT)."""
    pieces = [
        f"*{_name(line.name)}*",
        t(locale, "digest.score", score=points(line.score), change=_change(line.change)),
    ]
    if line.driver is not None:
        pieces.append(
            t(
                locale,
                "digest.driver",
                signal=cb.signal_label(line.driver.signal, locale),
                value=cb.signal_value(line.driver.signal, line.driver.value, locale),
            )
        )
    pieces.append(_row_owner(line, locale))
    if line.arr is not None and line.currency:
        pieces.append(t(locale, "digest.arr_value", amount=format_amount_short(line.arr, line.currency, locale)))
    for extra in (_renewal(line.days_to_renewal, locale), _touch(line, today, touches, locale)):
        if extra:
            pieces.append(extra)
    return truncate(" · ".join(pieces), LINE_LIMIT)


def _owners(d: Digest, locale: str) -> ContextBlock | None:
    """One mention per owner of the listed customers, with how many each owns, most first; then how many have
    no owner. Within a context element's 3,000 characters (at most MAX_OWNERS mentions)."""
    if not d.lines:
        return None
    shown = [t(locale, "digest.owners.one", user=f"<@{uid}>", count=_n(n)) for uid, n in d.owners[:MAX_OWNERS]]
    if len(d.owners) > MAX_OWNERS:
        shown.append(t(locale, "digest.owners.more", count=_n(len(d.owners) - MAX_OWNERS)))
    unowned = sum(1 for line in d.lines if not line.owner_user_id)
    if unowned:
        shown.append(t(locale, "digest.owners.none", count=_n(unowned)))
    return ContextBlock(
        elements=[mrkdwn(truncate(t(locale, "digest.owners", owners=" · ".join(shown)), SECTION_LIMIT))]
    )


def _band_name(band: str, locale: str) -> str:
    return cb.band_label(band, locale)


def _sections(lines: Sequence[str]) -> list[SectionBlock]:
    """Lines packed into sections: at most LINES_PER_SECTION each, within Slack's 3,000 characters."""
    out: list[SectionBlock] = []
    text, count = "", 0
    for line in lines:
        if text and (count == LINES_PER_SECTION or len(text) + 1 + len(line) > SECTION_LIMIT):
            out.append(section(text))
            text, count = "", 0
        text = f"{text}\n{line}" if text else line
        count += 1
    if text:
        out.append(section(text))
    return out


def _names(crossings: Sequence[Crossing], budget: int, locale: str) -> str:
    """Names joined with commas within `budget` characters, then "… and N more"."""
    shown: list[str] = []
    used = 0
    for i, c in enumerate(crossings):
        name = _name(c.name, LIST_NAME_LIMIT)
        rest = len(crossings) - i - 1
        reserve = len(t(locale, "digest.and_more", names="", count=len(crossings))) if rest else 0
        if used + len(name) + 2 + reserve > budget:
            return t(locale, "digest.and_more", names=", ".join(shown), count=_n(len(crossings) - len(shown)))
        shown.append(name)
        used += len(name) + 2
    return ", ".join(shown)


def _crossings(d: Digest, locale: str) -> SectionBlock | None:
    groups = [
        ("digest.crossings.newly", d.newly_at_risk),
        ("digest.crossings.worsened", d.worsened),
        ("digest.crossings.recovered", d.recovered),
    ]
    groups = [(key, items) for key, items in groups if items]
    if not groups:
        return None
    title = t(locale, "digest.crossings.title")
    budget = (SECTION_LIMIT - len(title) - 20) // len(groups) - 60
    lines = [title]
    for key, items in groups:
        lines.append(t(locale, key, count=_n(len(items)), names=_names(items, budget, locale)))
    return section("\n".join(lines))


MILESTONES = {
    "kickoff": "digest.milestone.kickoff",
    "activation": "digest.milestone.activation",
    "training": "digest.milestone.training",
}


def _milestone(task: OverdueTask, locale: str) -> str:
    key = MILESTONES.get(task.milestone)
    return t(locale, key) if key else escape_mrkdwn(truncate(task.milestone, 50))


def _overdue(tasks: Sequence[OverdueTask], locale: str) -> SectionBlock | None:
    if not tasks:
        return None
    lines = [t(locale, "digest.overdue.title", count=_n(len(tasks)))]
    for task in tasks[:MAX_OVERDUE]:
        lines.append(
            t(
                locale,
                "digest.overdue.line",
                name=_name(task.customer_name, 60),
                milestone=_milestone(task, locale),
                days=task.days_overdue,
                date=format_date(task.due_date, locale),
                owner=_owner(task.owner_user_id, None, locale),
            )
        )
    if len(tasks) > MAX_OVERDUE:
        lines.append(t(locale, "digest.more", count=_n(len(tasks) - MAX_OVERDUE)))
    return section("\n".join(lines))


def _amounts(arr: dict[str, Decimal], locale: str, fx=None) -> str:
    return combined_short(arr, locale, fx)


def _summary(d: Digest, locale: str) -> list[Block]:
    if d.scored == 0:
        return [section(t(locale, "digest.no_scores", days=SCORE_WINDOW_DAYS, date=format_date(d.day, locale)))]
    if d.empty:
        return [section(t(locale, "digest.none", scored=_n(d.scored)))]
    bands = " · ".join(
        t(locale, "digest.summary.band", emoji=EMOJI[b], band=_band_name(b, locale), count=_n(d.counts.get(b, 0)))
        for b in BANDS
    )
    text = t(locale, "digest.summary", count=_n(d.total), scored=_n(d.scored), bands=bands)
    if d.arr_at_risk or d.without_arr:
        amounts = _amounts(d.arr_at_risk, locale, d.fx) or "—"
        if d.without_arr:
            amounts = f"{amounts} {t(locale, 'digest.arr.without', count=_n(d.without_arr))}"
        text += "\n" + t(locale, "digest.arr", amounts=amounts)
    return [section(text)]


def _week(d: Digest, locale: str, *, year: bool = True) -> str:
    """The seven days the digest looks back over, ending on its day: `Nov 30 – Dec 6, 2026`."""
    return format_range(d.day - timedelta(days=6), d.day, locale, year=year)


def _text(d: Digest, locale: str) -> str:
    week = _week(d, locale, year=False)
    if d.empty:
        return t(locale, "digest.text.none", week=week)
    return t(
        locale,
        "digest.text",
        week=week,
        unhealthy=d.counts.get(health.UNHEALTHY, 0),
        at_risk=d.counts.get(health.AT_RISK, 0),
    )


URGENT = "urgent"  # the group of the customers that need action this week, listed before the bands


def _group_of(line: Line) -> str:
    return URGENT if line.urgent else line.band


def _groups(lines: Sequence[tuple[int, Line]]) -> list[tuple[str, list[tuple[int, Line]]]]:
    """Consecutive runs of one group (needs action, then each band): [(group, [(rank in it, line), ...]), ...]."""
    out: list[tuple[str, list[tuple[int, Line]]]] = []
    for rank, line in lines:
        if not out or out[-1][0] != _group_of(line):
            out.append((_group_of(line), []))
        out[-1][1].append((rank, line))
    return out


def _ranked(lines: Sequence[Line]) -> list[tuple[int, Line]]:
    """Each line with its 1-based rank within its group (needs action first, then the bands, worst first)."""
    seen: dict[str, int] = {}
    out = []
    for line in lines:
        group = _group_of(line)
        seen[group] = seen.get(group, 0) + 1
        out.append((seen[group], line))
    return out


def _group_count(d: Digest, group: str) -> int:
    """How many customers a group has in all: those needing action, or a band's others."""
    if group == URGENT:
        return d.urgent
    return d.counts.get(group, 0) - d.urgent_by_band.get(group, 0)


def _group_head(group: str, locale: str, count: int) -> str:
    if group == URGENT:
        return t(locale, "digest.urgent", count=_n(count))
    return t(locale, "digest.band", emoji=EMOJI[group], band=_band_name(group, locale), count=_n(count))


def _group_range(group: str, locale: str, first: int, last: int, count: int) -> str:
    if group == URGENT:
        return t(locale, "digest.urgent.range", first=_n(first), last=_n(last), count=_n(count))
    return t(
        locale,
        "digest.band.range",
        emoji=EMOJI[group],
        band=_band_name(group, locale),
        first=_n(first),
        last=_n(last),
        count=_n(count),
    )


def first_part(d: Digest, locale: str, ranked: Sequence[tuple[int, Line]], in_thread: int) -> Part:
    blocks: list[Block] = [HeaderBlock(text=plain(t(locale, "digest.header", week=_week(d, locale)), HEADER_LIMIT))]
    blocks += _summary(d, locale)
    if d.scored:
        as_of = t(
            locale,
            "digest.as_of",
            date=format_date(d.day, locale),
            week_ago=format_date(d.day - timedelta(days=7), locale),
        )
        blocks.append(ContextBlock(elements=[mrkdwn(as_of)]))
    owners = _owners(d, locale)
    if owners is not None:
        blocks.append(owners)
    for extra in (_crossings(d, locale), _overdue(d.overdue, locale)):
        if extra is not None:
            blocks.append(extra)
    shown = ranked[:FIRST_CUSTOMERS]
    if shown:
        blocks.append(DividerBlock())
    for group, items in _groups(shown):
        blocks.append(section(_group_head(group, locale, _group_count(d, group))))
        for _rank, line in items:
            blocks.append(
                SectionBlock(
                    text=mrkdwn(customer_line(line, locale, today=d.day, touches=d.touches)),
                    accessory=open_card_button(line.customer_id, locale),
                )
            )
    if in_thread:
        blocks.append(ContextBlock(elements=[mrkdwn(t(locale, "digest.thread_more", count=_n(in_thread)))]))
    return Part(_text(d, locale), [b.to_dict() for b in blocks])


def thread_part(
    d: Digest, locale: str, items: Sequence[tuple[int, Line]], number: int, parts: int, not_listed: int
) -> Part:
    week = _week(d, locale, year=False)
    blocks: list[Block] = [ContextBlock(elements=[mrkdwn(t(locale, "digest.part", part=number, parts=parts))])]
    for key, group in _groups(items):
        blocks.append(section(_group_range(key, locale, group[0][0], group[-1][0], _group_count(d, key))))
        blocks += _sections(
            [f"• {customer_line(line, locale, today=d.day, touches=d.touches)}" for _rank, line in group]
        )
    if not_listed:
        blocks.append(ContextBlock(elements=[mrkdwn(t(locale, "digest.not_listed", count=_n(not_listed)))]))
    if len(blocks) > MAX_BLOCKS:  # cannot happen with the constants above; a builder bug if it does
        raise ValueError(f"digest part {number} has {len(blocks)} blocks")
    return Part(t(locale, "digest.text.part", week=week, part=number, parts=parts), [b.to_dict() for b in blocks])


def digest_parts(d: Digest, locale: str) -> list[Part]:
    """The digest as Slack messages: the channel message, then its thread replies in order."""
    ranked = _ranked(d.lines)
    rest = ranked[FIRST_CUSTOMERS:]
    chunks = [rest[i : i + PART_CUSTOMERS] for i in range(0, len(rest), PART_CUSTOMERS)][:MAX_REPLIES]
    listed = sum(len(c) for c in chunks)
    not_listed = d.total - len(ranked[:FIRST_CUSTOMERS]) - listed  # lines beyond MAX_LINES were never built
    parts = [first_part(d, locale, ranked, listed)]
    total = 1 + len(chunks)
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        parts.append(thread_part(d, locale, chunk, i + 2, total, not_listed if last else 0))
    return parts
