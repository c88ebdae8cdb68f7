"""Renderer of App Home (bot/services/home_refresh.py `HomeKind`): the person's Home tab, drawn from the data
at send time and published with `views.publish` (which replaces the tab: a retry or a late redraw is harmless).
Workspace admins and owners also get the summary of Baton's settings; they and the team's leads (`kpi.leads`)
last month's KPIs."""

import dataclasses
import json
from datetime import date, datetime, timedelta

from sqlmodel import Session

from bot.blocks.home import home_view
from bot.outbox import Drop, Render, Renderers, Send
from bot.renderers.context import Context
from bot.services import home
from bot.services.home_refresh import HomeKind
from bot.viewdata.kpi import KpiReport

KPI_TTL = timedelta(minutes=15)  # last month's KPIs change only with back-dated movements: one computation per
# team and quarter hour, not one per redraw (about 1 s at 100,000 customers)


def register(r: Renderers, ctx: Context) -> None:
    kpis: dict[tuple[str, date], tuple[datetime, KpiReport]] = {}  # (team, day) -> (when computed, report)

    def team_kpis(db: Session, team_id: str) -> KpiReport:
        now = ctx.clock()
        key = (team_id, now.date())
        hit = kpis.get(key)
        if hit is None or now - hit[0] >= KPI_TTL:
            if len(kpis) > 1000:  # a process serving many teams for months: start over
                kpis.clear()
            hit = kpis[key] = (now, home.team_kpis(db, team_id, ctx.settings, now))  # type: ignore[arg-type]
        return hit[1]

    @r.register(HomeKind.PUBLISH)
    def _publish(db: Session, team_id: str, params: dict) -> Render:
        user = params.get("user")
        if not isinstance(user, str) or not user:
            return Drop("home redraw without a user")
        locale = ctx.users.locale(team_id, user)
        book = home.book(db, team_id, user, ctx.clock().date(), ctx.rules)
        if ctx.settings is not None:
            admin = ctx.users.is_admin(team_id, user)  # users.info's answer, kept 12 hours
            if admin:
                book = dataclasses.replace(book, admin=home.admin_settings(db, team_id, ctx.settings))
            if admin or home.is_lead(db, team_id, user, ctx.settings):
                book = dataclasses.replace(book, kpis=team_kpis(db, team_id))
        view = home_view(book, locale)
        return Send("views.publish", {"user_id": user, "view": json.dumps(view.to_dict(), ensure_ascii=False)})
