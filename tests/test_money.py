from decimal import Decimal

import pytest

from bot.money import MAX_AMOUNT, AmountError, format_amount, format_amount_short, parse_amount

D = Decimal


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("120000", D("120000"), "USD"),
        ("120,000", D("120000"), "USD"),
        ("120000.50", D("120000.50"), "USD"),
        ("1,500.5", D("1500.50"), "USD"),
        ("$120k", D("120000"), "USD"),
        ("$1.2M", D("1200000"), "USD"),
        ("120K", D("120000"), "USD"),
        ("$2.5bn", D("2500000000"), "USD"),
        ("1.2 million", D("1200000"), "USD"),
        ("₩150,000,000", D("150000000"), "KRW"),
        ("150,000,000원", D("150000000"), "KRW"),
        ("1억 5천만원", D("150000000"), "KRW"),
        ("1억5000만원", D("150000000"), "KRW"),
        ("150만원", D("1500000"), "KRW"),
        ("3천5백만원", D("35000000"), "KRW"),
        ("1.5억원", D("150000000"), "KRW"),
        ("1억 5,000만 1,234원", D("150001234"), "KRW"),
        ("2조원", D("2000000000000"), "KRW"),
        ("만원", D("10000"), "KRW"),
        ("KRW 150,000,000", D("150000000"), "KRW"),
        ("krw150000000", D("150000000"), "KRW"),
        ("₩150,000,000 KRW", D("150000000"), "KRW"),
        ("USD 120,000", D("120000"), "USD"),
        ("120,000 USD", D("120000"), "USD"),
        ("US$120,000", D("120000"), "USD"),
        ("€90,000", D("90000"), "EUR"),
        ("90,000 eur", D("90000"), "EUR"),
        ("90,000€", D("90000"), "EUR"),
        ("£1,000", D("1000"), "GBP"),
        ("¥5,000,000", D("5000000"), "JPY"),
        ("5만엔", D("50000"), "JPY"),
        ("CAD 1,000", D("1000"), "CAD"),
        (" 120 000 ", D("120000"), "USD"),
        ("1 234 567.89", D("1234567.89"), "USD"),
        ("１２０，０００", D("120000"), "USD"),
        ("＄１２０Ｋ", D("120000"), "USD"),
        ("￦１억", D("100000000"), "KRW"),
        ("+120", D("120"), "USD"),
        ("$.50", D("0.50"), "USD"),
        ("120000.500", D("120000.50"), "USD"),
        ("1000000000000000", MAX_AMOUNT, "USD"),
    ],
)
def test_parse_amount_accepts(text, amount, currency):
    """Each accepted spelling yields the expected amount and currency."""
    assert parse_amount(text) == (amount, currency)


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("120000", "KRW", (D("120000"), "KRW")),
        ("1억 5천만", "KRW", (D("150000000"), "KRW")),
        ("1억5000만", "USD", (D("150000000"), "USD")),
        ("$120", "KRW", (D("120"), "USD")),
        ("120", "eur", (D("120"), "EUR")),
    ],
)
def test_parse_amount_default_currency(text, default, expected):
    """Without a marker the default currency applies; a marker always wins."""
    assert parse_amount(text, default) == expected


def test_parse_amount_returns_plain_decimals():
    """Results have no exponent so str() prints plainly."""
    assert str(parse_amount("$1.2M")[0]) == "1200000"
    assert str(parse_amount("120000.5")[0]) == "120000.50"


@pytest.mark.parametrize(
    ("text", "default", "code"),
    [
        ("", "USD", "empty"),
        ("   ", "USD", "empty"),
        ("abc", "USD", "invalid"),
        ("12.3.4", "USD", "invalid"),
        ("1,00,0", "USD", "invalid"),
        ("1,5억", "KRW", "invalid"),
        ("12 34", "USD", "invalid"),
        ("1.234", "USD", "invalid"),
        ("$0.001", "USD", "invalid"),
        ("₩1.5", "USD", "invalid"),
        ("1500.5원", "USD", "invalid"),
        ("¥10.5", "USD", "invalid"),
        ("100.5", "KRW", "invalid"),
        ("$", "USD", "invalid"),
        ("원", "USD", "invalid"),
        ("1e5", "USD", "invalid"),
        ("120kk", "USD", "invalid"),
        ("1만 2억", "KRW", "invalid"),
        ("5천 3천", "KRW", "invalid"),
        ("1 2억", "KRW", "invalid"),
        ("120-", "USD", "invalid"),
        ("1" * 101, "USD", "invalid"),
        ("0", "USD", "not_positive"),
        ("0.00", "USD", "not_positive"),
        ("$0", "USD", "not_positive"),
        ("-120", "USD", "not_positive"),
        ("-$120", "USD", "not_positive"),
        ("$-120", "USD", "not_positive"),
        ("−5만원", "USD", "not_positive"),
        ("1000000000000000.01", "USD", "too_large"),
        ("10000000000000000", "USD", "too_large"),
        ("$2000T", "USD", "too_large"),
        ("1001조원", "USD", "too_large"),
        ("$120,000 KRW", "USD", "currency_conflict"),
        ("₩150,000 USD", "USD", "currency_conflict"),
        ("€90,000원", "USD", "currency_conflict"),
        ("USD 1억원", "USD", "currency_conflict"),
    ],
)
def test_parse_amount_rejects(text, default, code):
    """Bad input raises AmountError with the documented code."""
    with pytest.raises(AmountError) as info:
        parse_amount(text, default)
    assert info.value.code == code
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (D("120000"), "USD", "$120,000"),
        (D("1500.50"), "USD", "$1,500.50"),
        (D("1500.5"), "USD", "$1,500.50"),
        (D("1500.00"), "USD", "$1,500"),
        (D("0.5"), "USD", "$0.50"),
        (D("150000000"), "KRW", "₩150,000,000"),
        (D("90000"), "EUR", "€90,000"),
        (D("1000"), "GBP", "£1,000"),
        (D("5000000"), "JPY", "¥5,000,000"),
        (D("1234"), "XYZ", "1,234 XYZ"),
        (D("1234.5"), "XYZ", "1,234.50 XYZ"),
        (D("-1200"), "USD", "-$1,200"),
        (D("0"), "USD", "$0"),
        (120000, "usd", "$120,000"),
    ],
)
def test_format_amount_en(amount, currency, expected):
    """English formatting uses the symbol, thousands commas and cents only when non-zero."""
    assert format_amount(amount, currency, "en") == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (D("150000000"), "1억 5,000만 원"),
        (D("100000000"), "1억 원"),
        (D("50000000"), "5,000만 원"),
        (D("3500000"), "350만 원"),
        (D("10000"), "1만 원"),
        (D("9999"), "9,999원"),
        (D("150001234"), "1억 5,000만 1,234원"),
        (D("100000001"), "1억 1원"),
        (D("1000000000000"), "1조 원"),
        (D("1234567890123"), "1조 2,345억 6,789만 123원"),
        (D("1000000000000000"), "1,000조 원"),
        (D("0"), "0원"),
        (D("-150000000"), "-1억 5,000만 원"),
    ],
)
def test_format_amount_ko_krw(amount, expected):
    """Korean locale writes won amounts in 조/억/만 units and keeps any remainder."""
    assert format_amount(amount, "KRW", "ko") == expected


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (D("120000"), "USD", "ko", "$120,000"),
        (D("1500.50"), "USD", "ko", "$1,500.50"),
        (D("90000"), "EUR", "ko", "€90,000"),
        (D("1234"), "XYZ", "ko", "1,234 XYZ"),
        (D("150000000"), "KRW", "ko-KR", "1억 5,000만 원"),
        (D("150000000"), "KRW", "fr", "₩150,000,000"),
    ],
)
def test_format_amount_other_cases(amount, currency, locale, expected):
    """Non-KRW amounts look the same in ko; unknown locales fall back to en."""
    assert format_amount(amount, currency, locale) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (D("1200000"), "USD", "en", "$1.2M"),
        (D("120000"), "USD", "en", "$120K"),
        (D("150000000"), "KRW", "en", "₩150M"),
        (D("1500"), "USD", "en", "$1.5K"),
        (D("999"), "USD", "en", "$999"),
        (D("12.50"), "USD", "en", "$12.50"),
        (D("999999"), "USD", "en", "$1M"),
        (D("99950"), "USD", "en", "$100K"),
        (D("2500000000"), "USD", "en", "$2.5B"),
        (D("3000000000000"), "USD", "en", "$3T"),
        (D("1234"), "XYZ", "en", "1.2K XYZ"),
        (D("-1200000"), "EUR", "en", "-€1.2M"),
        (D("150000000"), "KRW", "ko", "1.5억 원"),
        (D("100000000"), "KRW", "ko", "1억 원"),
        (D("50000000"), "KRW", "ko", "5,000만 원"),
        (D("3500000"), "KRW", "ko", "350만 원"),
        (D("12345"), "KRW", "ko", "1.2만 원"),
        (D("9999"), "KRW", "ko", "9,999원"),
        (D("99995000"), "KRW", "ko", "1억 원"),
        (D("2345000000"), "KRW", "ko", "23.5억 원"),
        (D("1500000000000"), "KRW", "ko", "1.5조 원"),
        (D("120000"), "USD", "ko", "$120K"),
        (D("1200000"), "USD", "ko", "$1.2M"),
    ],
)
def test_format_amount_short(amount, currency, locale, expected):
    """Compact tallies use K/M/B/T in en and 만/억/조 for won in ko, rolling up at unit edges."""
    assert format_amount_short(amount, currency, locale) == expected


@pytest.mark.parametrize(
    "text",
    ["$120,000", "₩150,000,000", "€90,000", "$1,500.50", "1억 5천만원", "¥5,000,000"],
)
def test_parse_format_round_trip(text):
    """What format_amount prints in en parses back to the same amount and currency."""
    amount, currency = parse_amount(text)
    assert parse_amount(format_amount(amount, currency, "en")) == (amount, currency)
    if currency == "KRW":
        assert parse_amount(format_amount(amount, currency, "ko")) == (amount, currency)


def test_mixed_currencies_read_as_one_total_with_the_teams_rates():
    """With rates for every currency: ≈ one total in the main currency, the parts after it; without: listed."""
    from bot.money import combined_short

    arr = {"USD": D("240000"), "KRW": D("1200000000")}
    fx = ("USD", (("KRW", "0.00075"),))
    assert combined_short(arr, "en", fx) == "≈ $1.1M ($240K + ₩1.2B)"
    assert combined_short(arr, "ko", fx) == "≈ $1.1M ($240K + 12억 원)"
    assert combined_short(arr, "en", None) == "$240K · ₩1.2B"
    assert combined_short({**arr, "EUR": D("5000")}, "en", fx) == "$240K · ₩1.2B · €5K"  # no EUR rate: listed
    assert combined_short({"KRW": D("1200000000")}, "ko", fx) == "12억 원"  # one currency: as it is


def test_listed_amounts_take_the_callers_separator():
    """The meeting agenda lists per-currency sums with `+` (its titles use `·` between fields); an amount with no
    currency reads as a bare number, without a trailing space."""
    from bot.money import combined_short

    arr = {"USD": D("240000"), "KRW": D("1200000000")}
    assert combined_short(arr, "en", None, sep=" + ") == "$240K + ₩1.2B"
    assert combined_short({"USD": D("240000"), "": D("1200")}, "en", None, sep=" + ") == "$240K + 1.2K"
    fx = ("USD", (("KRW", "0.00075"),))
    assert combined_short(arr, "en", fx, sep=" + ") == "≈ $1.1M ($240K + ₩1.2B)"
