"""`/baton`: Baton's help, for the asker only (`help`, `?` and `도움말` in the other commands and in DMs answer
with the same help)."""

from slack_bolt import Ack, Respond

from bot.blocks.handoff import dumps_blocks
from bot.blocks.help import help_message
from bot.deps import Deps
from bot.handlers.registry import Registry

COMMAND = "/baton"


def handle_baton_command(ack: Ack, respond: Respond, deps: Deps, team_id: str, user_id: str) -> None:
    """`/baton [help]`: what Baton can do and the commands to try."""
    ack()
    blocks, text = help_message(deps.users.locale(team_id, user_id))
    respond(blocks=dumps_blocks(blocks), text=text, response_type="ephemeral")


def register(reg: Registry) -> None:
    """Attach the /baton listener."""
    reg.command(COMMAND)(handle_baton_command)
