"""After the hand-off: what keeps an account healthy and renewing.

Renewal tasks come due ``renewal_task_days_before`` days before each
renewal date and are created once per renewal, however often the check runs
(at app start and by ``crm accounts renewal-tasks``). Renewals and upsells
are deals of their own kind on the account, so their rates can be reported.
Support issues, promises kept and onboarding feed the health rules.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal, TypeVar

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from crm_tui.errors import CrmError, NotFound
from crm_tui.events import add_created, record
from crm_tui.models import Account, Deal, Promise, SupportIssue
from crm_tui.services.edits import apply_edit
from crm_tui.services.tasks import create_task
from crm_tui.workspace import Workspace

log = logging.getLogger(__name__)

FollowOn = Literal["renewal", "upsell"]
Closable = TypeVar("Closable", SupportIssue, Promise)


def today(ws: Workspace) -> date:
    """The date where the team works (a renewal is due on the team's day)."""
    return ws.clock.now().astimezone(ws.process.team.zone).date()


def create_due_renewal_tasks(ws: Workspace) -> list[int]:
    """A renewal task for the relationship owner of every account whose
    renewal is ``renewal_task_days_before`` days away or nearer, once per
    renewal date. Returns the ids of the tasks created."""
    day = today(ws)
    days_before = ws.process.retention.renewal_task_days_before
    latest = day + timedelta(days=days_before)

    def create(session: Session) -> list[int]:
        due = session.exec(
            select(Account).where(
                col(Account.renewal_on).is_not(None),
                col(Account.renewal_on) >= day,
                col(Account.renewal_on) <= latest,
                or_(
                    col(Account.renewal_task_for).is_(None),
                    col(Account.renewal_task_for) != col(Account.renewal_on),
                ),
            )
        ).all()
        created = []
        now = ws.clock.now()
        for account in due:
            assert account.id is not None and account.renewal_on is not None
            # Conditional, so two apps starting at once create one task.
            marked = session.execute(
                update(Account)
                .where(
                    col(Account.id) == account.id,
                    or_(
                        col(Account.renewal_task_for).is_(None),
                        col(Account.renewal_task_for) != account.renewal_on,
                    ),
                )
                .values(renewal_task_for=account.renewal_on)
            )
            if marked.rowcount == 0:  # type: ignore[attr-defined]
                continue
            task = create_task(
                session,
                kind="renewal",
                title=f"Renewal of {account.name} on {account.renewal_on:%Y-%m-%d}",
                due_at=now,
                owner_id=account.relationship_owner_id or account.owner_id,
                account_id=account.id,
                at=now,
                by=None,
                reason=f"renewal in {(account.renewal_on - day).days}d",
            )
            assert task.id is not None
            created.append(task.id)
        return created

    created = ws.write(create)
    if created:
        log.info("%d renewal tasks created", len(created))
    return created


def open_follow_on_deal(
    ws: Workspace,
    account_id: int,
    kind: FollowOn,
    *,
    amount: Decimal | None = None,
    close_on: date | None = None,
    title: str | None = None,
) -> Deal:
    """A renewal or upsell deal on the account, in the first open stage,
    owned by the relationship owner (else the user at the keyboard)."""
    if kind not in ("renewal", "upsell"):
        raise CrmError(f"A follow-on deal is a renewal or an upsell, not {kind!r}.")
    stages = ws.process.open_stages
    if not stages:
        raise CrmError("The process has no open stage to start a deal in.")

    def open_deal(session: Session) -> Deal:
        account = _account(session, account_id)
        now = ws.clock.now()
        closes = close_on or (account.renewal_on if kind == "renewal" else None)
        deal = Deal(
            title=title or f"{kind.capitalize()}: {account.name}",
            kind=kind,
            account_id=account_id,
            owner_id=account.relationship_owner_id or ws.user_id,
            stage=stages[0].key,
            amount=amount,
            close_on=closes,
            stage_entered_at=now,
            created_at=now,
            updated_at=now,
        )
        add_created(
            session,
            deal,
            entity="deal",
            at=now,
            by=ws.user_id,
            changes={
                "kind": [None, kind],
                "account": [None, account.name],
                "stage": [None, deal.stage],
            },
        )
        return deal

    return ws.write(open_deal)


def open_support_issue(ws: Workspace, account_id: int, title: str) -> SupportIssue:
    title = title.strip()
    if not title:
        raise CrmError("A support issue needs a title saying what is wrong.")

    def open_issue(session: Session) -> SupportIssue:
        _account(session, account_id)
        now = ws.clock.now()
        issue = SupportIssue(
            account_id=account_id, title=title, opened_at=now, created_by_id=ws.user_id
        )
        session.add(issue)
        session.flush()
        assert issue.id is not None
        record(
            session,
            at=now,
            user_id=ws.user_id,
            entity="support_issue",
            entity_id=issue.id,
            action="opened",
            changes={"title": [None, title], "account_id": [None, account_id]},
        )
        return issue

    return ws.write(open_issue)


def resolve_support_issue(ws: Workspace, issue_id: int) -> SupportIssue:
    return _close(ws, SupportIssue, "support_issue", issue_id, "resolved_at")


def keep_promise(ws: Workspace, promise_id: int) -> Promise:
    """Mark a promise from the hand-off as kept."""
    return _close(ws, Promise, "promise", promise_id, "kept_at")


def complete_onboarding(ws: Workspace, account_id: int) -> Account:
    def complete(session: Session) -> Account:
        account = _account(session, account_id)
        if account.onboarding_completed_at is None:
            apply_edit(
                session,
                Account,
                "account",
                account_id,
                expected_version=account.version,
                changes={"onboarding_completed_at": ws.clock.now()},
                at=ws.clock.now(),
                user_id=ws.user_id,
                action="onboarded",
            )
        return _account(session, account_id)

    return ws.write(complete)


def update_health_signals(
    ws: Workspace,
    account_id: int,
    *,
    usage: str | None = None,
    expansion_interest: bool | None = None,
    expected_version: int | None = None,
) -> Account:
    """Record the usage indicator or expansion interest of an account."""
    changes: dict[str, object] = {}
    if usage is not None:
        changes["usage"] = usage.strip().lower() or None
    if expansion_interest is not None:
        changes["expansion_interest"] = expansion_interest

    def change(session: Session) -> Account:
        account = _account(session, account_id)
        apply_edit(
            session,
            Account,
            "account",
            account_id,
            expected_version=expected_version or account.version,
            changes=changes,
            at=ws.clock.now(),
            user_id=ws.user_id,
        )
        return _account(session, account_id)

    return ws.write(change)


def _account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"There is no account #{account_id}.")
    session.refresh(account)
    return account


def _close(
    ws: Workspace, model: type[Closable], entity: str, record_id: int, field: str
) -> Closable:
    def close(session: Session) -> Closable:
        row = session.get(model, record_id)
        if row is None:
            raise NotFound(f"There is no {entity.replace('_', ' ')} #{record_id}.")
        if getattr(row, field) is None:
            now: datetime = ws.clock.now()
            apply_edit(
                session,
                model,
                entity,
                record_id,
                expected_version=row.version,
                changes={field: now},
                at=now,
                user_id=ws.user_id,
                action=field.removesuffix("_at"),
            )
            session.refresh(row)
        return row

    return ws.write(close)
