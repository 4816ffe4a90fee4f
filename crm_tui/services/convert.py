"""Qualifying a lead: it becomes an account (an existing one when the
company is already known, by web domain or name), a contact and a deal in
the pipeline's first stage, all in one transaction.

Converting is idempotent: the lead is marked converted by a conditional
update inside the write transaction, so a second press, or a colleague
pressing at the same moment, finds it converted and gets the same account,
contact and deal back instead of a second set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from crm_tui.errors import NotValid
from crm_tui.events import record
from crm_tui.models import Account, Contact, Deal, Lead
from crm_tui.rules.qualification import QUALIFIED, check_answers
from crm_tui.rules.routing import company_key, domain_of
from crm_tui.services.triage import Actor, Outcome, _may_work, for_each_lead
from crm_tui.workspace import Workspace


@dataclass(frozen=True)
class Conversion:
    lead_id: int
    account_id: int
    contact_id: int
    deal_id: int
    new_account: bool
    already: bool = False


def qualify_leads(
    ws: Workspace, lead_ids: Sequence[int], answers: Mapping[str, str]
) -> tuple[Outcome, dict[int, Conversion]]:
    """Qualify leads with the answers to every dimension and convert them."""
    process = ws.process
    checked = check_answers(answers, process.qualification, complete=True)
    if not process.open_stages:
        raise NotValid("The process has no open stage for a new deal.")
    first = process.stages[0]
    conversions: dict[int, Conversion] = {}

    def qualify(session: Session, lead: Lead, actor: Actor) -> str:
        conversion = convert(session, lead, actor, checked, first.key)
        conversions[conversion.lead_id] = conversion
        if not conversion.already:
            # The new deal enters the first stage like any other: its tasks
            # (the first-contact follow-up) are created with it.
            from crm_tui.services.deals import enter_stage

            deal = session.get(Deal, conversion.deal_id)
            assert deal is not None
            enter_stage(session, ws, deal, first, actor.now)
        if conversion.already:
            return f"{lead.name} was already qualified: deal #{conversion.deal_id}."
        return f"{lead.name} qualified: deal #{conversion.deal_id} in {first.name}."

    outcome = for_each_lead(ws, lead_ids, qualify)
    return outcome, conversions


def convert(
    session: Session,
    lead: Lead,
    actor: Actor,
    answers: dict[str, str],
    stage: str,
) -> Conversion:
    """Turn one lead into an account, a contact and a deal (see the module)."""
    assert lead.id is not None
    _may_work(lead, actor, "qualify")
    owner_id = lead.owner_id or actor.id
    # Read before the update: an ORM update also changes ``lead`` in place.
    before = {"status": lead.status, "bucket": lead.bucket}
    taken = session.execute(
        update(Lead)
        .where(col(Lead.id) == lead.id, col(Lead.status) != "converted")
        .values(
            status="converted",
            bucket=QUALIFIED,
            reason=None,
            revisit_on=None,
            owner_id=owner_id,
            updated_at=actor.now,
            version=Lead.version + 1,
        )
    )
    if taken.rowcount == 0:  # type: ignore[attr-defined]
        return _existing(session, lead.id)
    session.refresh(lead)
    account, new_account = _account(session, lead, owner_id, actor)
    assert account.id is not None
    contact = Contact(
        account_id=account.id,
        lead_id=lead.id,
        name=lead.name,
        email=lead.email,
        phone=lead.phone or lead.mobile,
        title=lead.title,
        role=answers.get("buying_role"),
        created_at=actor.now,
    )
    session.add(contact)
    session.flush()
    assert contact.id is not None
    deal = Deal(
        title=_deal_title(lead, account),
        account_id=account.id,
        contact_id=contact.id,
        lead_id=lead.id,
        owner_id=owner_id,
        stage=stage,
        stage_entered_at=actor.now,
        amount=None,
        product=lead.product_interest,
        extra={"qualification": answers},
        created_at=actor.now,
        updated_at=actor.now,
    )
    session.add(deal)
    session.flush()
    assert deal.id is not None
    log = _Log(session, actor)
    log("contact", contact.id, "created", {"name": [None, contact.name]})
    log(
        "deal",
        deal.id,
        "created",
        {
            "stage": [None, stage],
            "title": [None, deal.title],
            "lead": [None, lead.id],
            "owner_id": [None, owner_id],
        },
    )
    qualified: dict[str, Any] = {
        "bucket": [before["bucket"], QUALIFIED],
        "status": [before["status"], "converted"],
    }
    qualified.update({k: [None, v] for k, v in answers.items()})
    log("lead", lead.id, "qualified", qualified)
    log(
        "lead",
        lead.id,
        "converted",
        {
            "account": [None, account.id],
            "contact": [None, contact.id],
            "deal": [None, deal.id],
        },
    )
    return Conversion(lead.id, account.id, contact.id, deal.id, new_account)


class _Log:
    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor

    def __call__(
        self, entity: str, entity_id: int, action: str, changes: dict[str, Any]
    ) -> None:
        record(
            self.session,
            at=self.actor.now,
            user_id=self.actor.id,
            entity=entity,
            entity_id=entity_id,
            action=action,
            changes=changes,
        )


def _existing(session: Session, lead_id: int) -> Conversion:
    deal = session.exec(
        select(Deal).where(Deal.lead_id == lead_id).order_by(col(Deal.id))
    ).first()
    contact = session.exec(
        select(Contact).where(Contact.lead_id == lead_id).order_by(col(Contact.id))
    ).first()
    if deal is None or contact is None or deal.id is None or contact.id is None:
        raise NotValid(f"Lead #{lead_id} is converted but its deal is gone.")
    return Conversion(
        lead_id, deal.account_id or 0, contact.id, deal.id, False, already=True
    )


def _account(
    session: Session, lead: Lead, owner_id: int, actor: Actor
) -> tuple[Account, bool]:
    """The lead's company as an account: found by domain, then by name, or
    created (owned by the lead's owner, so later leads of it route there)."""
    domain = domain_of(lead.email, lead.website)
    name = (lead.company or "").strip() or lead.name
    found = None
    if domain:
        found = session.exec(
            select(Account).where(Account.domain == domain).order_by(col(Account.id))
        ).first()
    if found is None and lead.company:
        found = session.exec(
            select(Account)
            .where(func.lower(col(Account.name)) == company_key(lead.company))
            .order_by(col(Account.id))
        ).first()
    if found is not None:
        return found, False
    account = Account(
        name=name,
        domain=domain,
        industry=lead.industry,
        country=lead.country,
        territory=lead.territory,
        owner_id=owner_id,
        created_at=actor.now,
        updated_at=actor.now,
    )
    session.add(account)
    session.flush()
    assert account.id is not None
    record(
        session,
        at=actor.now,
        user_id=actor.id,
        entity="account",
        entity_id=account.id,
        action="created",
        changes={"name": [None, name], "domain": [None, domain], "from_lead": lead.id},
    )
    return account, True


def _deal_title(lead: Lead, account: Account) -> str:
    if lead.product_interest:
        return f"{account.name} · {lead.product_interest}"
    return account.name
