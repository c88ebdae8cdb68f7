"""Renderer of App Home (bot/services/home_refresh.py `HomeKind`): the person's Home tab, drawn from the data
at send time and published with `views.publish` (which replaces the tab: a retry or a late redraw is harmless).
Workspace admins and owners also get the summary of Baton's settings."""

import dataclasses
import json

from sqlmodel import Session

from bot.blocks.home import home_view
from bot.outbox import Drop, Render, Renderers, Send
from bot.renderers.context import Context
from bot.services import home
from bot.services.home_refresh import HomeKind


def register(r: Renderers, ctx: Context) -> None:
    @r.register(HomeKind.PUBLISH)
    def _publish(db: Session, team_id: str, params: dict) -> Render:
        user = params.get("user")
        if not isinstance(user, str) or not user:
            return Drop("home redraw without a user")
        locale = ctx.users.locale(team_id, user)
        book = home.book(db, team_id, user, ctx.clock().date(), ctx.rules)
        if ctx.settings is not None and ctx.users.is_admin(team_id, user):  # users.info's answer, kept 12 hours
            book = dataclasses.replace(book, admin=home.admin_settings(db, team_id, ctx.settings))
        view = home_view(book, locale)
        return Send("views.publish", {"user_id": user, "view": json.dumps(view.to_dict(), ensure_ascii=False)})
