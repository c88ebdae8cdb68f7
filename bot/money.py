"""Money: parse amounts typed in English or Korean and format them for either locale.

Pure functions, no I/O. Amounts are `Decimal`, currencies ISO 4217 codes.

Accepted input, in short: an optional sign, currency markers before and/or after the number (a symbol such
as `$`/`₩`, a code such as `KRW`, or a Korean word such as `원`), and a number written either the English
way (`120,000.50`, `120 000`, `$1.2M`, `120K`) or with Korean units (`1억 5천만`, `1억5000만`, `150만`,
`1.5억`). Full-width characters are folded first (NFKC). Thousands separators must group by three
(`1,00,0` is rejected as `invalid`).
"""

import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

MAX_AMOUNT = Decimal(10) ** 15
"""The largest amount `parse_amount` accepts, in any currency."""

SYMBOLS: dict[str, str] = {"USD": "$", "KRW": "₩", "EUR": "€", "GBP": "£", "JPY": "¥"}
"""Currency code -> symbol used when formatting; other codes are written after the number."""

ZERO_DECIMAL = frozenset({"KRW", "JPY"})
"""Currencies without minor units: amounts must be whole numbers."""

CODES = frozenset(SYMBOLS) | {"CNY", "CAD", "AUD", "NZD", "SGD", "HKD", "CHF", "INR", "TWD"}
"""Currency codes recognised when typed next to an amount."""

ERROR_CODES = ("empty", "invalid", "not_positive", "too_large", "currency_conflict")

_MAX_INPUT_CHARS = 100
_SYMBOL_CURRENCY = {"US$": "USD", "$": "USD", "₩": "KRW", "€": "EUR", "£": "GBP", "¥": "JPY"}
_WORD_CURRENCY = {"원": "KRW", "달러": "USD", "엔": "JPY", "円": "JPY", "유로": "EUR", "파운드": "GBP"}
_SIGNS = "+-−–"  # plus, hyphen-minus, minus sign, en dash

_codes_alt = "|".join(sorted(CODES))
_symbols_alt = "|".join(re.escape(s) for s in sorted(_SYMBOL_CURRENCY, key=len, reverse=True))
_words_alt = "|".join(sorted(_WORD_CURRENCY, key=len, reverse=True))
_PREFIX_RE = re.compile(rf"^(?:(?P<code>{_codes_alt})(?![A-Za-z])|(?P<sym>{_symbols_alt}))", re.IGNORECASE)
_SUFFIX_RE = re.compile(
    rf"(?:(?<![A-Za-z])(?P<code>{_codes_alt})|(?P<sym>{_symbols_alt})|(?P<word>{_words_alt}))$",
    re.IGNORECASE,
)
_DIGIT_SPACE_RE = re.compile(r"(?<=\d)[ \t]+(?=\d)")

_NUM = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
_ENGLISH_RE = re.compile(
    rf"(?P<num>{_NUM})\s*(?P<mult>thousand|million|billion|trillion|k|mm|mn|m|bn|b|tn|t)?",
    re.IGNORECASE,
)
_EN_MULTIPLIERS = {
    "k": 10**3,
    "thousand": 10**3,
    "m": 10**6,
    "mm": 10**6,
    "mn": 10**6,
    "million": 10**6,
    "b": 10**9,
    "bn": 10**9,
    "billion": 10**9,
    "t": 10**12,
    "tn": 10**12,
    "trillion": 10**12,
}
_KO_SMALL = {"십": 10, "백": 100, "천": 1000}
_KO_BIG = {"만": 10**4, "억": 10**8, "조": 10**12}
_KOREAN_RE = re.compile(rf"(?:\s*(?:{_NUM}|[십백천만억조]))+\s*")
_KOREAN_TOKEN_RE = re.compile(rf"(?P<num>{_NUM})|(?P<unit>[십백천만억조])")

_CENT = Decimal("0.01")
_ONE = Decimal(1)


class AmountError(ValueError):
    """An amount could not be parsed; `.code` says why (one of ERROR_CODES), `.value` is the input."""

    def __init__(self, code: str, value: str = "", message: str | None = None) -> None:
        self.code = code
        self.value = value
        super().__init__(message or f"{code}: {value!r}")


def parse_amount(text: str, default_currency: str = "USD") -> tuple[Decimal, str]:
    """Parse a positive amount; return (amount, currency code).

    A symbol, code or Korean currency word sets the currency, otherwise `default_currency` is used.
    The amount is a whole number or has exactly two decimals (`Decimal("120000.50")`).
    Raises AmountError with code empty / invalid / not_positive / too_large / currency_conflict.
    """
    raw = text if isinstance(text, str) else ""
    if not raw.strip():
        raise AmountError("empty", raw)
    if len(raw) > _MAX_INPUT_CHARS:
        raise AmountError("invalid", raw)
    s = unicodedata.normalize("NFKC", raw).strip()

    negative = False
    currencies: list[str] = []
    while True:
        s = s.strip()
        if s[:1] and s[0] in _SIGNS:
            negative = negative or s[0] != "+"
            s = s[1:]
            continue
        m = _PREFIX_RE.match(s)
        if m is None:
            m = _SUFFIX_RE.search(s)
        if m is None:
            break
        currencies.append(_marker_currency(m))
        s = s[: m.start()] + s[m.end() :]

    if len(set(currencies)) > 1:
        raise AmountError("currency_conflict", raw)
    currency = currencies[0] if currencies else (default_currency or "USD").strip().upper()

    s = _DIGIT_SPACE_RE.sub(",", s.strip())
    with localcontext() as ctx:
        ctx.prec = 60
        value = _parse_number(s)
        if value is None:
            raise AmountError("invalid", raw)
        if negative or value <= 0:
            raise AmountError("not_positive", raw)
        if value > MAX_AMOUNT:
            raise AmountError("too_large", raw)
        if value == value.to_integral_value():
            return value.quantize(_ONE), currency
        if currency in ZERO_DECIMAL or value != value.quantize(_CENT):
            raise AmountError("invalid", raw)
        return value.quantize(_CENT), currency


def _marker_currency(m: re.Match[str]) -> str:
    if m.group("code"):
        return m.group("code").upper()
    if m.group("sym"):
        return _SYMBOL_CURRENCY[m.group("sym").upper()]
    return _WORD_CURRENCY[m.group("word")]


def _number(token: str) -> Decimal:
    return Decimal(token.replace(",", ""))


def _parse_number(s: str) -> Decimal | None:
    """The value of a bare number (no sign, no currency), or None when it is not one."""
    if not s:
        return None
    try:
        m = _ENGLISH_RE.fullmatch(s)
        if m:
            mult = m.group("mult")
            return _number(m.group("num")) * (_EN_MULTIPLIERS[mult.lower()] if mult else 1)
        if _KOREAN_RE.fullmatch(s):
            return _parse_korean(s)
    except InvalidOperation:
        return None
    return None


def _parse_korean(s: str) -> Decimal | None:
    """`1억 5천만` -> 150000000. Big units (조, 억, 만) and small units (천, 백, 십) must descend."""
    total = Decimal(0)
    section = Decimal(0)
    pending: Decimal | None = None
    last_big: int | None = None
    last_small: int | None = None
    for tok in _KOREAN_TOKEN_RE.finditer(s):
        if tok.group("num"):
            if pending is not None:
                return None
            pending = _number(tok.group("num"))
            continue
        unit = tok.group("unit")
        if unit in _KO_SMALL:
            size = _KO_SMALL[unit]
            if last_small is not None and size >= last_small:
                return None
            section += (pending if pending is not None else 1) * size
            last_small = size
        else:
            size = _KO_BIG[unit]
            if last_big is not None and size >= last_big:
                return None
            if pending is not None:
                section += pending
            elif last_small is None:
                section = Decimal(1)  # "만원" is 10,000 won
            total += section * size
            section = Decimal(0)
            last_big, last_small = size, None
        pending = None
    if pending is not None:
        section += pending
    return total + section


# ---------------------------------------------------------------------------------------------- formatting


def _lang(locale: str) -> str:
    return "ko" if (locale or "").lower().replace("_", "-").split("-")[0] == "ko" else "en"


def _to_decimal(amount: Decimal | int | float | str) -> Decimal:
    if isinstance(amount, Decimal):
        return amount
    return Decimal(str(amount))


def _digits(value: Decimal, currency: str) -> str:
    """Absolute value with thousands separators; cents only when non-zero (never for KRW/JPY)."""
    if currency in ZERO_DECIMAL:
        return f"{int(value.quantize(_ONE, ROUND_HALF_UP)):,}"
    q = value.quantize(_CENT, ROUND_HALF_UP)
    if q == q.to_integral_value():
        return f"{int(q):,}"
    return f"{q:,.2f}"


def _wrap(negative: bool, currency: str, number: str, locale: str = "en") -> str:
    sign = "-" if negative else ""
    if currency == "KRW" and _lang(locale) == "ko":  # as Koreans write won: 39.7억 원, 1억 5,000만 원, 9,000원
        return f"{sign}{number}{' 원' if number[-1] in '만억조' else '원'}"
    symbol = SYMBOLS.get(currency)
    if symbol:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {currency}"


def _korean_units(n: int) -> str:
    """150001234 -> "1억 5,000만 1,234"; below 10,000 just "9,999"."""
    if n < 10**4:
        return f"{n:,}"
    parts = []
    for size, unit in ((10**12, "조"), (10**8, "억"), (10**4, "만"), (1, "")):
        group = n // size if size == 10**12 else (n // size) % 10**4
        if group:
            parts.append(f"{group:,}{unit}")
    return " ".join(parts)


def format_amount(amount: Decimal, currency: str, locale: str) -> str:
    """Full amount for display: en `$1,500.50`, `₩150,000,000`; ko KRW `1억 5,000만 원`; else `1,234 XYZ`."""
    value = _to_decimal(amount)
    currency = (currency or "").strip().upper()
    negative = value < 0
    value = abs(value)
    if currency == "KRW" and _lang(locale) == "ko":
        number = _korean_units(int(value.quantize(_ONE, ROUND_HALF_UP)))
    else:
        number = _digits(value, currency)
    if number == "0":
        negative = False
    return _wrap(negative, currency, number, locale)


_EN_UNITS = ((Decimal(10**12), "T"), (Decimal(10**9), "B"), (Decimal(10**6), "M"), (Decimal(10**3), "K"))
_KO_UNITS = ((Decimal(10**12), "조"), (Decimal(10**8), "억"), (Decimal(10**4), "만"))


def _compact(value: Decimal, units: tuple[tuple[Decimal, str], ...]) -> str | None:
    """One decimal below 100 units, whole units above; rolls up (999,999 -> 1M). None if below all units."""
    for i, (size, suffix) in enumerate(units):
        if value < size:
            continue
        q = _round_scaled(value / size)
        if i > 0 and q * size >= units[i - 1][0]:
            size, suffix = units[i - 1]
            q = _round_scaled(value / size)
        text = f"{q:,}"
        if text.endswith(".0"):
            text = text[:-2]
        return text + suffix
    return None


def _round_scaled(scaled: Decimal) -> Decimal:
    return scaled.quantize(Decimal("0.1") if scaled < 100 else _ONE, ROUND_HALF_UP)


def format_amount_short(amount: Decimal, currency: str, locale: str) -> str:
    """Compact amount for tallies: en `$1.2M`, `$120K`, `₩150M`; ko KRW `1.5억 원`, `5,000만 원`."""
    value = _to_decimal(amount)
    currency = (currency or "").strip().upper()
    negative = value < 0
    value = abs(value)
    units = _KO_UNITS if currency == "KRW" and _lang(locale) == "ko" else _EN_UNITS
    with localcontext() as ctx:
        ctx.prec = 60
        number = _compact(value, units)
    if number is None:
        return format_amount(-value if negative else value, currency, locale)
    return _wrap(negative, currency, number, locale)


def combined_short(
    amounts: Mapping[str, Decimal],
    locale: str,
    fx: tuple[str, Sequence[tuple[str, str]]] | None = None,
    sep: str = " · ",
) -> str:
    """Amounts in several currencies as one: with exchange rates for every one of them (`fx`: the main currency
    and what one unit of each other is worth in it), `≈ $1.14M ($240K + ₩12억)`; otherwise listed, `$240K · ₩12억`
    (joined by `sep`). An estimate, marked ≈: the rates are the team's, not the day's."""
    parts = [format_amount_short(amount, currency, locale).strip() for currency, amount in amounts.items()]
    total = fx_total(amounts, fx) if len(amounts) > 1 else None
    if total is None:
        return sep.join(parts)
    return f"≈ {format_amount_short(total[1], total[0], locale)} ({' + '.join(parts)})"


def fx_total(
    amounts: Mapping[str, Decimal], fx: tuple[str, Sequence[tuple[str, str]]] | None
) -> tuple[str, Decimal] | None:
    """(main currency, the amounts added up in it) with the rates of `fx`; None without rates, or when they lack
    one of the currencies (`combined_short` then lists the amounts instead)."""
    if fx is None:
        return None
    base, pairs = fx
    rates = {code: Decimal(rate) for code, rate in pairs}
    rates[base] = Decimal(1)
    if any(currency not in rates for currency in amounts):
        return None
    return base, sum((amount * rates[currency] for currency, amount in amounts.items()), Decimal(0))
