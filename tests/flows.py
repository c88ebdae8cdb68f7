"""High-level steps a user takes in Slack, built from signed payloads (used by the end-to-end tests)."""

import json

from bot.blocks import handoff as hb
from tests import payloads as p

GOOD_FORM = {
    "customer_name": "ACME Corp.",
    "crm_ref": None,
    "products_sold": "Enterprise plan, 200 seats, SSO add-on",
    "arr": "$120,000",
    "contract_start": "2026-12-01",
    "term_months": "12",
    "renewal_date": "2027-12-01",
    "why_bought": "Onboarding takes 10 days; the new VP wants it under 3 before Q1 hiring.",
    "business_goals": "Cut onboarding time; one source of truth for customer data.",
    "success_criteria": "Onboarding time: 10 days -> 3 days\nAdoption: 0 -> 80% weekly active",
    "stakeholders": "Champion: Jane Kim, VP Ops, jane@acme.com\nEconomic buyer: Tom Lee, CFO, tom@acme.com",
    "promises": "SSO before launch | <@U_AE> | 2027-01-15\nQuarterly roadmap review",
    "risks": "Budget owner may change in Q1.",
    "kickoff_date": "2026-12-03",
    "ae_user": "U_AE",
    "se_user": None,
    "csm_user": None,
    "icp_fit": "good",
    "competitors": None,
    "tech_requirements": None,
    "links": None,
    "feature_requests": None,
}


def state_for(form: dict) -> dict:
    """Slack's view.state.values for the handoff modal filled with `form` (None = left empty)."""
    values = {}
    for spec in hb.FIELDS:
        v = form.get(spec.name)
        if spec.kind == "date":
            state = p.date_value(v)
        elif spec.kind == "user":
            state = p.user_value(v)
        elif spec.kind == "icp":
            state = p.static_value(v)
        elif spec.kind == "number":
            state = p.number_value(v)
        else:
            state = p.text_value(v)
        values[spec.name] = {hb.VALUE: state}
    return values


def last_view(slack) -> dict:
    """The last view Baton opened in the fake Slack."""
    views = slack.views_opened()
    assert views, f"no view opened; calls: {[c.method for c in slack.calls]}"
    return views[-1]


def open_handoff(baton, slack, text: str = "", user: str = "U_AE") -> dict:
    """Run `/handoff text` and return the modal Baton opened."""
    resp = baton.slack(p.slash_command("/handoff", text, user_id=user, response_url=slack.new_response_url()))
    assert resp.status_code == 200, resp.text
    return last_view(slack)


def submit_handoff(baton, view: dict, user: str = "U_AE", view_id: str = "V_HANDOFF", **changes):
    """Submit the handoff modal `view` with GOOD_FORM plus `changes`; returns the HTTP response."""
    form = dict(GOOD_FORM, **changes)
    req = p.view_submission(
        hb.HANDOFF_MODAL,
        state_for(form),
        user_id=user,
        private_metadata=view["private_metadata"],
        view_id=view_id,
    )
    return baton.slack(req)


def ack_body(resp) -> dict:
    """The JSON a view submission was acked with ({} for a plain ack)."""
    return json.loads(resp.text) if resp.text.strip() else {}


def card_action(baton, slack, action_id: str, handoff_id: int, user: str, channel: str, ts: str):
    """Click a button on the handoff card."""
    req = p.block_actions(
        action_id,
        str(handoff_id),
        user_id=user,
        channel_id=channel,
        message_ts=ts,
        response_url=slack.new_response_url(),
    )
    return baton.slack(req)


def blocks_text(blocks: list[dict]) -> str:
    """All text in a list of blocks, for assertions."""
    return json.dumps(blocks, ensure_ascii=False)


def slack_faults(method: str) -> dict:
    """Ways Slack fails a call (by name): each must end, after the outbox's retries, with exactly one effect."""
    return {
        "stored, then the connection drops": lambda slack: slack.fail_after_effect(method, drop=True),
        "stored, then HTTP 500": lambda slack: slack.fail_after_effect(method),
        "HTTP 503, nothing stored": lambda slack: slack.fail_next(method, status=503),
        "429 with Retry-After 75 (past the lease)": lambda slack: slack.fail_next(method, status=429, retry_after=75),
        "429 with Retry-After 0": lambda slack: slack.fail_next(method, status=429, retry_after=0),
    }


POST_FAULTS = slack_faults("chat.postMessage")
UPDATE_FAULTS = slack_faults("chat.update")  # updates are idempotent: a repeat is harmless, a lost one is not


def retry_for(baton, clock, minutes: int = 5) -> None:
    """Let the outbox's retries come due, a minute (past the lease) at a time."""
    for _ in range(minutes):
        clock.advance(seconds=61)
        baton.settle()
