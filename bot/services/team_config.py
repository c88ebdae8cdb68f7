"""Per-team schedule settings: documented defaults, overridden per team in the database.

`python -m bot config set KEY VALUE` writes a `team_settings` row; the worker reads the settings on every
tick, so a change applies from the next tick without a deploy. Every value is validated here, once, so a
bad value is refused when it is set and never breaks the worker.
"""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import delete
from sqlmodel import Session, col, select

from bot.models import TeamSetting

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,31}")
_USER = re.compile(r"[UW][A-Z0-9]{2,31}")
log = logging.getLogger("baton.config")


class ConfigValueError(ValueError):
    """A setting's value is malformed; the message says what a good value looks like."""


def _tz(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigValueError("an IANA time zone such as Asia/Seoul, Europe/Berlin or UTC") from exc
    return value


def _cron(value: str) -> str:
    try:
        CronTrigger.from_crontab(value, timezone="UTC")
    except ValueError as exc:
        raise ConfigValueError(
            f"a crontab expression (minute hour day month weekday), e.g. '0 9 * * mon': {exc}"
        ) from exc
    return " ".join(value.split())


# The weekly check looks at the fires of four years from a Monday (a leap year included), a few hundred at most.
_CHECK_FROM, _CHECK_UNTIL = datetime(2024, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)


def _weekly_cron(value: str) -> str:
    """A crontab expression that fires at most once in any week (Monday to Sunday), and fires at all."""
    clean = _cron(value)
    trigger = CronTrigger.from_crontab(clean, timezone="UTC")
    nxt = trigger.get_next_fire_time(None, _CHECK_FROM)
    if nxt is None:
        raise ConfigValueError(f"a crontab expression that fires: '{clean}' never does (e.g. '0 9 * * mon')")
    seen: dict[tuple[int, int], datetime] = {}
    while nxt is not None and nxt < _CHECK_UNTIL:
        week = nxt.isocalendar()[:2]
        if week in seen:
            raise ConfigValueError(
                "a crontab expression that fires at most once a week, e.g. '0 9 * * mon' (Mondays 09:00) or "
                f"'0 9 1-7 * mon' (the first Monday of each month): the digest is weekly, and '{clean}' fires "
                f"more often (e.g. {seen[week]:%a %Y-%m-%d %H:%M} and {nxt:%a %H:%M})"
            )
        seen[week] = nxt
        nxt = trigger.get_next_fire_time(nxt, nxt + timedelta(seconds=1))
    return clean


def _clock(value: str) -> str:
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
    if not m:
        raise ConfigValueError("a time of day as HH:MM, e.g. 09:00")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def _hours_range(value: str) -> str:
    parts = value.replace(" ", "").split("-")
    if len(parts) != 2:
        raise ConfigValueError("working hours as HH:MM-HH:MM, e.g. 09:00-18:00")
    start, end = _clock(parts[0]), _clock(parts[1])
    if start >= end:
        raise ConfigValueError("working hours must end after they start, e.g. 09:00-18:00")
    return f"{start}-{end}"


def _days_list(value: str) -> str:
    try:
        days = sorted({int(p) for p in value.replace(" ", "").split(",") if p}, reverse=True)
    except ValueError as exc:
        raise ConfigValueError("whole numbers of days separated by commas, e.g. 120,90,60,30") from exc
    if not days or any(d < 1 or d > 730 for d in days):
        raise ConfigValueError("between 1 and 730 days each, e.g. 120,90,60,30")
    return ",".join(str(d) for d in days)


def _optional_days_list(value: str) -> str:
    return "" if value.strip() in ("", "none", "-") else _days_list(value)


def _int_range(lo: int, hi: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        try:
            n = int(value.strip())
        except ValueError as exc:
            raise ConfigValueError(f"a whole number from {lo} to {hi}") from exc
        if not lo <= n <= hi:
            raise ConfigValueError(f"a whole number from {lo} to {hi}")
        return str(n)

    return check


def _channels(value: str) -> str:
    items = [p for p in re.split(r"[\s,]+", value.strip()) if p]
    if value.strip() in ("none", "-"):
        return ""
    bad = [p for p in items if not _CHANNEL.fullmatch(p)]
    if bad:
        raise ConfigValueError(f"channel ids (C0123ABCD), comma-separated; not a channel id: {bad[0]}")
    return ",".join(dict.fromkeys(items))


_FX_RE = re.compile(r"([A-Z]{3})\s*=\s*([0-9]+(?:\.[0-9]+)?)")


def _fx_rates(value: str) -> str:
    """`USD: KRW=0.00072, EUR=1.08`: the currency totals are given in, then what one unit of each other is worth
    in it; none: mixed currencies are listed, not added up."""
    text = value.strip().upper()
    if text in ("", "NONE", "-"):
        return ""
    base, sep, rest = text.partition(":")
    base = base.strip()
    pairs = [p.strip() for p in rest.split(",") if p.strip()]
    found = [_FX_RE.fullmatch(p) for p in pairs]
    if not sep or not re.fullmatch(r"[A-Z]{3}", base) or not pairs or not all(found):
        raise ConfigValueError("the main currency, a colon, then CODE=rate pairs: USD: KRW=0.00072, EUR=1.08")
    rates = {m.group(1): m.group(2) for m in found if m}
    if any(float(r) <= 0 for r in rates.values()) or base in rates:
        raise ConfigValueError("each rate is what one unit is worth in the main currency, above zero")
    return base + ":" + ",".join(f"{code}={rate}" for code, rate in rates.items())


def _channel(value: str) -> str:
    if value.strip() in ("", "none", "-"):
        return ""
    if not _CHANNEL.fullmatch(value.strip()):
        raise ConfigValueError("a channel id such as C0123ABCD (channel details > About), or none")
    return value.strip()


def _user(value: str) -> str:
    if value.strip() in ("", "none", "-"):
        return ""
    if not _USER.fullmatch(value.strip()):
        raise ConfigValueError("a Slack user id such as U0123ABCD (profile > ⋮ > Copy member ID), or none")
    return value.strip()


def _users(value: str) -> str:
    if value.strip() in ("", "none", "-"):
        return ""
    items = [p for p in re.split(r"[\s,]+", value.strip()) if p]
    bad = [p for p in items if not _USER.fullmatch(p)]
    if bad:
        raise ConfigValueError(f"Slack user ids (U0123ABCD), comma-separated; not a user id: {bad[0]}")
    return ",".join(dict.fromkeys(items))


def _locale(value: str) -> str:
    if value.strip() not in ("en", "ko"):
        raise ConfigValueError("en or ko")
    return value.strip()


def _cadence(value: str) -> str:
    if value.strip() not in ("biweekly", "monthly"):
        raise ConfigValueError("biweekly or monthly")
    return value.strip()


def _weekday(value: str) -> str:
    v = value.strip().lower()[:3]
    if v not in WEEKDAYS:
        raise ConfigValueError("a weekday: mon, tue, wed, thu, fri, sat or sun")
    return v


def _margin(value: str) -> str:
    """A gross margin as a share (0.8) or a percentage (80%), above 0 and at most 1."""
    text = value.strip()
    try:
        share = float(text.rstrip("%").strip()) / (100 if text.endswith("%") else 1)
    except ValueError as exc:
        raise ConfigValueError("a share such as 0.80 or a percentage such as 80%") from exc
    if not 0 < share <= 1:
        raise ConfigValueError("above 0 and at most 1 (100%), e.g. 0.80 or 80%")
    return f"{share:.4f}".rstrip("0").rstrip(".") if share < 1 else "1"


def _date(value: str) -> str:
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError as exc:
        raise ConfigValueError("a date as YYYY-MM-DD") from exc


@dataclass(frozen=True)
class Key:
    name: str
    check: Callable[[str], str]
    default: str  # "{handoff_channel}" and the like are filled from the environment's settings
    help: str


KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("timezone", _tz, "{timezone}", "the team's time zone; every schedule runs in it"),
        Key("locale", _locale, "{locale}", "language of channel posts (DMs use each person's Slack language)"),
        Key("digest.channels", _channels, "{handoff_channel}", "channels that get the weekly at-risk digest"),
        Key("digest.schedule", _weekly_cron, "0 9 * * mon", "when the digest goes out (crontab, weekly at most)"),
        Key("reminders.time", _clock, "09:00", "time of day of the renewal, onboarding and promise reminders"),
        Key("renewal.days", _days_list, "120,90,60,30", "days before the renewal date that remind the CSM"),
        Key("renewal.ae_days", _optional_days_list, "60,30", "of those, the steps that also remind the AE"),
        Key("renewal.csp_days", _int_range(1, 730), "90", "the step that asks to share the Success Plan"),
        Key("onboarding.kickoff_days", _int_range(1, 365), "7", "kickoff due this many days after acceptance"),
        Key("onboarding.activation_days", _int_range(1, 365), "30", "activation due this many days after acceptance"),
        Key("onboarding.training_days", _int_range(1, 365), "30", "basic training due this many days after acceptance"),
        Key("meeting.channel", _channel, "", "channel of the cross-team meeting reminder (none: no reminder)"),
        Key("meeting.cadence", _cadence, "biweekly", "biweekly or monthly (the first such weekday)"),
        Key("meeting.day", _weekday, "thu", "weekday of the meeting"),
        Key("meeting.time", _clock, "15:00", "time of the meeting"),
        Key("meeting.anchor", _date, "2026-01-01", "biweekly: meetings fall in the weeks 0, 2, 4 ... after it"),
        Key("meeting.reminder_time", _clock, "10:00", "the reminder goes out the day before at this time"),
        Key("nudge.sales_lead", _user, "", "sales lead reminded of handoff drafts still open (none: nobody)"),
        Key("nudge.draft_hours", _int_range(1, 720), "24", "hours before the AE is reminded of an unsubmitted draft"),
        Key("nudge.lead_hours", _int_range(1, 720), "72", "hours before the sales lead is reminded of it"),
        Key("nudge.accept_days", _int_range(1, 30), "1", "business days before an unaccepted handoff is raised"),
        Key("nudge.hours", _hours_range, "09:00-18:00", "working hours (Mon-Fri) in which nudges are sent"),
        Key("kpi.channel", _channel, "", "channel of the monthly KPI post, on the 1st (none: no post)"),
        Key("kpi.leads", _users, "", "people whose App Home shows last month's KPIs, besides workspace admins"),
        Key("kpi.gross_margin", _margin, "0.80", "gross margin in LTV (ARPA x margin / churn rate), e.g. 0.80 or 80%"),
        Key(
            "fx.rates",
            _fx_rates,
            "",
            "one total of mixed-currency ARR: USD: KRW=0.00072, EUR=1.08 (none: per currency)",
        ),
    )
}


def check_value(key: str, value: str) -> str:
    """The normalised value, or ConfigValueError; KeyError for an unknown key."""
    if key not in KEYS:
        raise KeyError(key)
    return KEYS[key].check(value)


@dataclass(frozen=True)
class Defaults:
    """What the environment says when a team has not set a key."""

    timezone: str = "UTC"
    locale: str = "en"
    handoff_channel: str | None = None

    def value(self, key: str) -> str:
        return KEYS[key].default.format(
            timezone=self.timezone, locale=self.locale, handoff_channel=self.handoff_channel or ""
        )


@dataclass(frozen=True)
class TeamConfig:
    """One team's resolved settings, typed."""

    team_id: str
    values: dict[str, str]

    def raw(self, key: str) -> str:
        return self.values[key]

    def fx(self) -> tuple[str, tuple[tuple[str, str], ...]] | None:
        """(main currency, ((code, rate), ...)) from `fx.rates`, or None when mixed ARR is not added up."""
        raw = self.values.get("fx.rates") or ""
        if not raw:
            return None
        base, _, rest = raw.partition(":")
        return base, tuple(tuple(p.split("=", 1)) for p in rest.split(","))  # type: ignore[misc]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.values["timezone"])

    @property
    def locale(self) -> str:
        return self.values["locale"]

    def int(self, key: str) -> int:
        return int(self.values[key])

    def days(self, key: str) -> tuple[int, ...]:
        return tuple(int(d) for d in self.values[key].split(",") if d)

    def channels(self, key: str) -> tuple[str, ...]:
        return tuple(c for c in self.values[key].split(",") if c)

    def clock(self, key: str) -> time:
        h, m = self.values[key].split(":")
        return time(int(h), int(m))

    def optional(self, key: str) -> str | None:
        return self.values[key] or None

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def today(self, now: datetime) -> date:
        return now.astimezone(self.tz).date()

    def at(self, day: date, clock_key: str) -> datetime:
        """`day` at the time of `clock_key`, in the team's zone (DST handled by zoneinfo)."""
        return datetime.combine(day, self.clock(clock_key), tzinfo=self.tz)


def load(db: Session, team_id: str, defaults: Defaults) -> TeamConfig:
    """The team's settings: stored values, re-checked. A stored value that is refused now (set before a check
    was added, e.g. a digest every minute) is replaced by the default, with a warning once per process and value
    saying what to do; `config list` shows it too."""
    values = {key: defaults.value(key) for key in KEYS}
    for row in db.exec(select(TeamSetting).where(TeamSetting.team_id == team_id)):
        if row.key in KEYS:
            try:
                values[row.key] = KEYS[row.key].check(row.value)
            except ConfigValueError as exc:
                _warn_refused(team_id, row.key, row.value, values[row.key], exc)
    return TeamConfig(team_id, values)


_warned: set[tuple[str, str, str]] = set()  # (team, key, value): the worker loads settings every minute


def _warn_refused(team_id: str, key: str, value: str, default: str, exc: ConfigValueError) -> None:
    if (team_id, key, value) in _warned:
        return
    _warned.add((team_id, key, value))
    log.warning(
        "team %s: the stored %s %r is refused (it must be %s); the default %r is used instead until "
        "`python -m bot config set %s ...` stores a good value",
        team_id, key, value, exc, default, key,
    )  # fmt: skip


def refused(stored_values: dict[str, str]) -> dict[str, str]:
    """Stored values that the checks refuse now, with why (for `config list`)."""
    out = {}
    for key, value in stored_values.items():
        if key in KEYS:
            try:
                KEYS[key].check(value)
            except ConfigValueError as exc:
                out[key] = str(exc)
    return out


def fx_rates(db: Session, team_id: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """The team's `fx.rates` as `TeamConfig.fx()` gives them, read alone (for the views that add up ARR); None
    when unset or refused (`load` warns about a refused value)."""
    row = db.get(TeamSetting, (team_id, "fx.rates"))
    if row is None:
        return None
    try:
        value = _fx_rates(row.value)
    except ConfigValueError:
        return None
    return TeamConfig(team_id, {"fx.rates": value}).fx()


def stored(db: Session, team_id: str) -> dict[str, str]:
    return {r.key: r.value for r in db.exec(select(TeamSetting).where(TeamSetting.team_id == team_id))}


def set_value(db: Session, team_id: str, key: str, value: str, *, now: datetime, by: str | None = None) -> str:
    """Store a checked value; returns it normalised."""
    clean = check_value(key, value)
    row = db.get(TeamSetting, (team_id, key))
    if row is None:
        row = TeamSetting(team_id=team_id, key=key, value=clean, updated_at=now, updated_by=by)
    else:
        row.value, row.updated_at, row.updated_by = clean, now, by
    db.add(row)
    return clean


def unset(db: Session, team_id: str, key: str) -> bool:
    if key not in KEYS:
        raise KeyError(key)
    stmt = delete(TeamSetting).where(col(TeamSetting.team_id) == team_id, col(TeamSetting.key) == key)
    return db.exec(stmt).rowcount > 0  # type: ignore[call-overload]


def teams(db: Session) -> list[str]:
    """Every team Baton knows: any with customers, handoffs or settings."""
    from bot.models import Customer, Handoff

    found: set[str] = set()
    for model in (Customer, Handoff, TeamSetting):
        found.update(db.exec(select(model.team_id).distinct()))
    return sorted(found)
