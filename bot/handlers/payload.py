"""Who and where a Slack payload comes from, whatever its shape (command, action, view, shortcut)."""


def team_id(body: dict) -> str:
    """The Slack team id of a command, action, view submission or shortcut payload."""
    team = body.get("team") or {}
    return (team.get("id") if isinstance(team, dict) else None) or body.get("team_id") or body["user"]["team_id"]


def user_id(body: dict) -> str:
    """The acting user's id."""
    return body["user"]["id"] if isinstance(body.get("user"), dict) else body["user_id"]


def action_int(body: dict) -> int | None:
    """The clicked button's value as a number (the id it carries), or None when it is not one."""
    try:
        value = str(body["actions"][0].get("value") or "")
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    return int(value) if value.isascii() and value.isdigit() else None
