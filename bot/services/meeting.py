"""The cross-team integration meeting: the day before each meeting, a reminder in the meeting channel with an
agenda built from the data (accounts at risk, handoffs waiting for acceptance, handoffs flagged as a bad fit, top
requests by ARR, renewals in the next 90 days, overdue promises, overdue onboarding tasks), each item linking to
its card. Accounts at risk are ranked by the weekly digest's rule: those that need action this week (worse this
week, or renewing within 90 days: `health.needs_action`) first, by ARR, then the others, by ARR.

Meetings fall on `meeting.day` at `meeting.time` in the team's zone: biweekly in the weeks 0, 2, 4 ... counted
from the week (Monday to Sunday) of `meeting.anchor`, or monthly on the first such weekday of the month. The
reminder goes out the day before at `meeting.reminder_time`; one missed while no worker ran is still sent
until the meeting starts, and skipped as stale after. Off until `meeting.channel` is set.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.models import SUBMITTED, Customer, Handoff, HealthScore, Promise
from bot.services import digest, health, onboarding, roadmap
from bot.services.schedules import Context
from bot.services.team_config import WEEKDAYS, TeamConfig
from bot.viewdata import meeting as vm

NAME = KIND = "meeting"
BAD = (health.UNHEALTHY, health.AT_RISK)
SCORE_WINDOW_DAYS = 30  # as the digest: a stored score older than this is not "current"
RENEWAL_DAYS = 90
THEMES = vm.MAX_THEMES
CHURNED = "churned"


# --- when ----------------------------------------------------------------------------------------------------


def is_meeting_day(cfg: TeamConfig, day: date) -> bool:
    if day.weekday() != WEEKDAYS.index(cfg.raw("meeting.day")):
        return False
    if cfg.raw("meeting.cadence") == "monthly":
        return day.day <= 7
    anchor = date.fromisoformat(cfg.raw("meeting.anchor"))
    weeks = ((day - timedelta(days=day.weekday())) - (anchor - timedelta(days=anchor.weekday()))).days // 7
    return weeks % 2 == 0


def meeting_start(cfg: TeamConfig, day: date) -> datetime:
    """The meeting on `day`, in UTC (built as a local time, so DST is zoneinfo's business)."""
    return cfg.at(day, "meeting.time").astimezone(UTC)


def reminder_time(cfg: TeamConfig, day: date) -> datetime:
    """The reminder for the meeting on `day`: the day before at `meeting.reminder_time`, in UTC."""
    return cfg.at(day - timedelta(days=1), "meeting.reminder_time").astimezone(UTC)


def fires(cfg: TeamConfig, start: datetime, end: datetime) -> list[datetime]:
    """Reminder times in [start, end)."""
    out = []
    day = cfg.local(start).date()
    last = cfg.local(end).date() + timedelta(days=2)
    while day <= last:
        if is_meeting_day(cfg, day):
            at = reminder_time(cfg, day)
            if start <= at < end:
                out.append(at.astimezone(start.tzinfo))
        day += timedelta(days=1)
    return out


def meeting_of(cfg: TeamConfig, fire: datetime) -> date:
    """The meeting a reminder fire is for: the next day, in the team's zone."""
    return cfg.local(fire).date() + timedelta(days=1)


def useful_for(cfg: TeamConfig, fire: datetime) -> timedelta:
    """Until the meeting starts: a reminder that could only go out after it is stale."""
    return max(timedelta(0), meeting_start(cfg, meeting_of(cfg, fire)) - fire)


def next_meeting(cfg: TeamConfig, now: datetime) -> date:
    """The first meeting that has not started at `now`."""
    day = cfg.today(now)
    while not (is_meeting_day(cfg, day) and meeting_start(cfg, day) > now):
        day += timedelta(days=1)
    return day


# --- the agenda ----------------------------------------------------------------------------------------------


def main_currency(db: Session, team_id: str) -> str:
    """The currency most of the team's customers are in (roadmap items are ranked by ARR in it)."""
    row = db.exec(
        select(Customer.currency, func.count())
        .where(Customer.team_id == team_id, col(Customer.currency).is_not(None), col(Customer.arr).is_not(None))
        .group_by(Customer.currency)
        .order_by(func.count().desc(), col(Customer.currency))
        .limit(1)
    ).first()
    return row[0] if row else "USD"


def latest_bands(db: Session, team_id: str, day: date) -> dict[int, tuple[float, str, date]]:
    """Each customer's latest stored (score, band, its day) within SCORE_WINDOW_DAYS up to `day`."""
    hs = HealthScore.__table__
    latest = (
        sa_select(hs.c.customer_id, func.max(hs.c.day).label("day"))
        .where(hs.c.team_id == team_id, hs.c.day <= day, hs.c.day >= day - timedelta(days=SCORE_WINDOW_DAYS))
        .group_by(hs.c.customer_id)
        .subquery()
    )
    stmt = sa_select(hs.c.customer_id, hs.c.score, hs.c.band, hs.c.day).join(
        latest, and_(hs.c.customer_id == latest.c.customer_id, hs.c.day == latest.c.day)
    )
    stmt = stmt.where(hs.c.team_id == team_id)
    return {cid: (score, band, d) for cid, score, band, d in db.connection().execute(stmt)}


def rank_arr(main: str):
    """Sort key: customers in the main currency by ARR first, then the others by ARR, then unknown ARR."""

    def key(arr: Decimal | None, currency: str | None) -> tuple:
        if arr is None:
            return (2, Decimal(0))
        return (0 if (currency or main) == main else 1, -arr)

    return key


def week_net_crossings(
    db: Session, team: str, today: date, bands: dict[int, tuple[float, str, date]]
) -> dict[int, tuple[str, str, date]]:
    """The digest's net band crossings of the 7 days ending `today` (`digest.week_crossings`). A customer
    whose band is bad and whose latest stored score is older than `today` may have crossed on a day the
    digest's one-day comparison does not see, so its week is read in full (as the digest's `unsure`)."""
    unsure = [cid for cid, (_s, band, day) in bands.items() if band in BAD and day < today]
    rows = digest.week_crossings(db, team, today - timedelta(days=digest.WEEK - 1), today, unsure)
    return health.net_crossings(rows)


def _at_risk(db: Session, team: str, today: date, bands: dict[int, tuple[float, str, date]], rank) -> list[vm.RiskItem]:
    """The live customers whose latest band is bad: those needing action this week (the digest's rule) first,
    each group by ARR (main currency first)."""
    bad_ids = [cid for cid, (_s, band, _d) in bands.items() if band in BAD]
    net = week_net_crossings(db, team, today, bands) if bad_ids else {}
    risk: list[vm.RiskItem] = []
    for i in range(0, len(bad_ids), 500):
        for c in db.exec(
            select(Customer).where(
                Customer.team_id == team, col(Customer.id).in_(bad_ids[i : i + 500]), Customer.stage != CHURNED
            )
        ):
            score, band, _day = bands[c.id]
            urgent = health.needs_action(net.get(c.id), c.renewal_date, today)
            risk.append(
                vm.RiskItem(c.id, c.name, band, score, c.arr, c.currency, c.renewal_date, c.owner_user_id, urgent)
            )
    risk.sort(key=lambda r: (not r.urgent, *rank(r.arr, r.currency), r.name, r.customer_id))
    return risk


def _submitted_handoffs(db: Session, cfg: TeamConfig, today: date) -> tuple[list[vm.HandoffItem], list[vm.FlaggedItem]]:
    """Handoffs submitted and not accepted: those waiting for a CSM, longest waiting first, and those a CSM
    flagged as a bad fit (waiting for a decision instead), earliest flag first."""
    waiting: list[vm.HandoffItem] = []
    flagged: list[vm.FlaggedItem] = []
    for h, name in db.exec(
        select(Handoff, Customer.name)
        .join(Customer, col(Customer.id) == Handoff.customer_id, isouter=True)
        .where(Handoff.team_id == cfg.team_id, Handoff.status == SUBMITTED)
        .order_by(col(Handoff.submitted_at), col(Handoff.id))
    ):
        customer = name or h.customer_name or ""
        url = vm.card_url(h.card_channel, h.card_ts)
        if h.bad_fit_at is not None:
            flagged.append(
                vm.FlaggedItem(
                    h.id,
                    customer,
                    h.arr,
                    h.currency,
                    h.bad_fit_by,
                    cfg.local(h.bad_fit_at).date(),
                    h.bad_fit_reason or "",
                    url,
                )
            )
            continue
        waiting.append(
            vm.HandoffItem(
                h.id,
                customer,
                h.arr,
                h.currency,
                h.ae_user_id or h.submitted_by,
                cfg.local(h.submitted_at).date() if h.submitted_at else today,
                url,
            )
        )
    flagged.sort(key=lambda f: (f.flagged, f.handoff_id))
    return waiting, flagged


def _themes(db: Session, team: str, main: str, today: date, rules) -> tuple[list[vm.ThemeItem], int]:
    """The top THEMES requests by ARR, and how many open items have any customer behind them."""
    ranked = [r for r in roadmap.ranked_items(db, team, main) if r.customers > 0]
    themes = []
    for r in ranked[:THEMES]:
        tally = roadmap.tally(db, team, r.item.id, today, rules)
        themes.append(
            vm.ThemeItem(
                r.item.title,
                r.customers,
                r.arr,
                tally.at_risk + tally.unhealthy,
                tally.renewing,
                vm.card_url(r.item.channel, r.item.ts),
            )
        )
    return themes, len(ranked)


def _renewals(db: Session, team: str, today: date, bands: dict[int, tuple[float, str, date]]) -> list[vm.RenewalItem]:
    """Live customers renewing within RENEWAL_DAYS, soonest first."""
    return [
        vm.RenewalItem(
            c.id,
            c.name,
            c.renewal_date,
            (c.renewal_date - today).days,
            c.arr,
            c.currency,
            bands[c.id][1] if c.id in bands else None,
            c.owner_user_id,
        )
        for c in db.exec(
            select(Customer)
            .where(
                Customer.team_id == team,
                Customer.stage != CHURNED,
                col(Customer.renewal_date) >= today,
                col(Customer.renewal_date) <= today + timedelta(days=RENEWAL_DAYS),
            )
            .order_by(col(Customer.renewal_date), col(Customer.name), col(Customer.id))
        )
    ]


def _overdue_promises(db: Session, team: str, today: date) -> list[vm.PromiseItem]:
    """Open promises past their due date (of customers not churned), longest overdue first."""
    return [
        vm.PromiseItem(
            name or "",
            p.text,
            p.owner_user_id or owner,
            p.due_date,
            (today - p.due_date).days,
            vm.card_url(card_channel, card_ts),
        )
        for p, name, owner, card_channel, card_ts in db.exec(
            select(Promise, Customer.name, Customer.owner_user_id, Handoff.card_channel, Handoff.card_ts)
            .join(Customer, col(Customer.id) == Promise.customer_id, isouter=True)
            .join(Handoff, col(Handoff.id) == Promise.handoff_id)
            .where(
                Promise.team_id == team,
                Promise.status == "open",
                col(Promise.due_date) < today,
                (col(Customer.stage).is_(None)) | (Customer.stage != CHURNED),
            )
            .order_by(col(Promise.due_date), col(Promise.id))
        )
    ]


def agenda(db: Session, cfg: TeamConfig, today: date, meeting: datetime, rules) -> vm.Agenda:
    """What the meeting should look at, read on `today` (the team's local date) for the meeting at `meeting`."""
    team = cfg.team_id
    main = main_currency(db, team)
    bands = latest_bands(db, team, today)
    at_risk = _at_risk(db, team, today, bands, rank_arr(main))
    handoffs, flagged = _submitted_handoffs(db, cfg, today)
    themes, theme_count = _themes(db, team, main, today, rules)
    renewals = _renewals(db, team, today, bands)
    promises = _overdue_promises(db, team, today)
    tasks = [
        vm.TaskItem(t.customer_id, t.customer_name, t.milestone, t.due_date, t.days_overdue, t.owner_user_id)
        for t in onboarding.overdue_tasks(db, team, today)
    ]
    return vm.Agenda(
        meeting=meeting,
        tz=cfg.raw("timezone"),
        today=today,
        at_risk=at_risk,
        handoffs=handoffs,
        themes=themes,
        renewals=renewals,
        promises=promises,
        tasks=tasks,
        theme_count=theme_count,
        flagged=flagged,
        fx=cfg.fx(),
    )


def due_meeting(ctx: Context, channel: str) -> tuple[date, str]:
    """The meeting a run reminds of and its occurrence key: the meeting after this fire (a manual run: the next
    meeting, its own occurrence keyed by the time it was asked for)."""
    if ctx.manual:
        return next_meeting(ctx.cfg, ctx.now), f"meeting:manual:{ctx.now:%Y%m%dT%H%M%S}:{channel}"
    day = meeting_of(ctx.cfg, ctx.fire)
    return day, f"meeting:{day.isoformat()}:{channel}"
