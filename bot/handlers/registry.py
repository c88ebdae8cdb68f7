"""Records what the app listens to, so a test can compare it with manifest.json and the builders' ids; and keeps
an error raised after a listener's ack from reaching Bolt's thread runner."""

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_bolt import App

# (error, body, respond or None, context): answers the user and logs; the app's central error handler.
ErrorAnswer = Callable[[Exception, dict, object, dict], None]


@dataclass
class Registry:
    """Wraps Bolt's App decorators and remembers each command, shortcut, action, view and event.

    Every command, shortcut, action and view listener registered here is guarded: an exception it raises after
    calling `ack()` goes to `on_error` and no further. (Bolt's thread runner, when a listener raises after its
    ack, resets the ack it has not yet sent, and Slack gets 404 "unhandled request" after 3 s instead of the ack:
    platform rules.) An exception before the ack still goes to Bolt, whose error handler can answer a modal
    submission with its errors."""

    app: App
    on_error: ErrorAnswer | None = None
    commands: set[str] = field(default_factory=set)
    shortcuts: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)
    views: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)

    def _guarded(self, register):
        def decorator(fn):
            own = inspect.getfullargspec(inspect.unwrap(fn)).args
            # Bolt passes a listener the arguments it names (context keys such as `deps` included); the guard also
            # needs the ack, the body, respond and the context.
            wanted = list(dict.fromkeys([*own, "ack", "body", "respond", "context"]))

            def listener(**kwargs):
                try:
                    return fn(**{name: kwargs[name] for name in own})
                except Exception as exc:
                    ack = kwargs.get("ack")
                    if self.on_error is None or ack is None or getattr(ack, "response", None) is None:
                        raise  # not acked yet: Bolt's error handler answers in the ack
                    self.on_error(exc, kwargs.get("body") or {}, kwargs.get("respond"), kwargs.get("context") or {})
                    return None

            listener.__signature__ = inspect.Signature(
                [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in wanted]
            )
            listener.__name__, listener.__qualname__, listener.__doc__ = fn.__name__, fn.__qualname__, fn.__doc__
            register(listener)
            return fn  # the feature keeps its own function (tests and reuse see the unwrapped one)

        return decorator

    def command(self, name: str):
        self.commands.add(name)
        return self._guarded(self.app.command(name))

    def shortcut(self, callback_id: str):
        self.shortcuts.add(callback_id)
        return self._guarded(self.app.shortcut(callback_id))

    def action(self, action_id: str):
        self.actions.add(action_id)
        return self._guarded(self.app.action(action_id))

    def view(self, callback_id: str):
        self.views.add(callback_id)
        return self._guarded(self.app.view(callback_id))

    def event(self, event_type: str | re.Pattern, *, matchers: list | None = None, manifest_name: str | None = None):
        """An Events API listener; `manifest_name` is what the manifest calls it when that differs (a `message`
        listener matching DMs only is `message.im` there)."""
        if isinstance(event_type, str):
            self.events.add(manifest_name or event_type)
        return self.app.event(event_type, matchers=matchers)

    def middleware(self, fn):
        """A global middleware (Bolt injects its arguments by name, like a listener's)."""
        self.app.use(fn)
        return fn
