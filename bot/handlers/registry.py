"""Records what the app listens to, so a test can compare it with manifest.json and the builders' ids."""

import re
from dataclasses import dataclass, field

from slack_bolt import App


@dataclass
class Registry:
    """Wraps Bolt's App decorators and remembers each command, shortcut, action, view and event."""

    app: App
    commands: set[str] = field(default_factory=set)
    shortcuts: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)
    views: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)

    def command(self, name: str):
        self.commands.add(name)
        return self.app.command(name)

    def shortcut(self, callback_id: str):
        self.shortcuts.add(callback_id)
        return self.app.shortcut(callback_id)

    def action(self, action_id: str):
        self.actions.add(action_id)
        return self.app.action(action_id)

    def view(self, callback_id: str):
        self.views.add(callback_id)
        return self.app.view(callback_id)

    def event(self, event_type: str | re.Pattern):
        if isinstance(event_type, str):
            self.events.add(event_type)
        return self.app.event(event_type)
