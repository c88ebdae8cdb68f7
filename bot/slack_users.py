"""Who a Slack user is (locale, email, name), cached in memory and in the database."""

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy import func
from sqlmodel import select

from bot.db import Sessions
from bot.i18n import normalize_locale
from bot.models import SlackUser

log = logging.getLogger("baton.users")
TTL = timedelta(hours=12)
ROLE_RETRY = timedelta(minutes=5)  # after a failed users.info, "not an admin" until asked again


class UserDirectory:
    """users.info (with include_locale) and users.lookupByEmail behind a cache; never raises on Slack errors."""

    def __init__(self, client: WebClient, sessions: Sessions, default_locale: str, clock: Callable[[], datetime]):
        self.client = client
        self.sessions = sessions
        self.default_locale = default_locale
        self.clock = clock
        self._cache: dict[tuple[str, str], SlackUser] = {}
        # Whether users.info said admin or owner, and until when that answer holds. In memory only (the
        # slack_users table has no column for it): a process asks once per person and TTL, not per redraw.
        self._admins: dict[tuple[str, str], tuple[bool, datetime]] = {}
        self._lock = threading.Lock()

    def get(self, team_id: str, user_id: str, *, unsaved: list[SlackUser] | None = None) -> SlackUser | None:
        """The cached user, refreshed from users.info when older than 12 hours.

        With `unsaved`, a fresh answer is kept in memory and appended there instead of written now: a caller
        inside a write transaction saves them after its commit (`save`), since on SQLite a second connection's
        write would wait for that transaction's lock."""
        key = (team_id, user_id)
        now = self.clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached and now - cached.fetched_at < TTL:
            return cached
        with self.sessions.begin() as db:
            row = db.get(SlackUser, key)
        if row is None or now - row.fetched_at >= TTL:
            fresh = self._fetch(team_id, user_id, now, save=unsaved is None)
            if fresh is not None and unsaved is not None:
                unsaved.append(fresh)
            row = fresh or row
        if row is not None:
            with self._lock:
                self._cache[key] = row
        return row

    def _fetch(self, team_id: str, user_id: str, now: datetime, *, save: bool = True) -> SlackUser | None:
        try:
            user = self.client.users_info(user=user_id, include_locale=True)["user"]
        except (SlackApiError, SlackRequestError, OSError) as exc:
            log.warning("users.info %s failed: %s", user_id, getattr(exc, "response", exc))
            return None
        profile = user.get("profile") or {}
        admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        with self._lock:
            self._admins[(team_id, user_id)] = (admin and not user.get("deleted"), now + TTL)
        row = SlackUser(
            team_id=team_id,
            user_id=user_id,
            locale=user.get("locale"),
            email=profile.get("email"),
            name=profile.get("real_name") or user.get("real_name") or user.get("name"),
            tz=user.get("tz"),
            fetched_at=now,
        )
        if save:
            self.save([row])
        return row

    def save(self, rows: list[SlackUser]) -> None:
        """Store fetched users in the database cache."""
        if rows:
            with self.sessions.begin() as db:
                for row in rows:
                    db.merge(row)

    def is_admin(self, team_id: str, user_id: str) -> bool:
        """Whether the user is a workspace admin or owner (users.info's is_admin / is_owner), as last asked within
        12 hours: answered from memory when this process fetched the user, else with one users.info (which also
        refreshes the cached user). A Slack error answers False, asked again after a few minutes."""
        key = (team_id, user_id)
        now = self.clock()
        with self._lock:
            known = self._admins.get(key)
        if known is not None and now < known[1]:
            return known[0]
        row = self._fetch(team_id, user_id, now)
        with self._lock:
            if row is None:
                self._admins[key] = (False, now + ROLE_RETRY)
                return False
            self._cache[key] = row
            return self._admins[key][0]

    def locale(self, team_id: str, user_id: str | None, *, unsaved: list[SlackUser] | None = None) -> str:
        """The user's catalog language from their Slack locale, else BATON_DEFAULT_LOCALE."""
        if not user_id:
            return normalize_locale(None, self.default_locale)
        user = self.get(team_id, user_id, unsaved=unsaved)
        return normalize_locale(user.locale if user else None, self.default_locale)

    def find_by_name(self, team_id: str, name: str) -> str | None:
        """The one Slack user of the team Baton has seen whose name is `name` (case and a leading `@` aside), or
        None when nobody, or more than one, is called that."""
        key = name.strip().lstrip("@").casefold()
        if not key:
            return None
        with self.sessions.begin() as db:
            rows = db.exec(select(SlackUser.user_id, SlackUser.name).where(SlackUser.team_id == team_id)).all()
        found = {uid for uid, known in rows if known and known.strip().lstrip("@").casefold() == key}
        return found.pop() if len(found) == 1 else None

    def find_by_email(self, email: str, *, team_id: str | None = None) -> str | None:
        """The Slack user id for an email, or None when nobody in the workspace has it. With `team_id`, a user
        Baton fetched within the last 12 hours answers from the cache, without asking Slack."""
        if team_id is not None:
            since = self.clock() - TTL
            with self.sessions.begin() as db:
                known = db.exec(
                    select(SlackUser.user_id).where(
                        SlackUser.team_id == team_id,
                        func.lower(SlackUser.email) == email.strip().lower(),
                        SlackUser.fetched_at >= since,
                    )
                ).first()
            if known is not None:
                return known
        try:
            return self.client.users_lookupByEmail(email=email)["user"]["id"]
        except SlackApiError as exc:
            if exc.response is not None and exc.response.get("error") == "users_not_found":
                return None
            raise
