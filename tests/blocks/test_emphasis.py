"""Korean that renders: Slack shows `*Acme*의` with its asterisks, because a letter touches the closing `*` (a
Korean particle always does). Every catalog string, filled in, and every builder's mrkdwn output, drawn with
Korean text in every field, has no bold or italics touched by a letter or digit from outside.

The check below is Slack's rule written independently of `bot.text.seal_emphasis` (which the catalog applies
to every template), so a builder adding its own `*…*` next to a letter fails here too."""

import json
import re

import pytest

from bot.i18n import CATALOGS, EN, placeholders, t
from bot.text import ZWSP, seal_emphasis
from tests.blocks.test_escaping import BUILDERS, DRAWN, PER_BUILDER, Factory, _texts

KOREAN = "삼성전자"
# An emphasis span as Slack reads it: an opener followed by a non-space, a closer preceded by one, on one line.
_SPAN = re.compile(r"(?<![*\n])([*_])(?=[^\s*_])([^\n]*?[^\s*_])\1(?![*_])")
_OPAQUE = re.compile(r"<[^<>\n]*>|`[^`\n]*`")


def hugged(text: str) -> list[str]:
    """The emphasis spans in `text` Slack would not render: a letter or digit right before or after them."""
    text = _OPAQUE.sub(" ", text)
    bad = []
    for m in _SPAN.finditer(text):
        before = text[m.start() - 1] if m.start() else " "
        after = text[m.end()] if m.end() < len(text) else " "
        touching = [c for c in (before, after) if c.isalnum() and not (m.group(1) == "_" and c.isascii())]
        if touching:  # (`_` between ASCII letters is a snake_case name, not italics)
            bad.append(text[max(0, m.start() - 8) : m.end() + 8])
    return bad


def test_the_check_sees_what_slack_does_not_render():
    assert hugged("*삼성전자*의 고객") == ["*삼성전자*의 고객"]
    assert hugged("총*3곳*") and hugged("_기록_을")
    assert hugged("*Acme*'s") == [] and hugged("*Acme*: ok") == [] and hugged("(*Acme*)") == []
    assert hugged(f"*삼성전자*{ZWSP}의") == [] and hugged(f"총{ZWSP}*3곳*") == []
    assert hugged("snake_case_name") == [] and hugged("<https://x.example/a_b_c|*x*>y") == []


@pytest.mark.parametrize(
    ("template", "sealed"),
    [
        ("*{customer}*의 *카드*", f"*{{customer}}*{ZWSP}의 *카드*"),
        ("총*{count}곳*에", f"총{ZWSP}*{{count}}곳*{ZWSP}에"),
        ("*{a}*{b}", f"*{{a}}*{ZWSP}{{b}}"),
        ("_{x}_를", f"_{{x}}_{ZWSP}를"),
        ("*Acme*'s card, *bold* text", "*Acme*'s card, *bold* text"),
        ("1~5 * not markup *", "1~5 * not markup *"),
        ("letters . _ : - and snake_case_names", "letters . _ : - and snake_case_names"),
        ("<https://x.example|*link*>처럼 `*code*`도", "<https://x.example|*link*>처럼 `*code*`도"),
        ("*줄*\n*다음*이", f"*줄*\n*다음*{ZWSP}이"),
    ],
)
def test_seal_emphasis(template, sealed):
    assert seal_emphasis(template) == sealed
    assert seal_emphasis(sealed) == sealed  # sealing twice changes nothing


def _sample(name: str) -> object:
    return 3 if name in {"count", "n", "days", "total", "limit", "done", "shown"} else KOREAN


@pytest.mark.parametrize("locale", sorted(CATALOGS))
def test_every_catalog_string_renders_its_emphasis(locale):
    """Each message filled with Korean text (and numbers where counts go) has no emphasis Slack would show raw."""
    bad = {}
    for key in sorted(EN):
        out = t(locale, key, **{p: _sample(p) for p in placeholders(EN[key])})
        if found := hugged(out):
            bad[key] = found
    assert bad == {}, json.dumps(bad, ensure_ascii=False, indent=1)


class KoreanFactory(Factory):
    """Korean company names and notes in every text field."""

    def make(self, hint, name="", text=KOREAN):
        return super().make(hint, name, text)


@pytest.mark.parametrize("locale", ["en", "ko"])
@pytest.mark.parametrize("name", DRAWN)
def test_every_builder_renders_its_emphasis(name, locale):
    """No mrkdwn or notification text a builder returns has bold or italics a letter touches."""
    out = KoreanFactory(locale).call(BUILDERS[name], PER_BUILDER.get(name, {}))
    bad = [found for text in _texts(out) if (found := hugged(text))]
    assert not bad, json.dumps(bad, ensure_ascii=False, indent=1)
