"""Block Kit for App Home: a person's book and what waits for them, with the quick actions and the help."""

import json
import re
from collections.abc import Mapping
from datetime import time
from decimal import Decimal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    ExternalDataSelectElement,
    HeaderBlock,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks import kit
from bot.blocks.customer import BAND_EMOJI, band_label
from bot.blocks.kit import mrkdwn, plain, points, section
from bot.blocks.kpi import kpi_summary
from bot.i18n import format_date, format_time, t, t_count
from bot.money import combined_short, format_amount_short
from bot.text import escape_mrkdwn, truncate
from bot.viewdata import home as vh

START_HANDOFF = "home_start_handoff"  # opens the handoff form
LOG_VOC = "home_log_voc"  # opens the Log VoC form
LOOKUP = "home_lookup"  # external select: the picked customer's card arrives in the DM with Baton
OPEN_CARD = "home_open_card"  # value {"c": customer id}: the card in the DM with Baton
PROMISE_DONE = "home_promise_done"  # value: the promise id
LINK = "home_link"  # a link button (the handoff card): Slack still sends the click, acked and ignored
FILL = "handoff_fill"  # the CRM draft's Fill handoff (bot/blocks/handoff.py), value: the handoff id
ACTIONS_BLOCK = "home_actions"
MAX_VIEW_BLOCKS = 100
SECTION_KEYS = {  # each section's heading, and its words in the one line the empty sections fold into
    "at_risk": ("home.at_risk.title", "home.at_risk.none"),
    "renewals": ("home.renewals.title", "home.renewals.none"),
    "promises": ("home.promises.title", "home.promises.none"),
    "handoffs": ("home.handoffs.title", "home.handoffs.none"),
    "tasks": ("home.tasks.title", "home.tasks.none"),
}
NAME_LIMIT = 100


def _name(name: str) -> str:
    return f"*{escape_mrkdwn(truncate(name, NAME_LIMIT))}*"


def _card_button(customer_id: int, locale: str) -> ButtonElement:
    value = kit.button_value(json.dumps({"c": customer_id}, separators=(",", ":")))
    return ButtonElement(text=plain(t(locale, "home.button.card")), action_id=OPEN_CARD, value=value)


def _money(c: vh.BookCustomer, locale: str) -> str | None:
    return format_amount_short(c.arr, c.currency, locale) if c.arr is not None and c.currency else None


def _renews(days: int | None, locale: str) -> str | None:
    if days is None or days < 0:
        return None
    if days == 0:
        return t(locale, "home.renews.today")
    return t_count(locale, "home.renews.in", days, days=days)


def _dot(*parts: str | None) -> str:
    return " · ".join(p for p in parts if p)


def _customer_row(c: vh.BookCustomer, locale: str, *, band_first: bool) -> Block:
    health = None
    if c.band and c.score is not None:
        health = f"{BAND_EMOJI.get(c.band, '⚪')} {band_label(c.band, locale)} {points(c.score)}"
    when = _renews(c.days_to_renewal, locale)
    bits = (health, _money(c, locale), when) if band_first else (when, health, _money(c, locale))
    return SectionBlock(text=mrkdwn(_dot(_name(c.name), *bits)), accessory=_card_button(c.customer_id, locale))


def _more(total: int, shown: int, locale: str) -> list[Block]:
    if total <= shown:
        return []
    return [ContextBlock(elements=[mrkdwn(t(locale, "home.more", count=f"{total - shown:,}"))])]


def _head(
    key: str, total: int, locale: str, arr: Mapping[str, Decimal] | None = None, fx: vh.Fx | None = None
) -> Block:
    """A section's heading with its count and, for the customer sections, their total ARR (one total with the
    team's rates, as the digest writes it: `ARR ≈ $1.1M ($240K + ₩1.2B)`)."""
    text = t(locale, key, count=f"{total:,}")
    if arr:
        text += " · " + t(locale, "home.arr", amounts=combined_short(arr, locale, fx))
    return section(text)


def _promise_row(p: vh.OpenPromise, locale: str) -> Block:
    due = None
    if p.due_date is not None:
        due = (
            t_count(
                locale,
                "home.promise.overdue",
                p.days_overdue,
                date=format_date(p.due_date, locale),
                days=p.days_overdue,
            )
            if p.days_overdue
            else t(locale, "home.promise.due", date=format_date(p.due_date, locale))
        )
    text = _dot(_name(p.customer), f"“{escape_mrkdwn(truncate(p.text, 300))}”", due)
    button = ButtonElement(
        text=plain(t(locale, "home.button.done")), action_id=PROMISE_DONE, value=str(p.promise_id), style="primary"
    )
    return SectionBlock(text=mrkdwn(text), accessory=button)


def _handoff_row(h: vh.WaitingHandoff, locale: str) -> Block:
    since = format_date(h.since, locale)
    if h.why == "fill":
        text = _dot(_name(h.customer), t(locale, "home.handoff.fill", date=since))
        button = ButtonElement(text=plain(t(locale, "home.button.fill")), action_id=FILL, value=str(h.handoff_id))
    else:
        text = _dot(_name(h.customer), t(locale, "home.handoff.accept", date=since))
        if h.url is None:
            return section(text)
        button = ButtonElement(text=plain(t(locale, "home.button.open_card")), url=h.url, action_id=LINK)
    return SectionBlock(text=mrkdwn(text), accessory=button)


def _task_row(task: vh.Task, locale: str) -> Block:
    late = t_count(
        locale, "home.task.late", task.days_overdue, days=task.days_overdue, date=format_date(task.due_date, locale)
    )
    return section(_dot(_name(task.customer), escape_mrkdwn(truncate(task.milestone, 200)), late))


def home_view(home: vh.Home, locale: str) -> View:
    """The Home tab: quick actions, then each non-empty section with its count (ten rows at most, the rest
    counted), the empty ones folded into one line, then the help."""
    blocks: list[Block] = [
        HeaderBlock(text=plain(t(locale, "home.header"), 150)),
        ContextBlock(elements=[mrkdwn(t(locale, "home.today", date=format_date(home.today, locale)))]),
        ActionsBlock(
            block_id=ACTIONS_BLOCK,
            elements=[
                ButtonElement(
                    text=plain(t(locale, "home.button.handoff")), action_id=START_HANDOFF, value="new", style="primary"
                ),
                ButtonElement(text=plain(t(locale, "home.button.voc")), action_id=LOG_VOC, value="new"),
                ExternalDataSelectElement(
                    action_id=LOOKUP, placeholder=plain(t(locale, "home.lookup"), 150), min_query_length=1
                ),
            ],
        ),
        DividerBlock(),
    ]
    empty: list[str] = []
    drawers = {
        "at_risk": lambda r: _customer_row(r, locale, band_first=True),
        "renewals": lambda r: _customer_row(r, locale, band_first=False),
        "promises": lambda r: _promise_row(r, locale),
        "handoffs": lambda r: _handoff_row(r, locale),
        "tasks": lambda r: _task_row(r, locale),
    }
    for name, draw in drawers.items():
        title, none = SECTION_KEYS[name]
        rows, total = getattr(home, name)[: vh.MAX_ROWS], home.total(name)
        if not total:
            empty.append(t(locale, none))
            continue
        blocks.append(_head(title, total, locale, home.arr.get(name), home.fx))
        blocks.extend(draw(r) for r in rows)
        blocks.extend(_more(total, len(rows), locale))
    if empty:
        blocks.append(ContextBlock(elements=[mrkdwn("✅ " + " · ".join(empty))]))
    if home.kpis is not None:
        blocks += [DividerBlock(), section(kpi_summary(home.kpis, locale))]
    if home.admin is not None:
        blocks += [DividerBlock(), *admin_blocks(home.admin, locale)]
    blocks += [DividerBlock(), section(t(locale, "help.text"))]
    return View(type="home", blocks=blocks[:MAX_VIEW_BLOCKS])


# --- the settings summary (workspace admins and owners) ---------------------------------------------------

DAYS = {  # crontab and meeting.day weekdays -> their names
    "mon": "home.admin.day.mon",
    "tue": "home.admin.day.tue",
    "wed": "home.admin.day.wed",
    "thu": "home.admin.day.thu",
    "fri": "home.admin.day.fri",
    "sat": "home.admin.day.sat",
    "sun": "home.admin.day.sun",
}
_CRON_DAYS = dict(zip("01234567", ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"), strict=True))
LANGUAGES = {"en": "home.admin.lang.en", "ko": "home.admin.lang.ko"}
ADMIN_LINE = 400  # characters of one setting's line (ten lines stay well within a section's 3,000)


def _code(*keys: str) -> str:
    return " ".join(f"`{k}`" for k in keys)


def _channels(ids: tuple[str, ...] | list[str]) -> str:
    """Channel mentions (the ids were checked when set: `C…` / `G…` only)."""
    return ", ".join(f"<#{c}>" for c in ids if re.fullmatch(r"[CG][A-Z0-9]{2,31}", c))


def _channel(channel: str | None, locale: str) -> str:
    return _channels([channel]) if channel else t(locale, "home.admin.unset")


def _day(day: str, locale: str) -> str:
    return t(locale, DAYS[day]) if day in DAYS else escape_mrkdwn(day)


def _weekly(cron: str) -> tuple[str, time] | None:
    """(weekday, time) of a crontab that fires once a week at one time (`0 9 * * mon`); None for anything else
    (`0 9 1-7 * mon`), which is shown as it is."""
    parts = cron.lower().split()
    if len(parts) != 5 or parts[2:4] != ["*", "*"] or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    minute, hour, dow = int(parts[0]), int(parts[1]), parts[4]
    day = _CRON_DAYS.get(dow) or (dow if dow in DAYS else None)
    if day is None or hour > 23 or minute > 59:
        return None
    return day, time(hour, minute)


def _digest(a: vh.AdminSettings, locale: str) -> str:
    if not a.digest_channels:
        return t(locale, "home.admin.digest.off")
    found = _weekly(a.digest_schedule)
    channels = _channels(a.digest_channels)
    if found is None:
        cron = a.digest_schedule.replace("`", "'")
        return t(locale, "home.admin.digest.cron", channels=channels, cron=escape_mrkdwn(cron))
    return t(
        locale,
        "home.admin.digest.when",
        channels=channels,
        day=_day(found[0], locale),
        time=format_time(found[1], locale),
    )


def _days(days: tuple[int, ...], locale: str) -> str:
    return ", ".join(f"D-{d}" if locale == "ko" else f"{d}" for d in days)


def _meeting(a: vh.AdminSettings, locale: str) -> str:
    if not a.meeting_channel:
        return t(locale, "home.admin.meeting.off")
    key = "home.admin.meeting.monthly" if a.meeting_cadence == "monthly" else "home.admin.meeting.biweekly"
    day, clock = _day(a.meeting_day, locale), format_time(a.meeting_time, locale)
    return t(locale, key, day=day, time=clock, channel=_channel(a.meeting_channel, locale))


def _fx(a: vh.AdminSettings, locale: str) -> str:
    if a.fx is None:
        return t(locale, "home.admin.fx.off")
    base, pairs = a.fx
    rates = f"{base}: " + ", ".join(f"{code}={rate}" for code, rate in pairs)
    return t(locale, "home.admin.fx", rates=f"`{escape_mrkdwn(rates)}`", base=escape_mrkdwn(base))


def _is_set(value: bool, locale: str) -> str:
    return t(locale, "home.admin.set" if value else "home.admin.unset")


def _health(a: vh.AdminSettings, locale: str) -> str:
    if not a.health_config:
        return t(locale, "home.admin.health.builtin")
    path = a.health_config.replace("`", "'")
    return f"`{escape_mrkdwn(truncate(path, 200))}`"


def _admin_lines(a: vh.AdminSettings, locale: str) -> list[str]:
    """One line per setting, each ending with the key (or variable) that changes it; never a secret's value."""
    ae = t(locale, "home.admin.renewals.ae", days=_days(a.renewal_ae_days, locale)) if a.renewal_ae_days else ""
    language = t(locale, LANGUAGES[a.locale]) if a.locale in LANGUAGES else escape_mrkdwn(a.locale)
    crm = t(
        locale,
        "home.admin.crm",
        token=_is_set(a.hubspot_token, locale),
        hubspot=_is_set(a.hubspot_webhooks, locale),
        other=_is_set(a.crm_webhook, locale),
    )
    lines = [
        (t(locale, "home.admin.handoff", value=_channel(a.handoff_channel, locale)), ("BATON_HANDOFF_CHANNEL",)),
        (t(locale, "home.admin.digest", value=_digest(a, locale)), ("digest.channels", "digest.schedule")),
        (
            t(
                locale,
                "home.admin.renewals",
                days=_days(a.renewal_days, locale),
                ae=ae,
                time=format_time(a.reminders_time, locale),
            ),
            ("renewal.days", "renewal.ae_days", "reminders.time"),
        ),
        (
            t(locale, "home.admin.meeting", value=_meeting(a, locale)),
            ("meeting.channel", "meeting.cadence", "meeting.day", "meeting.time"),
        ),
        (
            t(locale, "home.admin.zone", zone=escape_mrkdwn(a.timezone), language=language),
            ("timezone", "locale"),
        ),
        (_fx(a, locale), ("fx.rates",)),
        (crm, ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_CLIENT_SECRET", "BATON_WEBHOOK_SECRET")),
        (t(locale, "home.admin.health", value=_health(a, locale)), ("BATON_HEALTH_CONFIG",)),
        (t(locale, "home.admin.roadmap", value=_channel(a.roadmap_channel, locale)), ("BATON_ROADMAP_CHANNEL",)),
    ]
    out = [f"• {truncate(text, ADMIN_LINE)} · {_code(*keys)}" for text, keys in lines]
    if a.refused:
        keys = _code(*(k for k in a.refused if re.fullmatch(r"[a-z_.]{1,40}", k)))
        out.append(truncate(t(locale, "home.admin.refused", keys=keys), ADMIN_LINE))
    return out


def admin_blocks(a: vh.AdminSettings, locale: str) -> list[Block]:
    """The settings summary: a heading, one line per setting, and how to change them."""
    text = t(locale, "home.admin.title") + "\n" + "\n".join(_admin_lines(a, locale))
    return [section(text), ContextBlock(elements=[mrkdwn(t(locale, "home.admin.how"))])]
