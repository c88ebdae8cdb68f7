import pytest

from bot.text import ZWJ, escape_mrkdwn, normalize_key, truncate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text", "plain text"),
        ("", ""),
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("a < b > c", "a &lt; b &gt; c"),
        ("<!channel> now", "&lt;!channel&gt; now"),
        ("<!here|here>", "&lt;!here|here&gt;"),
        ("hi <@U123>", "hi &lt;@U123&gt;"),
        ("<http://evil|click here>", "&lt;http://evil|click here&gt;"),
        ("&lt;", "&amp;lt;"),
        ("@channel ship it", f"@{ZWJ}channel ship it"),
        ("ping @here!", f"ping @{ZWJ}here!"),
        ("@everyone", f"@{ZWJ}everyone"),
        ("@Channel @HERE", f"@{ZWJ}Channel @{ZWJ}HERE"),
        ("@channels and @hereby", "@channels and @hereby"),
        ("<@here>", f"&lt;@{ZWJ}here&gt;"),
        ("고객사 & 파트너 <공지>", "고객사 &amp; 파트너 &lt;공지&gt;"),
        ("🎉 *bold* _it_ `code`", "🎉 *bold* _it_ `code`"),
    ],
)
def test_escape_mrkdwn(text, expected):
    """Control characters become entities and broadcast words get a zero-width joiner."""
    assert escape_mrkdwn(text) == expected


def test_escape_mrkdwn_leaves_no_raw_brackets():
    """No `<` or `>` survives, so Slack cannot read a mention or link out of user text."""
    out = escape_mrkdwn("<!channel> <@U1> <#C1> <http://x|y> <!subteam^S1>")
    assert "<" not in out and ">" not in out


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("hello world foo bar", 12, "hello world…"),
        ("hello world foobar", 14, "hello world…"),
        ("a" * 30, 10, "a" * 9 + "…"),
        ("one two threefourfivesix", 12, "one two thr…"),
        ("Tom &amp; Jerry", 8, "Tom…"),
        ("x&lt;y and more", 4, "x…"),
        ("ab&#128512;cd", 6, "ab…"),
        ("😀" * 10, 5, "😀😀😀😀…"),
        ("\ud83d\ude00" * 5, 4, "\ud83d\ude00…"),
        ("🇰🇷🇺🇸🇯🇵", 4, "🇰🇷…"),
        ("👍🏽👍🏽👍🏽", 4, "👍🏽…"),
        ("👩‍💻👩‍💻", 4, "👩‍💻…"),
        ("e\u0301e\u0301e\u0301", 3, "e\u0301…"),
        ("안녕하세요 반갑습니다 고객님", 12, "안녕하세요 반갑습니다…"),
        ("가나다라마바사아자차카타", 5, "가나다라…"),
        ("abc", 1, "a"),
        ("abcdef", 2, "a…"),
        ("abcdef", 0, ""),
        ("abcdef", -1, ""),
        ("", 5, ""),
    ],
)
def test_truncate(text, limit, expected):
    """Truncation respects the limit, word boundaries, graphemes and entities."""
    out = truncate(text, limit)
    assert out == expected
    assert len(out) <= max(limit, 0)


@pytest.mark.parametrize(
    ("text", "limit", "ellipsis", "expected"),
    [
        ("hello world", 8, "...", "hello..."),
        ("hello world", 8, "", "hello wo"),
        ("hello world", 3, "...", "hel"),
        ("hello world", 9, " (more)", "he (more)"),
    ],
)
def test_truncate_custom_ellipsis(text, limit, ellipsis, expected):
    """A custom ellipsis counts toward the limit; when it does not fit the text is cut bare."""
    assert truncate(text, limit, ellipsis) == expected


@pytest.mark.parametrize("limit", range(1, 40))
def test_truncate_escaped_text_never_breaks_an_entity(limit):
    """Any cut of escaped text ends with complete entities and within the limit."""
    text = escape_mrkdwn("R&D <team> & 고객 <@U1> 🎉 & more & more")
    out = truncate(text, limit)
    assert len(out) <= limit
    body = out.removesuffix("…")
    amp = body.rfind("&")
    assert amp == -1 or ";" in body[amp:]


def test_truncate_word_boundary_only_within_last_fifth():
    """A space far before the cut is ignored; the word is cut hard instead."""
    text = "ab " + "c" * 40
    assert truncate(text, 20) == "ab " + "c" * 16 + "…"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ACME Corp.", "acme"),
        ("Acme Corporation", "acme"),
        ("  Acme,  Inc ", "acme"),
        ("Acme, Inc.", "acme"),
        ("Acme Incorporated", "acme"),
        ("Acme LLC", "acme"),
        ("Acme L.L.C.", "acme"),
        ("Acme Ltd", "acme"),
        ("Acme GmbH", "acme"),
        ("Acme Co", "acme"),
        ("Samsung Electronics Co., Ltd.", "samsungelectronics"),
        ("(주)삼성전자", "삼성전자"),
        ("삼성전자(주)", "삼성전자"),
        ("㈜삼성전자", "삼성전자"),
        ("주식회사 카카오", "카카오"),
        ("카카오 주식회사", "카카오"),
        ("ＡＣＭＥ　Ｃｏｒｐ", "acme"),
        ("STRASSE GmbH", "strasse"),
        ("Straße GmbH", "strasse"),
        ("AT&T Inc.", "att"),
        ("Acme-Widgets", "acmewidgets"),
        ("Co", "co"),
        ("Inc", "inc"),
        ("Corp Acme", "corpacme"),
        ("🚀 Rocket Inc", "rocket"),
        ("", ""),
    ],
)
def test_normalize_key(name, expected):
    """Company-name variants collapse to one matching key."""
    assert normalize_key(name) == expected


def test_normalize_key_matches_variants():
    """Differently typed names of one customer share a key."""
    variants = ["ACME Corp.", "Acme Corporation", "acme, inc.", " ACME ", "Acme Co., Ltd."]
    assert len({normalize_key(v) for v in variants}) == 1
