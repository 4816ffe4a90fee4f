"""Routing rules, each kind on its own, then round robin through the
database: inactive reps skipped, batches and single leads rotating the same
way, and two apps routing at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from crm_tui.models import Account, Event, Lead, PoolCursor, User
from crm_tui.open import open_workspace
from crm_tui.process import Routing, RoutingRule
from crm_tui.rules.routing import (
    LeadFacts,
    Member,
    NamedAccount,
    NamedAccounts,
    Router,
    domain_of,
)
from crm_tui.services.arrival import create_leads
from crm_tui.services.rules import use_process
from crm_tui.services.users import deactivate_user
from crm_tui.workspace import Workspace
from tests.conftest import as_user

TEAM = {
    "ana": Member(1, "ana"),
    "ben": Member(2, "ben"),
    "cy": Member(3, "cy"),
    "dee": Member(4, "dee", active=False),
}


def router(*rules: RoutingRule, **pools: list[str]) -> Router:
    return Router(Routing(rules=list(rules), pools=pools), TEAM)


@pytest.mark.parametrize(
    ("rule", "matching", "other"),
    [
        (
            RoutingRule(name="r", countries=["Germany"], assign="ana"),
            LeadFacts(country="DE"),
            LeadFacts(country="France"),
        ),
        (
            RoutingRule(name="r", territories=["EMEA"], assign="ana"),
            LeadFacts(territory="emea"),
            LeadFacts(territory="APAC"),
        ),
        (
            RoutingRule(name="r", sources=["Web form"], assign="ana"),
            LeadFacts(source="web-form"),
            LeadFacts(source="Referral"),
        ),
        (
            RoutingRule(name="r", languages=["de"], assign="ana"),
            LeadFacts(language="DE"),
            LeadFacts(language="fr"),
        ),
        (
            RoutingRule(name="r", segments=["SMB"], assign="ana"),
            LeadFacts(segment="smb"),
            LeadFacts(segment="Enterprise"),
        ),
        (
            RoutingRule(name="r", product_interest=["Enterprise"], assign="ana"),
            LeadFacts(product_interest="Enterprise"),
            LeadFacts(product_interest="Starter"),
        ),
    ],
)
def test_each_condition_kind(
    rule: RoutingRule, matching: LeadFacts, other: LeadFacts
) -> None:
    routes = router(rule)
    hit = routes.route(matching)
    assert hit.rule == "r" and hit.owner == TEAM["ana"]
    miss = routes.route(other)
    assert miss.rule is None and miss.owner is None
    assert miss.tried[0].rule == "r"


def test_a_missing_value_never_matches_and_says_so() -> None:
    decision = router(RoutingRule(name="DE", countries=["Germany"], assign="ana"))
    found = decision.route(LeadFacts())
    assert found.tried[0].why_not == "the lead has no country (wants Germany)"


def test_a_named_account_goes_to_its_owner_first() -> None:
    named = NamedAccounts(
        by_domain={"fjord.example": NamedAccount("Fjord Fisheries", 3)},
        by_name={"acme corp": NamedAccount("Acme Corp", 2)},
    )
    routes = Router(
        Routing(
            rules=[
                RoutingRule(name="Named", named_account=True),
                RoutingRule(name="All", assign="ana"),
            ]
        ),
        TEAM,
        named=named,
    )
    by_domain = routes.route(LeadFacts(email="eva@fjord.example", company="Fjord"))
    assert (by_domain.rule, by_domain.owner) == ("Named", TEAM["cy"])
    assert "Fjord Fisheries is a named account owned by cy" in by_domain.reason
    by_name = routes.route(LeadFacts(company="ACME  Corp", email="x@gmail.com"))
    assert by_name.owner == TEAM["ben"]
    other = routes.route(LeadFacts(company="Nobody Inc"))
    assert other.rule == "All"
    assert other.tried[0].why_not == "Nobody Inc is not a named account"


def test_free_mail_says_nothing_about_the_company() -> None:
    assert domain_of("jo@gmail.com") is None
    assert domain_of("jo@fjord.example") == "fjord.example"
    assert domain_of(None, "https://www.fjord.example/about") == "fjord.example"


def test_inactive_users_and_empty_pools_fall_through_to_the_next_rule() -> None:
    routes = router(
        RoutingRule(name="Dee's", assign="dee"),
        RoutingRule(name="Ghosts", pool="ghosts"),
        RoutingRule(name="Everyone", pool="all"),
        ghosts=["dee", "zed"],
        all=["ana", "dee", "ben"],
    )
    decision = routes.route(LeadFacts())
    assert decision.rule == "Everyone"
    assert [a.why_not for a in decision.tried] == [
        "dee is inactive",
        "pool ghosts has nobody active",
    ]
    owners = [routes.route(LeadFacts()).owner for _ in range(4)]
    # ana was first; dee is skipped every time round.
    assert [o.name for o in owners if o] == ["ben", "ana", "ben", "ana"]


def test_explaining_does_not_move_the_pool() -> None:
    routes = router(RoutingRule(name="All", pool="all"), all=["ana", "ben"])
    assert routes.route(LeadFacts(), advance=False).owner == TEAM["ana"]
    assert routes.route(LeadFacts()).owner == TEAM["ana"]
    assert routes.route(LeadFacts()).owner == TEAM["ben"]


# -- through the database --------------------------------------------------

ROUND_ROBIN = """
[[routing.rules]]
name = "Everyone"
pool = "floor"

[routing.pools]
floor = ["alex", "sam", "kim", "lee"]
"""


@pytest.fixture
def floor(ws: Workspace, tmp_path: Path) -> Workspace:
    """The workspace running a process with one pool: alex, sam, kim and
    lee, where lee has left (inactive)."""
    path = tmp_path / "process.toml"
    path.write_text(ROUND_ROBIN, encoding="utf-8")
    use_process(ws, path)

    def lee(session: Session) -> None:
        from crm_tui.services.users import create_user

        create_user(session, name="lee", role="rep", at=ws.clock.now(), by=None)
        deactivate_user(session, name="lee", at=ws.clock.now(), by=ws.user_id)

    ws.write(lee)
    return ws


def owners(ws: Workspace) -> list[str | None]:
    with ws.read() as session:
        rows = session.exec(
            select(User.name)
            .select_from(Lead)
            .outerjoin(User, col(User.id) == Lead.owner_id)
            .order_by(col(Lead.id))
        ).all()
    return list(rows)


def test_a_batch_of_six_and_six_singles_rotate_the_same_way(
    floor: Workspace, tmp_path: Path
) -> None:
    from crm_tui.importing.leads import import_leads

    csv = tmp_path / "six.csv"
    csv.write_text(
        "Name,Email\n" + "".join(f"L{n},l{n}@x.example\n" for n in range(6)),
        encoding="utf-8",
    )
    import_leads(floor, csv)
    batch = owners(floor)
    for n in range(6):
        create_leads(floor, [{"name": f"S{n}", "email": f"s{n}@x.example"}])
    singles = owners(floor)[6:]
    assert batch == ["alex", "sam", "kim", "alex", "sam", "kim"]
    assert singles == batch
    with floor.read() as session:
        cursor = session.get(PoolCursor, "floor")
        # Next to try is lee (4th), who is skipped while inactive.
        assert cursor is not None and cursor.position == 3
        lead = session.exec(select(Lead).where(Lead.name == "L1")).one()
        assert lead.routed_by == "Everyone" and lead.status == "working"
        [event] = session.exec(
            select(Event).where(Event.entity_id == lead.id, Event.action == "assigned")
        ).all()
        assert event.changes["owner"] == [None, "sam"]
        assert event.changes["routed_by"] == [None, "Everyone"]
        assert "round robin in pool floor" in event.changes["reason"]


def test_the_owner_named_in_the_file_wins_over_routing(
    floor: Workspace, tmp_path: Path
) -> None:
    from crm_tui.importing.leads import import_leads

    csv = tmp_path / "owned.csv"
    csv.write_text("Name,Email,Lead Owner\nA,a@x.example,kim\n", encoding="utf-8")
    import_leads(floor, csv)
    assert owners(floor) == ["kim"]
    with floor.read() as session:
        assert session.exec(select(Lead)).one().routed_by == "owner in the file"
        # The rotation did not move: the next routed lead is still alex's.
        cursor = session.get(PoolCursor, "floor")
        assert cursor is None or cursor.position == 0


def test_two_apps_routing_at_once_share_one_rotation(floor: Workspace) -> None:
    url = floor.engine.url.render_as_string(hide_password=False)
    apps = [open_workspace(url, name, floor.clock) for name in ("sam", "kim")]

    def capture(ws: Workspace, tag: str) -> None:
        for n in range(9):
            create_leads(ws, [{"name": f"{tag}{n}"}])

    threads = [threading.Thread(target=capture, args=(ws, ws.user_name)) for ws in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for ws in apps:
        ws.engine.dispose()
    # Eighteen turns of a three-person rotation, in order, whoever took them.
    assert owners(floor) == ["alex", "sam", "kim"] * 6


def test_named_account_owner_gets_the_leads_of_their_account(ws: Workspace) -> None:
    sam = as_user(ws, "sam")

    def account(session: Session) -> None:
        kim = session.exec(select(User).where(User.name == "kim")).one()
        session.add(
            Account(
                name="Fjord Fisheries",
                domain="fjord.example",
                owner_id=kim.id,
                created_at=ws.clock.now(),
                updated_at=ws.clock.now(),
            )
        )

    ws.write(account)
    [(_, arrival)] = create_leads(
        sam, [{"name": "Eva", "email": "eva@fjord.example", "country": "Norway"}]
    )
    assert (arrival.rule, arrival.owner) == ("Named accounts", "kim")
