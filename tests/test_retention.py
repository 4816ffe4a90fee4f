"""After the hand-off: health from the team's rules, renewal tasks on the
right day and only once, renewals and upsells as deals of their own."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from crm_tui.clock import FixedClock
from crm_tui.errors import ProcessError
from crm_tui.models import Account, Deal, Promise, SupportIssue, Task, User
from crm_tui.process import DEFAULT_PROCESS, load_process
from crm_tui.queries.accounts import account_health, follow_on_rates
from crm_tui.rules.health import HEALTHY, RuleError, health, parse_condition
from crm_tui.services.retention import (
    complete_onboarding,
    create_due_renewal_tasks,
    keep_promise,
    open_follow_on_deal,
    open_support_issue,
    resolve_support_issue,
    today,
    update_health_signals,
)
from crm_tui.services.users import find_user
from crm_tui.workspace import Workspace
from tests.test_rules_check import line_of


def add_account(
    ws: Workspace, name: str, *, renewal_on: date | None, owner: str = "sam"
) -> int:
    def add(session: Session) -> int:
        now = ws.clock.now()
        account = Account(
            name=name,
            renewal_on=renewal_on,
            relationship_owner_id=find_user(session, owner).id,
            created_at=now,
            updated_at=now,
        )
        session.add(account)
        session.flush()
        assert account.id is not None
        return account.id

    return ws.write(add)


def statuses(ws: Workspace, *, at_risk: bool = False) -> list[tuple[str, str]]:
    with ws.read() as session:
        rows = account_health(
            session,
            today=today(ws),
            rules=ws.process.retention.rules,
            at_risk=at_risk,
        )
    return [(row.name, row.status) for row in rows]


def renewal_tasks(ws: Workspace) -> list[tuple[str, str]]:
    with ws.read() as session:
        rows = session.exec(
            select(Task, User)
            .join(User, col(User.id) == Task.owner_id)
            .where(Task.kind == "renewal")
            .order_by(col(Task.id))
        ).all()
    return [(task.title, user.name) for task, user in rows]


# The condition language ----------------------------------------------------


@pytest.mark.parametrize(
    ("when", "facts", "holds"),
    [
        ("renewal_within_days <= 60", {"renewal_within_days": 60}, True),
        ("renewal_within_days <= 60", {"renewal_within_days": 61}, False),
        # Unknown (no renewal date): every comparison is false, even !=.
        ("renewal_within_days <= 60", {"renewal_within_days": None}, False),
        ("renewal_within_days != 60", {"renewal_within_days": None}, False),
        ("usage == 'low'", {"usage": "low"}, True),
        ('usage != "low"', {"usage": "high"}, True),
        ("not onboarding_completed", {"onboarding_completed": False}, True),
        (
            "open_support_issues >= 3 or usage == 'low' and expansion_interest",
            {"open_support_issues": 0, "usage": "low", "expansion_interest": False},
            False,
        ),
        (
            "(open_support_issues >= 3 or usage == 'low') and not expansion_interest",
            {"open_support_issues": 4, "usage": None, "expansion_interest": False},
            True,
        ),
        ("expansion_interest == true", {"expansion_interest": True}, True),
        ("unresolved_promises > 0.5", {"unresolved_promises": 1}, True),
    ],
)
def test_conditions_read_the_way_they_are_written(
    when: str, facts: dict[str, object], holds: bool
) -> None:
    assert parse_condition(when)(facts) is holds  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("usag == 'low'", "unknown name 'usag' at column 1; known names: renewal"),
        ("usage < 'low'", "'<' at column 7 orders text values; use == or !="),
        ("usage == 3", "'==' at column 7 compares a text with a number"),
        ("open_support_issues", "is a number, not a condition (write open_support"),
        ("usage = 'low'", "cannot read \"= 'low'\" at column 7; compare with =="),
        ("onboarding_completed and", "the condition ends too early"),
        ("(usage == 'low'", "the '(' at column 1 is never closed"),
        ("usage == 'low' usage", "unexpected 'usage' at column 16"),
        ("__import__('os')", "unknown name '__import__' at column 1"),
        ("", "the condition is empty"),
    ],
)
def test_a_malformed_condition_says_what_and_where(when: str, message: str) -> None:
    with pytest.raises(RuleError) as problem:
        parse_condition(when)
    assert message in str(problem.value)


def test_the_first_rule_that_holds_gives_the_status() -> None:
    rules = [
        ("at risk", parse_condition("open_support_issues >= 3")),
        ("watch", parse_condition("open_support_issues >= 1")),
    ]
    assert health(rules, {"open_support_issues": 5}).status == "at risk"
    watch = health(rules, {"open_support_issues": 1})
    assert (watch.status, watch.because) == ("watch", "open_support_issues >= 1")
    assert health(rules, {"open_support_issues": 0}).status == HEALTHY


def test_a_malformed_rule_in_process_toml_is_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "process.toml"
    text = DEFAULT_PROCESS.read_text(encoding="utf-8")
    broken.write_text(
        text.replace("open_support_issues >= 3", "open_support_issues >== 3"),
        encoding="utf-8",
    )
    with pytest.raises(ProcessError) as problem:
        load_process(broken)
    # The rules are one array: its key's line, as ``crm rules check`` says.
    line = line_of(broken.read_text(encoding="utf-8"), "health_rules = [")
    assert str(problem.value) == (
        f"{broken}:{line}: retention.health_rules[2].when: cannot read '= 3' at "
        "column 23; compare with =="
    )


# Health and the at-risk list -----------------------------------------------


def test_health_follows_the_rules_and_at_risk_sorts_by_renewal(
    ws: Workspace,
) -> None:
    day = today(ws)
    late = add_account(ws, "Late Onboarding", renewal_on=day + timedelta(days=45))
    soon = add_account(ws, "Soon Unhappy", renewal_on=day + timedelta(days=200))
    add_account(ws, "Fine Co", renewal_on=day + timedelta(days=20))
    quiet = add_account(ws, "Quiet Co", renewal_on=None)
    complete_onboarding(ws, soon)
    for n in range(3):
        open_support_issue(ws, soon, f"Export fails #{n}")
    update_health_signals(ws, quiet, usage="Low")
    # Fine Co renews in 20 days but has finished onboarding.
    with ws.read() as session:
        fine = session.exec(select(Account).where(Account.name == "Fine Co")).one()
    assert fine.id is not None
    complete_onboarding(ws, fine.id)

    assert statuses(ws) == [
        ("Fine Co", "healthy"),
        ("Late Onboarding", "at risk"),
        ("Soon Unhappy", "at risk"),
        ("Quiet Co", "watch"),
    ]
    assert statuses(ws, at_risk=True) == [
        ("Late Onboarding", "at risk"),
        ("Soon Unhappy", "at risk"),
    ]
    with ws.read() as session:
        [row] = account_health(
            session, today=day, rules=ws.process.retention.rules, account_id=soon
        )
    assert (row.open_support_issues, row.because) == (3, "open_support_issues >= 3")

    # Resolving one issue and finishing onboarding take both off the list.
    with ws.read() as session:
        issue = session.exec(select(SupportIssue)).first()
    assert issue is not None and issue.id is not None
    assert resolve_support_issue(ws, issue.id).resolved_at == ws.clock.now()
    complete_onboarding(ws, late)
    assert statuses(ws, at_risk=True) == []


def test_unresolved_promises_weigh_on_health_until_kept(ws: Workspace) -> None:
    account_id = add_account(ws, "Promised", renewal_on=today(ws) + timedelta(80))
    complete_onboarding(ws, account_id)

    def promise(session: Session) -> int:
        row = Promise(account_id=account_id, text="SSO", created_at=ws.clock.now())
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id

    promise_id = ws.write(promise)
    assert statuses(ws) == [("Promised", "at risk")]
    keep_promise(ws, promise_id)
    assert statuses(ws) == [("Promised", "healthy")]


# Renewal tasks --------------------------------------------------------------


def test_renewal_tasks_come_on_the_right_day_and_only_once(
    ws: Workspace, clock: FixedClock
) -> None:
    # Monday 2 March; 90 days before 1 June is Tuesday 3 March.
    add_account(ws, "Acme", renewal_on=date(2026, 6, 1))
    add_account(ws, "Later Inc", renewal_on=date(2026, 9, 1), owner="kim")
    assert create_due_renewal_tasks(ws) == []
    clock.advance(days=1)
    assert len(create_due_renewal_tasks(ws)) == 1
    assert create_due_renewal_tasks(ws) == []
    clock.advance(days=30)
    assert create_due_renewal_tasks(ws) == []
    assert renewal_tasks(ws) == [("Renewal of Acme on 2026-06-01", "sam")]

    # Renewed for a year: the next renewal gets its own task, in its time.
    with ws.read() as session:
        acme = session.exec(select(Account).where(Account.name == "Acme")).one()

    def renew(session: Session) -> None:
        account = session.get(Account, acme.id)
        assert account is not None
        account.renewal_on = date(2027, 6, 1)

    ws.write(renew)
    clock.advance(days=61)  # 2 June: Later Inc renews in 91 days, Acme in 364.
    assert create_due_renewal_tasks(ws) == []
    clock.advance(days=1)  # 3 June: 90 days before 1 September
    assert len(create_due_renewal_tasks(ws)) == 1
    assert renewal_tasks(ws)[-1] == ("Renewal of Later Inc on 2026-09-01", "kim")


# Renewals and upsells -------------------------------------------------------


def test_renewals_and_upsells_are_deals_with_their_own_rates(ws: Workspace) -> None:
    account_id = add_account(ws, "Acme", renewal_on=date(2027, 4, 1))
    renewal = open_follow_on_deal(ws, account_id, "renewal", amount=Decimal(50000))
    upsell = open_follow_on_deal(ws, account_id, "upsell")
    another = open_follow_on_deal(ws, account_id, "upsell")
    assert (renewal.kind, renewal.stage, renewal.close_on) == (
        "renewal",
        "contacted",
        date(2027, 4, 1),
    )
    assert renewal.title == "Renewal: Acme" and renewal.account_id == account_id

    def close(session: Session) -> None:
        for deal_id, stage in (
            (renewal.id, "won"),
            (upsell.id, "won"),
            (another.id, "lost"),
        ):
            deal = session.get(Deal, deal_id)
            assert deal is not None
            deal.stage = stage

    ws.write(close)
    with ws.read() as session:
        rates = follow_on_rates(session, ws.process)
    assert rates == {
        "renewal": {"won": 1, "closed": 1, "rate": 1.0},
        "upsell": {"won": 1, "closed": 2, "rate": 0.5},
    }
