"""The README's pictures of the customer card and the weekly digest are real builder output: each is drawn here
from the same data with the real builders and flattened to text the way Slack lays the blocks out; the README
must hold exactly that text (run this test to see the text to paste when a builder changes)."""

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from bot.blocks import customer as cb
from bot.blocks import digest as db_
from bot.services.customer import CustomerStatus, HandoffSummary, PromiseItem, VocNote
from bot.services.health import CustomerHealth, Driver, Risk, Score, Trend
from bot.viewdata.customer import CsmRating, TouchItem
from bot.viewdata.digest import Crossing, Digest, Line
from bot.viewdata.digest import Driver as LineDriver

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
TODAY = date(2026, 12, 7)


def flatten(blocks: list) -> str:
    """Blocks as a reader sees them: header, sections (fields two by two), context lines, buttons in brackets."""
    out: list[str] = []
    for b in (x if isinstance(x, dict) else x.to_dict() for x in blocks):
        kind = b["type"]
        if kind == "header":
            out.append(f"# {b['text']['text']}")
        elif kind == "section":
            if b.get("text"):
                out.append(b["text"]["text"])
            fields = [f["text"].replace("\n", ": ", 1) for f in b.get("fields", [])]
            out += [" | ".join(fields[i : i + 2]) for i in range(0, len(fields), 2)]
            if b.get("accessory", {}).get("type") == "button":
                out[-1] += f"  [{b['accessory']['text']['text']}]"
        elif kind == "context":
            out.append(" ".join(e.get("text", "") for e in b["elements"]))
        elif kind == "divider":
            out.append("---")
        elif kind == "actions":
            parts = []
            for e in b["elements"]:
                if e["type"] == "checkboxes":
                    parts += [f"☐ {o['text']['text']} ({o['description']['text']})" for o in e["options"]]
                else:
                    parts.append(f"[{e['text']['text']}]")
            out.append("\n".join(parts) if any(p.startswith("☐") for p in parts) else " ".join(parts))
    return "\n".join(out)


def _driver(signal: str, value: float, impact: float) -> Driver:
    return Driver(signal, value, TODAY, 20.0, 0.15, impact)


def card_example() -> str:
    drivers = (_driver("active_users", 68, -12.1), _driver("tickets_30d", 8, -6.4))
    score = Score(35.2, "unhealthy", drivers, (_driver("nps", 9, 3.0),), drivers, (), (), TODAY)
    risks = (
        Risk("usage_drop", {"signal": "active_users", "before": 149.0, "after": 68.0, "pct": 54.4}),
        Risk("ticket_spike", {"signal": "tickets_30d", "before": 1.0, "after": 8.0}),
    )
    trend = Trend(96.0, 92.0, -60.8, -56.8, (90.0, 93.0, 96.0, 35.2), "▇▇█▁")
    fresh = {"active_users": TODAY, "tickets_30d": TODAY, "nps": TODAY - timedelta(days=12)}
    status = CustomerStatus(
        customer_id=7,
        name="Acme Corp.",
        stage="adoption",
        segment="Enterprise",
        owner_user_id="U0CSM",
        owner_email=None,
        ae_user_id="U0AE",
        ae_email=None,
        arr=Decimal("120000"),
        currency="USD",
        renewal_date=TODAY + timedelta(days=40),
        days_to_renewal=40,
        health=CustomerHealth(score, trend, risks, fresh),
        handoff=HandoffSummary(3, "accepted", "Onboarding takes 10 days; the VP wants 3.", None, None),
        promises=(PromiseItem("SSO before launch", "U0AE", None, TODAY - timedelta(days=2), True, 11),),
        open_promises=1,
        overdue_promises=1,
        voc=(VocNote("We export to Excel every week.", "call", TODAY - timedelta(days=3), 5, "feature_request"),),
        redact=frozenset(),
        today=TODAY,
        rating=CsmRating(2, "Champion left last week", "U0CSM", TODAY - timedelta(days=1)),
        touches=(
            TouchItem("meeting", "QBR: renewal at risk; exec sponsor call set", "U0CSM", TODAY - timedelta(days=4)),
        ),
    )
    blocks, _ = cb.customer_card(status, "en", channel="C0CS")
    return flatten(blocks)


def digest_example() -> str:
    names = {"U0CSM": "Mina Park", "U0KO": "김지훈"}

    def line(cid, name, band, score, change, signal, value, owner, arr, currency, days, urgent, touched=None):
        driver = LineDriver(signal, value) if signal else None
        touch = TODAY - timedelta(days=touched) if touched is not None else None
        return Line(cid, name, band, score, change, driver, owner, None, arr, currency, days, urgent,
                    owner_name=names.get(owner), last_touch=touch)  # fmt: skip

    lines = (
        line(
            1, "Acme Corp.", "unhealthy", 35.2, -60.8, "active_users", 68, "U0CSM", Decimal(120000), "USD", 40, True, 4
        ),
        line(2, "삼성전자", "at_risk", 52.0, -21.0, "nps", 4, "U0KO", Decimal(3_970_000_000), "KRW", None, True, 45),
        line(3, "Initech", "unhealthy", 18.4, -2.0, "license_utilisation", 22, None, Decimal(45000), "USD", 200, False),
    )
    crossing = Crossing(1, "Acme Corp.", "healthy", "unhealthy", TODAY - timedelta(days=2))
    d = Digest(
        day=TODAY,
        week="2026-W50",
        scored=240,
        lines=lines,
        counts={"unhealthy": 2, "at_risk": 1},
        arr_at_risk={"USD": Decimal(165000), "KRW": Decimal(3_970_000_000)},
        without_arr=0,
        newly_at_risk=(crossing,),
        urgent=2,
        urgent_by_band={"unhealthy": 1, "at_risk": 1},
        owners=(("U0CSM", 1), ("U0KO", 1)),
        touches=True,
    )
    return flatten(db_.digest_parts(d, "en")[0].blocks)


def _readme_block(name: str) -> str:
    match = re.search(rf"<!-- example:{name} -->\n```\n(.*?)\n```", README, re.S)
    assert match, f"README has no <!-- example:{name} --> block"
    return match.group(1)


def test_the_readme_shows_the_card_as_the_builder_draws_it():
    assert _readme_block("card") == card_example(), "paste into README:\n" + card_example()


def test_the_readme_shows_the_digest_as_the_builder_draws_it():
    assert _readme_block("digest") == digest_example(), "paste into README:\n" + digest_example()
