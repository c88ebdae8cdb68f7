"""API tokens: create (shown once), list, revoke, and authenticate by SHA-256; the token itself is never stored."""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.models import ApiToken

TOKEN_PREFIX = "baton_"
PREFIX_CHARS = len(TOKEN_PREFIX) + 8  # what is stored and shown to tell tokens apart, e.g. baton_Xy3k9QaZ
TOKEN_BYTES = 32
MAX_NAME = 100
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token


class TokenError(Exception):
    """A token operation was refused; `code` says why (bad_name, not_found, ambiguous)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def hash_token(token: str) -> str:
    """Hex SHA-256 of the token: what is stored and looked up (a random 256-bit secret needs no salt)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: Session, team_id: str, name: str, now: datetime) -> tuple[ApiToken, str]:
    """Store a new token for `team_id`; return the row and the token, which cannot be recovered later."""
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise TokenError("bad_name", f"the token name must be 1 to {MAX_NAME} characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    row = ApiToken(
        team_id=team_id, name=name, token_hash=hash_token(token), prefix=token[:PREFIX_CHARS], created_at=now
    )
    db.add(row)
    db.flush()
    return row, token


def list_tokens(db: Session, team_id: str) -> list[ApiToken]:
    """The team's tokens, oldest first, revoked ones included."""
    stmt = select(ApiToken).where(ApiToken.team_id == team_id).order_by(col(ApiToken.created_at), col(ApiToken.id))
    return list(db.exec(stmt))


def revoke_token(db: Session, team_id: str, ref: str, now: datetime) -> tuple[ApiToken, bool]:
    """Revoke the team's token named by id, prefix or the token itself; (token, False) if it already was."""
    ref = ref.strip()
    base = select(ApiToken).where(ApiToken.team_id == team_id)
    if ref.isdigit():
        matches = list(db.exec(base.where(ApiToken.id == int(ref))))
    elif len(ref) > PREFIX_CHARS:
        matches = list(db.exec(base.where(ApiToken.token_hash == hash_token(ref))))
    else:
        matches = list(db.exec(base.where(ApiToken.prefix == ref))) if ref else []
    if not matches:
        raise TokenError("not_found", f"no token {ref!r} in team {team_id}")
    if len(matches) > 1:
        raise TokenError("ambiguous", f"{ref!r} matches {len(matches)} tokens; use the id from `tokens list`")
    token = matches[0]
    if token.revoked_at is not None:
        return token, False
    token.revoked_at = now
    db.add(token)
    return token, True


def authenticate(db: Session, token: str, now: datetime) -> ApiToken | None:
    """The live token row for a presented token, or None (unknown or revoked); notes when it was last used."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = db.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        row.last_used_at = now
        db.add(row)
    return row
