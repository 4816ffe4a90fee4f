"""``crm handoffs`` and ``crm accounts`` as a script drives them."""

from __future__ import annotations

import json
from pathlib import Path

from crm_tui.workspace import Workspace
from tests.handoff_helpers import FILLED, opened_handoff, won_deal
from tests.test_cli import crm


def test_a_script_fills_submits_and_accepts_a_handoff(
    ws: Workspace, db_path: Path
) -> None:
    handoff_id = str(opened_handoff(ws, won_deal(ws)))
    code, out = crm(db_path, "handoffs", "submit", handoff_id, user="sam")
    assert code == 1
    assert out.startswith("crm: Hand-off #1 cannot be submitted: 9 required items")
    assert "Next owner: relationship." in out and "\n" not in out.strip()
    for key, value in FILLED.items():
        # "--" ends the options: a promise list starts with "- ".
        assert (
            crm(db_path, "handoffs", "fill", "--", handoff_id, key, value, user="sam")[
                0
            ]
            == 0
        )
    code, out = crm(
        db_path, "handoffs", "fill", handoff_id, "contract", "soon", user="sam"
    )
    assert (code, out.strip()) == (
        1,
        "crm: 'soon' is not a date; write it as 2026-04-01.",
    )
    assert crm(db_path, "handoffs", "submit", handoff_id, user="sam")[0] == 0

    code, out = crm(db_path, "handoffs", "list", "--json", "--mine", user="kim")
    [row] = json.loads(out)
    assert (row["status"], row["next_owner"], row["missing"]) == ("submitted", "kim", 0)
    code, out = crm(
        db_path, "handoffs", "send-back", handoff_id, "Which SSO?", user="kim"
    )
    assert code == 0
    code, out = crm(db_path, "handoffs", "show", handoff_id, "--json", user="sam")
    shown = json.loads(out)
    assert (shown["status"], shown["question"]) == ("sent_back", "Which SSO?")
    assert crm(db_path, "handoffs", "submit", handoff_id, user="sam")[0] == 0
    [deal] = json.loads(crm(db_path, "deals", "list", "--json")[1])
    assert deal["needs_handoff"] is True  # submitted is not yet handed off
    code, out = crm(db_path, "handoffs", "accept", handoff_id, user="kim")
    assert (code, out.strip()) == (
        0,
        "Hand-off #1 accepted; the onboarding task is kim's.",
    )
    code, out = crm(db_path, "handoffs", "list", "--json")
    assert json.loads(out) == []
    [deal] = json.loads(crm(db_path, "deals", "list", "--json")[1])
    assert deal["needs_handoff"] is False

    code, out = crm(db_path, "accounts", "list", "--json")
    [account] = json.loads(out)
    assert account["implementation_owner"] == "kim"
    assert account["renewal_on"] == "2027-04-01"
    assert account["unresolved_promises"] == 3
    code, out = crm(db_path, "accounts", "list", "--json", "--at-risk")
    assert json.loads(out) == []
    # Three support issues put it at risk by the default rules.
    for n in range(3):
        assert crm(db_path, "accounts", "issue", "1", f"Export fails {n}")[0] == 0
    code, out = crm(db_path, "accounts", "list", "--json", "--at-risk")
    [risky] = json.loads(out)
    assert (risky["name"], risky["status"]) == ("Acme Logistics", "at risk")
    assert risky["because"] == "open_support_issues >= 3"
