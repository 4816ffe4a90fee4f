"""The hand-off: a won deal passed from the closing rep to the people who
deliver, with every promise written down first.

A hand-off opens when a deal enters Closed won, with the checklist of
``[[handoff.checklist]]`` as it is that day. The closing rep fills the items
and submits; submitting is refused while a required item is empty. The next
owner (the user named in the first user item, by default the implementation
owner; a manager can stand in) accepts it or sends it back with a question.
Accepting gives the account its owners, its renewal date and its promises,
creates the first onboarding task, and marks the deal as handed off (it no
longer needs a hand-off). Every step is an event on the hand-off, with who
and when.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from crm_tui.errors import CrmError, NotAllowed, NotFound
from crm_tui.events import add_created, record
from crm_tui.models import (
    Account,
    Contact,
    Deal,
    Handoff,
    HandoffItem,
    Promise,
    Task,
    User,
)
from crm_tui.rules.handoff import (
    BadValue,
    Person,
    missing,
    parse_date,
    parse_people,
    people_value,
    promise_lines,
    shown,
)
from crm_tui.rules.stages import task_due
from crm_tui.services.edits import Conflict, apply_edit
from crm_tui.services.roles import RANKS
from crm_tui.services.tasks import create_task
from crm_tui.services.users import find_user
from crm_tui.workspace import Workspace

log = logging.getLogger(__name__)

# User items with these keys become the account's owners on acceptance.
OWNER_FIELDS = {
    "implementation_owner": "implementation_owner_id",
    "service_owner": "service_owner_id",
    "relationship_owner": "relationship_owner_id",
}
# The date item with this key is the contract start; renewal follows from it.
CONTRACT_START = "contract"

EDITABLE = ("open", "sent_back")


class HandoffIncomplete(CrmError):
    """A hand-off was submitted while required items were empty."""

    def __init__(self, handoff_id: int, labels: Sequence[str]) -> None:
        self.labels = list(labels)
        count = len(labels)
        items = "item is" if count == 1 else "items are"
        super().__init__(
            f"Hand-off #{handoff_id} cannot be submitted: {count} required "
            f"{items} empty: {'; '.join(labels)}."
        )


def _give_an_account(session: Session, ws: Workspace, deal: Deal) -> None:
    """A won deal with no account becomes a customer all the same: the
    account is named after the deal ("Initech — Team plan" gives "Initech"),
    so the hand-off has somewhere to put its owners and promises."""
    assert deal.id is not None
    now = ws.clock.now()
    name = re.split(r"\s+[—·–-]\s+", deal.title or "", maxsplit=1)[0].strip()
    account = Account(
        name=name or f"Customer of deal #{deal.id}",
        owner_id=deal.owner_id,
        created_at=now,
        updated_at=now,
    )
    add_created(
        session,
        account,
        entity="account",
        at=now,
        by=ws.user_id,
        changes={"name": [None, account.name], "from_deal": [None, deal.id]},
    )
    deal.account_id = account.id
    deal.version += 1
    deal.updated_at = now
    session.add(deal)
    session.flush()
    record(
        session,
        at=now,
        user_id=ws.user_id,
        entity="deal",
        entity_id=deal.id,
        action="updated",
        changes={"account_id": [None, account.id]},
    )


def open_handoff(session: Session, ws: Workspace, deal: Deal) -> Handoff:
    """The deal's hand-off, opened with the process's checklist if it has
    none yet. Call it in the transaction that moves the deal to won."""
    assert deal.id is not None
    existing = session.exec(select(Handoff).where(Handoff.deal_id == deal.id)).first()
    if existing is not None:
        return existing
    now = ws.clock.now()
    if deal.account_id is None:
        _give_an_account(session, ws, deal)
    handoff = Handoff(
        deal_id=deal.id,
        account_id=deal.account_id,
        closing_user_id=deal.owner_id or ws.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(handoff)
    session.flush()
    assert handoff.id is not None
    for item in ws.process.handoff.checklist:
        session.add(
            HandoffItem(
                handoff_id=handoff.id,
                key=item.key,
                label=item.label,
                kind=item.kind,
                required=item.required,
            )
        )
    session.flush()
    record(
        session,
        at=now,
        user_id=ws.user_id,
        entity="handoff",
        entity_id=handoff.id,
        action="opened",
        changes={
            "deal": [None, deal.title or f"#{deal.id}"],
            "items": [None, len(ws.process.handoff.checklist)],
        },
    )
    log.info("hand-off #%s opened for deal #%s", handoff.id, deal.id)
    return handoff


def handoff_for_deal(ws: Workspace, deal_id: int) -> Handoff | None:
    with ws.read() as session:
        return session.exec(select(Handoff).where(Handoff.deal_id == deal_id)).first()


def fill_item(
    ws: Workspace,
    handoff_id: int,
    key: str,
    text: str,
    *,
    expected_version: int | None = None,
) -> Handoff:
    """Write what the closing rep typed into one item; empty text clears it.

    Dates are read as dates, users by name, people as contacts with roles
    (each one found on the account by name, or added to it).
    """

    def fill(session: Session) -> Handoff:
        handoff = _get(session, handoff_id)
        _may_edit(session, ws, handoff)
        item = _item(session, handoff, key)
        value = _value(session, ws, handoff, item, text)
        old = item.value
        if old == value:
            return handoff
        now = ws.clock.now()
        _bump(session, handoff, expected_version, now)
        item.value = value
        item.updated_at = now
        session.add(item)
        record(
            session,
            at=now,
            user_id=ws.user_id,
            entity="handoff",
            entity_id=handoff_id,
            action="filled",
            changes={item.key: [shown(item.kind, old), shown(item.kind, value)]},
        )
        session.flush()
        session.refresh(handoff)
        return handoff

    return ws.write(fill)


def submit_handoff(
    ws: Workspace, handoff_id: int, *, expected_version: int | None = None
) -> Handoff:
    """Pass the hand-off to its next owner, or refuse naming every required
    item that is still empty."""

    def submit(session: Session) -> Handoff:
        handoff = _get(session, handoff_id)
        _may_edit(session, ws, handoff)
        items = _items(session, handoff_id)
        empty = missing(items)
        if empty:
            raise HandoffIncomplete(handoff_id, [item.label for item in empty])
        users = [i for i in items if i.kind == "user" and i.value]
        next_owner = find_user(session, users[0].value or "") if users else None
        action = "resubmitted" if handoff.status == "sent_back" else "submitted"
        apply_edit(
            session,
            Handoff,
            "handoff",
            handoff_id,
            expected_version=_expect(handoff, expected_version),
            changes={
                "status": "submitted",
                "submitted_at": ws.clock.now(),
                "next_owner_id": next_owner.id if next_owner else None,
                "question": None,
            },
            at=ws.clock.now(),
            user_id=ws.user_id,
            action=action,
        )
        return _get(session, handoff_id)

    return ws.write(submit)


def send_back_handoff(
    ws: Workspace,
    handoff_id: int,
    question: str,
    *,
    expected_version: int | None = None,
) -> Handoff:
    """Return a submitted hand-off to the closing rep with a question."""
    question = question.strip()
    if not question:
        raise CrmError("Say what is missing: a hand-off goes back with a question.")

    def send_back(session: Session) -> Handoff:
        handoff = _get(session, handoff_id)
        _may_decide(session, ws, handoff, "send back")
        apply_edit(
            session,
            Handoff,
            "handoff",
            handoff_id,
            expected_version=_expect(handoff, expected_version),
            changes={"status": "sent_back", "question": question},
            at=ws.clock.now(),
            user_id=ws.user_id,
            action="sent_back",
        )
        return _get(session, handoff_id)

    return ws.write(send_back)


@dataclass(frozen=True)
class Accepted:
    """A hand-off just accepted, and who its onboarding task went to (the
    implementation owner, else whoever accepted; ``None`` when the process
    makes no onboarding task)."""

    handoff: Handoff
    onboarding_owner: str | None


def accept_handoff(
    ws: Workspace, handoff_id: int, *, expected_version: int | None = None
) -> Accepted:
    """Take the hand-off: the account gets its owners, renewal date and
    promises, the first onboarding task is created, and the deal no longer
    needs a hand-off."""

    def accept(session: Session) -> Accepted:
        handoff = _get(session, handoff_id)
        _may_decide(session, ws, handoff, "accept")
        if handoff.account_id is None:
            raise CrmError(
                f"Hand-off #{handoff_id} has no account: link its deal to one first."
            )
        now = ws.clock.now()
        apply_edit(
            session,
            Handoff,
            "handoff",
            handoff_id,
            expected_version=_expect(handoff, expected_version),
            changes={"status": "accepted", "accepted_at": now},
            at=now,
            user_id=ws.user_id,
            action="accepted",
        )
        _handed_off(session, ws, handoff.deal_id)
        items = {item.key: item for item in _items(session, handoff_id)}
        account = _set_up_account(session, ws, handoff.account_id, items)
        _create_promises(session, ws, handoff_id, account, items)
        task = _create_onboarding_task(session, ws, handoff, account)
        owner = session.get(User, task.owner_id) if task and task.owner_id else None
        return Accepted(_get(session, handoff_id), owner.name if owner else None)

    return ws.write(accept)


# Accepting --------------------------------------------------------------


def _handed_off(session: Session, ws: Workspace, deal_id: int) -> None:
    # needs_handoff is set when the deal is won and means its hand-off is not
    # done; a submitted one still waits for the next owner (queries/handoffs
    # counts it as waiting), so only accepting clears it.
    deal = session.get(Deal, deal_id)
    if deal is None or not deal.needs_handoff:
        return
    assert deal.id is not None
    apply_edit(
        session,
        Deal,
        "deal",
        deal.id,
        expected_version=deal.version,
        changes={"needs_handoff": False},
        at=ws.clock.now(),
        user_id=ws.user_id,
        action="handed_off",
    )


def _set_up_account(
    session: Session, ws: Workspace, account_id: int, items: dict[str, HandoffItem]
) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"There is no account #{account_id}.")
    changes: dict[str, object] = {}
    for key, field in OWNER_FIELDS.items():
        item = items.get(key)
        if item is not None and item.kind == "user" and item.value:
            changes[field] = find_user(session, item.value).id
    start = items.get(CONTRACT_START)
    if account.renewal_on is None and start and start.kind == "date" and start.value:
        months = ws.process.retention.renewal_after_months
        changes["renewal_on"] = date.fromisoformat(start.value) + relativedelta(
            months=months
        )
    if changes:
        apply_edit(
            session,
            Account,
            "account",
            account_id,
            expected_version=account.version,
            changes=changes,
            at=ws.clock.now(),
            user_id=ws.user_id,
            action="handed_off",
        )
    session.refresh(account)
    return account


def _create_promises(
    session: Session,
    ws: Workspace,
    handoff_id: int,
    account: Account,
    items: dict[str, HandoffItem],
) -> None:
    # In checklist order, so promises read the way the rep wrote them.
    keys = [i.key for i in ws.process.handoff.checklist if i.promise and i.key in items]
    now = ws.clock.now()
    for key in keys:
        for line in promise_lines(items[key].value):
            promise = Promise(
                account_id=account.id, handoff_id=handoff_id, text=line, created_at=now
            )
            session.add(promise)
            session.flush()
            assert promise.id is not None
            record(
                session,
                at=now,
                user_id=ws.user_id,
                entity="promise",
                entity_id=promise.id,
                action="created",
                changes={"text": [None, line], "account": [None, account.name]},
            )


def _create_onboarding_task(
    session: Session, ws: Workspace, handoff: Handoff, account: Account
) -> Task | None:
    template = ws.process.handoff.onboarding_task
    if template is None:
        return None
    now = ws.clock.now()
    return create_task(
        session,
        kind=template.kind,
        title=f"{template.title}: {account.name}",
        due_at=task_due(ws.process, template, now),
        owner_id=account.implementation_owner_id or ws.user_id,
        deal_id=handoff.deal_id,
        account_id=account.id,
        at=now,
        by=ws.user_id,
    )


# Shared checks -----------------------------------------------------------


def _get(session: Session, handoff_id: int) -> Handoff:
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise NotFound(f"There is no hand-off #{handoff_id}.")
    session.refresh(handoff)
    return handoff


def _items(session: Session, handoff_id: int) -> list[HandoffItem]:
    return list(
        session.exec(
            select(HandoffItem)
            .where(HandoffItem.handoff_id == handoff_id)
            .order_by(col(HandoffItem.id))
        )
    )


def _item(session: Session, handoff: Handoff, key: str) -> HandoffItem:
    items = _items(session, handoff.id or 0)
    for item in items:
        if item.key == key:
            return item
    keys = ", ".join(item.key for item in items)
    raise NotFound(f"Hand-off #{handoff.id} has no item {key!r}; items are: {keys}.")


def _rank(session: Session, ws: Workspace) -> int:
    user = session.get(User, ws.user_id)
    return RANKS.get(user.role, -1) if user else -1


def _may_edit(session: Session, ws: Workspace, handoff: Handoff) -> None:
    if handoff.status not in EDITABLE:
        raise CrmError(
            f"Hand-off #{handoff.id} is {handoff.status.replace('_', ' ')}; "
            "only an open or sent-back hand-off can be changed."
        )
    if handoff.closing_user_id != ws.user_id and _rank(session, ws) < RANKS["manager"]:
        raise NotAllowed(
            f"Only the closing rep or a manager can fill hand-off #{handoff.id}."
        )


def _may_decide(session: Session, ws: Workspace, handoff: Handoff, verb: str) -> None:
    if handoff.status != "submitted":
        done = "accepted" if verb == "accept" else "sent back"
        raise CrmError(
            f"Hand-off #{handoff.id} is {handoff.status.replace('_', ' ')}; "
            f"only a submitted hand-off can be {done}."
        )
    mine = handoff.next_owner_id in (None, ws.user_id)
    if not mine and _rank(session, ws) < RANKS["manager"]:
        raise NotAllowed(
            f"Only the next owner or a manager can {verb} hand-off #{handoff.id}."
        )


def _expect(handoff: Handoff, expected_version: int | None) -> int:
    return handoff.version if expected_version is None else expected_version


def _bump(
    session: Session, handoff: Handoff, expected_version: int | None, now: datetime
) -> None:
    """Move the hand-off to its next version, if it is still at the one the
    edit started from."""
    expected = _expect(handoff, expected_version)
    result = session.execute(
        update(Handoff)
        .where(col(Handoff.id) == handoff.id, col(Handoff.version) == expected)
        .values(version=Handoff.version + 1, updated_at=now)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise Conflict(
            entity="hand-off",
            entity_id=handoff.id or 0,
            mine={},
            theirs={"items": "changed"},
            version=handoff.version,
        )


def _value(
    session: Session, ws: Workspace, handoff: Handoff, item: HandoffItem, text: str
) -> str | None:
    text = text.strip()
    if not text:
        return None
    if item.kind == "date":
        return parse_date(text).isoformat()
    if item.kind == "user":
        try:
            user = find_user(session, text)
        except NotFound as exc:
            raise BadValue(f"{item.label}: {exc}") from exc
        if not user.active:
            raise BadValue(f"{item.label}: {user.name} is no longer active.")
        return user.name
    if item.kind == "contacts":
        people = [
            _as_contact(session, ws, handoff, person) for person in parse_people(text)
        ]
        return people_value(people)
    return text


def _as_contact(
    session: Session, ws: Workspace, handoff: Handoff, person: Person
) -> Person:
    """The person as a contact of the account: found by name, or added."""
    found = None
    if handoff.account_id is not None:
        found = session.exec(
            select(Contact).where(
                Contact.account_id == handoff.account_id,
                func.lower(Contact.name) == person.name.lower(),
            )
        ).first()
    now = ws.clock.now()
    if found is None:
        found = Contact(
            account_id=handoff.account_id,
            name=person.name,
            role=person.role,
            created_at=now,
        )
        add_created(
            session,
            found,
            entity="contact",
            at=now,
            by=ws.user_id,
            changes={"name": [None, person.name], "role": [None, person.role]},
        )
    elif found.role != person.role:
        assert found.id is not None
        apply_edit(
            session,
            Contact,
            "contact",
            found.id,
            expected_version=found.version,
            changes={"role": person.role},
            at=now,
            user_id=ws.user_id,
        )
    return Person(found.name, person.role, found.id)
