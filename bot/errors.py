"""The one base of every expected refusal a user can act on (no Slack, no i18n: listeners render it)."""


class UserError(Exception):
    """A rule refused what the user asked; the catalog message `key` (prefix + code) says why, `params` fill it
    in, and `field` names the form input it is about (None: the request as a whole).

    Each feature's errors derive from it with their own catalog prefix (`err.`, `voc.err.`, `roadmap.err.`), so
    the central error handler can answer any of them on the surface the request came from."""

    prefix = "err."

    def __init__(self, code: str, /, *, field: str | None = None, **params: object):
        super().__init__(code)
        self.code, self.field, self.params = code, field, params

    @property
    def key(self) -> str:
        """The catalog key of the message."""
        return self.prefix + self.code
