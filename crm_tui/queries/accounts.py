"""Read models for accounts after the sale: health, the at-risk list, and
renewal and upsell rates.

Health is computed, never stored: the rules in ``process.toml`` may change
any day, and a status written down last month would lie. One query gathers
each account's signals (support issues and promises counted in subqueries);
the rules then run over plain values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from crm_tui.models import Account, Deal, Promise, SupportIssue, User
from crm_tui.process import Process
from crm_tui.rules.health import Condition, Value, health

AT_RISK = "at risk"


@dataclass(frozen=True)
class AccountHealth:
    id: int
    name: str
    renewal_on: date | None
    renewal_within_days: int | None
    onboarding_completed_at: datetime | None
    open_support_issues: int
    resolved_support_issues: int
    unresolved_promises: int
    usage: str | None
    expansion_interest: bool
    relationship_owner: str | None
    implementation_owner: str | None
    service_owner: str | None
    status: str
    because: str | None

    def public(self) -> dict[str, Any]:
        out = asdict(self)
        out["renewal_on"] = self.renewal_on.isoformat() if self.renewal_on else None
        done = self.onboarding_completed_at
        out["onboarding_completed_at"] = done.isoformat() if done else None
        return out


def signals(account: AccountHealth) -> dict[str, Value]:
    """The names a health rule may use, with this account's values."""
    return {
        "renewal_within_days": account.renewal_within_days,
        "onboarding_completed": account.onboarding_completed_at is not None,
        "open_support_issues": account.open_support_issues,
        "resolved_support_issues": account.resolved_support_issues,
        "unresolved_promises": account.unresolved_promises,
        "usage": account.usage,
        "expansion_interest": account.expansion_interest,
    }


def account_health(
    session: Session,
    *,
    today: date,
    rules: Sequence[tuple[str, Condition]],
    at_risk: bool = False,
    account_id: int | None = None,
    limit: int | None = None,
) -> list[AccountHealth]:
    """Accounts with their health, soonest renewal first (no renewal date
    last). ``at_risk`` keeps those whose status is "at risk"."""
    open_issues = _count(SupportIssue, col(SupportIssue.resolved_at).is_(None))
    resolved = _count(SupportIssue, col(SupportIssue.resolved_at).is_not(None))
    promises = _count(Promise, col(Promise.kept_at).is_(None))
    owners = {
        field: aliased(User) for field in ("relationship", "implementation", "service")
    }
    query = (
        select(
            col(Account.id),
            col(Account.name),
            col(Account.renewal_on),
            col(Account.onboarding_completed_at),
            open_issues,
            resolved,
            promises,
            col(Account.usage),
            col(Account.expansion_interest),
            col(owners["relationship"].name),
            col(owners["implementation"].name),
            col(owners["service"].name),
        )
        .outerjoin(
            owners["relationship"],
            col(owners["relationship"].id) == Account.relationship_owner_id,
        )
        .outerjoin(
            owners["implementation"],
            col(owners["implementation"].id) == Account.implementation_owner_id,
        )
        .outerjoin(
            owners["service"],
            col(owners["service"].id) == Account.service_owner_id,
        )
        .order_by(
            col(Account.renewal_on).is_(None),
            col(Account.renewal_on),
            col(Account.name),
        )
    )
    if account_id is not None:
        query = query.where(col(Account.id) == account_id)
    found = []
    for row in session.execute(query):
        renewal_on = row[2]
        within = (renewal_on - today).days if renewal_on else None
        values: list[Any] = [*row[:3], within, *row[3:], "", None]
        account = AccountHealth(*values)
        verdict = health(rules, signals(account))
        if at_risk and verdict.status != AT_RISK:
            continue
        found.append(replace(account, status=verdict.status, because=verdict.because))
        if limit is not None and len(found) >= limit:
            break
    return found


def _count(model: type[SupportIssue] | type[Promise], condition: Any) -> Any:
    return (
        select(func.count())
        .select_from(model)
        .where(col(model.account_id) == Account.id, condition)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class Rate:
    won: int
    closed: int

    @property
    def rate(self) -> float | None:
        return self.won / self.closed if self.closed else None


def follow_on_rates(session: Session, process: Process) -> dict[str, dict[str, Any]]:
    """Renewal and upsell rates: of the renewal (upsell) deals that closed,
    the share won."""
    won = [s.key for s in process.stages if s.closed == "won"]
    lost = [s.key for s in process.stages if s.closed == "lost"]
    out = {}
    for kind in ("renewal", "upsell"):
        counts = dict(
            session.execute(
                select(col(Deal.stage), func.count())
                .where(col(Deal.kind) == kind, col(Deal.stage).in_(won + lost))
                .group_by(col(Deal.stage))
            ).all()
        )
        rate = Rate(
            won=sum(counts.get(k, 0) for k in won),
            closed=sum(counts.values()),
        )
        out[kind] = {"won": rate.won, "closed": rate.closed, "rate": rate.rate}
    return out
