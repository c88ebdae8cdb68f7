"""The JSON API for other systems, with per-team bearer tokens: `POST /api/v1/health-snapshots`, and the revenue
ledger's `/api/v1/arr-movements`, `/api/v1/renewal-outcomes` and `/api/v1/nps-responses`."""

import logging

from bot import inputs
from bot.deps import Deps
from bot.services import imports, tokens
from bot.services.imports import revenue
from bot.webhooks import Reply

log = logging.getLogger("baton.api")
MAX_BODY = 5 * 1024 * 1024
MAX_ITEMS = 10_000
DEFAULT_SOURCE = "api"


def bearer_token(headers: dict[str, str]) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or None."""
    scheme, _, token = (headers.get("authorization") or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _batch(deps: Deps, headers: dict[str, str], body: bytes, key: str) -> Reply | tuple[str, int, dict, list]:
    """The steps every batch endpoint takes first: the bearer token (401), the size (413), strict JSON and a
    `key` list of at most MAX_ITEMS (400); (team, token id, the body, the list) when all pass."""
    presented = bearer_token(headers)
    if presented is None:
        return Reply(401, {"error": "missing bearer token (Authorization: Bearer baton_...)"})
    with deps.sessions.begin() as db:
        token = tokens.authenticate(db, presented, deps.clock())
        team_id, token_id = (token.team_id, token.id) if token else (None, None)
    if team_id is None or token_id is None:
        return Reply(401, {"error": "invalid or revoked token"})
    if len(body) > MAX_BODY:
        return Reply(413, {"error": f"body larger than {MAX_BODY} bytes"})
    try:
        payload = inputs.loads(body)  # UTF-8, at most 64 levels deep
    except inputs.BadJson as exc:
        return Reply(400, {"error": exc.reason})
    if not isinstance(payload, dict):
        return Reply(400, {"error": f"the body must be a JSON object with a {key} list"})
    items = payload.get(key)
    if not isinstance(items, list):
        return Reply(400, {"error": f"{key} must be a list"})
    if len(items) > MAX_ITEMS:
        return Reply(400, {"error": f"too many {key}: {len(items)} (at most {MAX_ITEMS} per request)"})
    return team_id, token_id, payload, items


def handle_health_snapshots(deps: Deps, *, headers: dict[str, str], body: bytes) -> Reply:
    """Store a batch of health snapshots for the token's team: all or nothing unless `skip_invalid`."""
    checked = _batch(deps, headers, body, "snapshots")
    if isinstance(checked, Reply):
        return checked
    team_id, token_id, payload, items = checked
    now = deps.clock()
    skip_invalid = payload.get("skip_invalid", False)
    if not isinstance(skip_invalid, bool):
        return Reply(400, {"error": "skip_invalid must be true or false"})

    with deps.sessions.begin() as db:
        result = imports.import_snapshots(
            db,
            team_id,
            items,
            now=now,
            skip_invalid=skip_invalid,
            default_source=DEFAULT_SOURCE,
            recorded_by=f"api:{token_id}",
            rules=deps.health_rules,
        )
    errors = [{"index": e.where, "code": e.code, "reason": e.reason} for e in result.errors]
    if not result.written:
        return Reply(400, {"error": "invalid snapshots", "errors": errors})
    log.info("api token %s: %s (team %s)", token_id, result.summary(), team_id)
    body_out: dict = {
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "skipped": result.skipped,
    }
    if errors:
        body_out["errors"] = errors
    return Reply(200, body_out)


# The revenue ledger's feeds (bot/services/imports/revenue.py): path -> (feed, the body's list).
REVENUE_PATHS = {
    "/api/v1/arr-movements": ("movements", "movements"),
    "/api/v1/renewal-outcomes": ("outcomes", "outcomes"),
    "/api/v1/nps-responses": ("nps", "responses"),
}


def handle_revenue(deps: Deps, path: str, *, headers: dict[str, str], body: bytes) -> Reply:
    """Store a batch of ARR movements, renewal outcomes or NPS responses for the token's team, all or nothing;
    a batch replayed adds nothing (each item's key: a movement's id, an outcome's customer and renewal date, a
    response's customer, respondent and date)."""
    kind, key = REVENUE_PATHS[path]
    checked = _batch(deps, headers, body, key)
    if isinstance(checked, Reply):
        return checked
    team_id, token_id, _payload, items = checked
    now = deps.clock()
    with deps.sessions.begin() as db:
        result = revenue.import_revenue(
            db,
            team_id,
            kind,
            list(enumerate(items)),
            source="api",
            recorded_by=f"api:{token_id}",
            now=now,
            default_currency=deps.settings.default_currency,
            rules=deps.health_rules,
        )
    errors = [{"index": e.where, "code": e.code, "reason": e.reason} for e in result.errors]
    if not result.written:
        return Reply(400, {"error": f"invalid {key}", "errors": errors})
    log.info("api token %s: %s %s (team %s)", token_id, kind, result.summary(), team_id)
    return Reply(200, {"inserted": result.inserted, "updated": result.updated, "unchanged": result.unchanged})
