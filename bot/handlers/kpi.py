"""`/kpi [period] [segment | owner | icp:fit]`: the shared KPIs, for the asker only (ephemeral: they are
customer figures), with `help`, `?` and `도움말` answering how to use it and bad arguments answered in words."""

import re

from slack_bolt import Ack, Respond
from slack_sdk.models.blocks import Block

from bot.blocks import kpi as kb
from bot.blocks.handoff import dumps_blocks
from bot.deps import Deps
from bot.handlers.messages import error_text, is_help
from bot.handlers.registry import Registry
from bot.jobs.schedules import defaults
from bot.services import kpi, team_config
from bot.viewdata.handoff import ICP_FITS
from bot.viewdata.kpi import Filter, Period

COMMAND = "/kpi"
ME = frozenset({"me", "my", "mine", "나", "내"})
_MENTION_RE = re.compile(r"<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>")


def read_args(text: str, user_id: str) -> tuple[Period | None, Filter, str | None]:
    """(period or None for the default, owner or ICP filter, the segment as typed): KpiError for two periods,
    two filters or an ICP fit Baton does not know. The segment is checked against the team's by the service."""
    period: Period | None = None
    owner = fit = None
    segment_words: list[str] = []
    for word in (text or "").split():
        found = kpi.parse_period(word)
        mention = _MENTION_RE.fullmatch(word)
        if found is not None:
            if period is not None:
                raise kpi.KpiError("two_periods")
            period = found
        elif mention or word.casefold() in ME:
            if owner is not None:
                raise kpi.KpiError("two_filters")
            owner = mention.group(1) if mention else user_id
        elif word.casefold().startswith(("icp:", "fit:")):
            fit = kpi.icp_fit_of(word)
            if fit is None:
                raise kpi.KpiError("bad_fit", fits=", ".join(f"`icp:{f}`" for f in ICP_FITS))
        else:
            segment_words.append(word)
    segment = " ".join(segment_words) or None
    if sum(x is not None for x in (owner, fit, segment)) > 1:
        raise kpi.KpiError("two_filters")
    return period, Filter(owner=owner, icp_fit=fit), segment


def answer(deps: Deps, team_id: str, user_id: str, text: str, locale: str) -> tuple[list[Block], str]:
    """The KPI message for `/kpi text`, or the refusal in the asker's words. One read-only session."""
    try:
        period, flt, segment = read_args(text, user_id)
        with deps.sessions.begin() as db:
            cfg = team_config.load(db, team_id, defaults(deps))
            today = cfg.today(deps.clock())
            if segment is not None:
                flt = Filter(segment=kpi.find_segment(db, team_id, segment))
            wanted = period or kpi.last_month(today)
            found = kpi.report(db, team_id, wanted, today, flt=flt, margin=kpi.gross_margin(cfg))
    except kpi.KpiError as exc:
        return kb.refusal(error_text(locale, exc))
    return kb.kpi_message(found, locale)


def handle_kpi_command(ack: Ack, body: dict, respond: Respond, deps: Deps, team_id: str, user_id: str) -> None:
    """`/kpi ...`: ack, then the figures (or help, or why not) as an ephemeral reply."""
    ack()
    locale = deps.users.locale(team_id, user_id)
    text = body.get("text") or ""
    blocks, fallback = kb.kpi_usage(locale) if is_help(text) else answer(deps, team_id, user_id, text, locale)
    respond(blocks=dumps_blocks(blocks), text=fallback, response_type="ephemeral")


def register(reg: Registry) -> None:
    """Attach the /kpi listener."""
    reg.command(COMMAND)(handle_kpi_command)
