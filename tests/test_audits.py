"""The audit on a seeded database: each kind of duplicate with its reason,
the pipeline's loose ends and the process's broken rules; and nothing at
all on a clean one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, select
from typer.testing import CliRunner

from crm_tui.audits.checks import Audit, run_audit
from crm_tui.audits.definitions import definitions
from crm_tui.audits.duplicates import LeadKeys, find_duplicates
from crm_tui.cli import app
from crm_tui.models import Handoff, Task, User
from crm_tui.workspace import Workspace
from tests.reporting import add_deal, add_lead

CLEAN_PEOPLE = [
    ("Maria Garcia", "Globex", "maria@globex.com", "+12125550101"),
    ("Tom Becker", "Initech", "tom@initech.com", "+12125550102"),
    ("Yuki Tanaka", "Umbrella", "yuki@umbrella.jp", "+81312345678"),
    ("Lars Nilsen", "Hooli", "lars@hooli.no", None),
    ("Lead Zero", "Company 1", "l0@example.com", None),
    ("Lead One", "Company 1", "l1@example.com", None),
]


def seed(
    ws: Workspace, people: Sequence[tuple[str, str | None, str | None, str | None]]
) -> list[int]:
    def add(session: Session) -> list[int]:
        now = ws.clock.now()
        return [
            add_lead(
                session,
                name=name,
                company=company,
                email=email,
                email_key=email.lower() if email else None,
                phone=phone,
                product_interest="Enterprise",
                created_at=now - timedelta(days=1),
            )
            for name, company, email, phone in people
        ]

    return ws.write(add)


def audit(ws: Workspace) -> Audit:
    with ws.read() as session:
        return run_audit(session, ws.process, ws.clock.now())


def test_a_clean_database_has_nothing_to_fix(ws: Workspace) -> None:
    seed(ws, CLEAN_PEOPLE)
    found = audit(ws)
    assert found.duplicates == []
    assert found.problems == 0, found.as_json()


def test_each_kind_of_duplicate_is_found_with_its_reason(ws: Workspace) -> None:
    ids = seed(
        ws,
        [
            *CLEAN_PEOPLE,
            ("Maria G.", "Other Co", "MARIA@globex.com", None),  # same e-mail
            ("T. Becker", "Elsewhere", None, "+12125550102"),  # same phone
            ("Bob Stone", "Stone LLC", "bob@stone.io", None),
            ("Robert Stone", "Quarry", "bob+news@stone.io", None),  # +tag
            ("José Núñez", "Acme", "jose@acme.com", None),
            ("Jose Nunez", "Acme", "jn@gmail.com", None),  # accents only
            ("Jonathan Smith", "Initrode Inc.", "js@initrode.com", None),
            ("Jonathon Smith", "Initrode", "jsmith@gmail.com", None),  # probable
        ],
    )
    maria, tom = ids[0], ids[1]
    found = {(p.keep, p.other): p.reasons for p in audit(ws).duplicates}
    new = ids[len(CLEAN_PEOPLE) :]
    assert found == {
        (maria, new[0]): ["same e-mail maria@globex.com"],
        (tom, new[1]): ["same phone +12125550102"],
        (new[2], new[3]): ["e-mails differ only by a +tag (bob@stone.io)"],
        (new[4], new[5]): ["names differ only in accents (José Núñez / Jose Nunez)"],
        (new[6], new[7]): [
            "similar name and company (Jonathan Smith / Jonathon Smith, "
            "Initrode Inc. / Initrode: 93%, 100%)"
        ],
    }


def test_duplicates_are_found_by_blocks_not_by_comparing_everyone() -> None:
    # 10,000 leads at 1,000 companies, one probable pair among them: fast,
    # because only leads sharing a company word and an initial are compared.
    leads = [
        LeadKeys(n, f"Person {n:05d}", f"Company{n % 1000} Ltd", f"p{n}@x.com")
        for n in range(10_000)
    ]
    leads.append(LeadKeys(99_999, "Person 00007x", "Company7 Ltd", None))
    pairs = find_duplicates(leads)
    assert [(p.keep, p.other) for p in pairs] == [(7, 99_999)]


def test_the_pipeline_s_loose_ends_and_broken_rules(ws: Workspace) -> None:
    now = ws.clock.now()

    def build(session: Session) -> None:
        kim = session.exec(select(User).where(User.name == "kim")).one()
        kim.active = False
        session.add(kim)
        add_lead(
            session,
            name="Waiting",
            created_at=now - timedelta(hours=5),
            sla_due_at=now - timedelta(hours=2),
        )
        stale = add_deal(
            session,
            [(now - timedelta(days=20), "contacted")],
            title="Gone quiet",
            amount=1,
        )
        session.add(Task(title="call", due_at=now, deal_id=stale, created_at=now))
        for n in range(5):
            add_deal(
                session,
                [(now - timedelta(days=1), "proposal")],
                title=f"Proposal {n}",
                amount=1,
                next_meeting_at=now + timedelta(days=2),
            )
        won = add_deal(session, [(now - timedelta(days=9), "won")], title="Won it")
        session.add(
            Handoff(
                deal_id=won,
                status="submitted",
                submitted_at=now - timedelta(days=5),
                created_at=now - timedelta(days=6),
                updated_at=now,
            )
        )

    ws.write(build)
    found = audit(ws)
    assert [f.title for f in found.stale_deals] == ["Gone quiet"]
    assert "no activity for 20 days in contacted" in found.stale_deals[0].why
    # Gone quiet has an open task; the proposals have a meeting ahead.
    assert found.no_next_step == []
    assert [f.title for f in found.past_sla] == ["Waiting"]
    assert "first touch 2h00m late, nobody owns it" in found.past_sla[0].why
    assert [f.why for f in found.handoffs_waiting] == [
        "submitted for 5 days (too long after 3)"
    ]
    broken = {(f.title, f.why) for f in found.broken_rules}
    assert ("routing rule 'Asia Pacific'", "names inactive user 'kim'") in broken
    assert ("pool north_america", "names inactive user 'kim'") in broken
    assert ("Discovery scheduled", "no deal entered it in the last 90 days") in broken
    assert (
        "deal amount",
        "required, and all 6 deals have the same value 1.00",
    ) in broken
    usage = {(u.table, u.field): u.share for u in found.field_usage}
    assert usage[("deal", "amount")] == 6 / 7
    assert usage[("lead", "company")] == 0.0


def test_every_stage_has_its_definition(ws: Workspace) -> None:
    found = definitions(ws.process)
    stages = [d for d in found if d.kind == "stage"]
    assert [d.key for d in stages] == [s.key for s in ws.process.stages]
    proposal = next(d for d in stages if d.key == "proposal")
    assert proposal.text == (
        "The buyer has a written proposal with a price. To enter: Amount."
    )
    # Found in the demo: fields named as the database names them, where the
    # forms that ask for them say "Next meeting" and "Decision date".
    texts = {d.key: (d.name, d.text) for d in found}
    assert texts["discovery"][1].endswith("To enter: Next meeting.")
    assert texts["negotiation"][1].endswith("To enter: Amount, Decision date.")
    assert texts["decision_on"][0] == "Decision date"
    assert texts["next_meeting_at"][0] == "Next meeting"
    assert texts["sla"][0] == "sla"
    assert any(d.key == "sla" and d.kind == "term" for d in found)


def test_crm_audit_json(ws: Workspace, db_path: Path) -> None:
    seed(ws, [*CLEAN_PEOPLE, ("Maria G.", None, "maria@globex.com", None)])
    result = CliRunner().invoke(
        app, ["--db", str(db_path), "--user", "alex", "audit", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["problems"] == 1
    assert data["duplicates"][0]["reasons"] == ["same e-mail maria@globex.com"]
    result = CliRunner().invoke(app, ["--db", str(db_path), "--user", "alex", "audit"])
    assert "#1 and #7: same e-mail maria@globex.com" in result.stdout
