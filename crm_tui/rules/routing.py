"""Routing: which rep owns a new lead, and why.

Rules are tried in order and the first that matches and can assign wins. A
rule matches when every condition it gives holds (an empty list accepts
anything); it assigns to one user, to the next active member of a
round-robin pool, or (a named-account rule) to the owner of the account the
lead's company is. Every decision keeps the rules tried before it and why
each did not apply, so ``crm rules explain`` can show the whole path.

The pool positions live in the database; the caller loads them, passes them
in, and saves ``Router.cursors`` back in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from crm_tui.normalize import country_region
from crm_tui.process import Routing, RoutingRule
from crm_tui.rules.sla import source_key

FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "proton.me",
        "protonmail.com",
        "yandex.ru",
        "mail.ru",
        "qq.com",
    }
)


@dataclass(frozen=True)
class Member:
    """A user as routing sees them."""

    id: int
    name: str
    active: bool = True


@dataclass(frozen=True)
class NamedAccount:
    """An account that has an owner: its leads go to that owner first."""

    name: str
    owner_id: int


@dataclass(frozen=True)
class LeadFacts:
    """What routing looks at in a lead."""

    country: str | None = None
    territory: str | None = None
    source: str | None = None
    language: str | None = None
    segment: str | None = None
    product_interest: str | None = None
    company: str | None = None
    email: str | None = None
    website: str | None = None

    @classmethod
    def of(cls, values: Mapping[str, object]) -> LeadFacts:
        """The facts of a lead row (a dict of column values or a Lead)."""
        if isinstance(values, Mapping):
            items = [values.get(name) for name in _FACTS]
        else:
            items = [getattr(values, name, None) for name in _FACTS]
        return cls(*(None if i is None or i == "" else str(i) for i in items))


_FACTS = tuple(LeadFacts.__dataclass_fields__)


def domain_of(email: str | None = None, website: str | None = None) -> str | None:
    """A company's web domain from an e-mail or a website; free-mail
    domains say nothing about the company and give none."""
    if website:
        host = website.strip().casefold()
        host = host.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        host = host.removeprefix("www.")
        if "." in host:
            return host
    if email and "@" in email:
        host = email.rsplit("@", 1)[1].strip().casefold()
        if host and host not in FREE_MAIL:
            return host
    return None


def company_key(name: str | None) -> str:
    return " ".join((name or "").casefold().split())


@dataclass
class NamedAccounts:
    """Named accounts by domain and by company name, loaded once for a batch."""

    by_domain: dict[str, NamedAccount] = field(default_factory=dict)
    by_name: dict[str, NamedAccount] = field(default_factory=dict)

    def find(self, lead: LeadFacts) -> NamedAccount | None:
        domain = domain_of(lead.email, lead.website)
        if domain and domain in self.by_domain:
            return self.by_domain[domain]
        return self.by_name.get(company_key(lead.company))


@dataclass(frozen=True)
class Attempt:
    """A rule tried before the one that won, and why it did not apply."""

    rule: str
    why_not: str


@dataclass(frozen=True)
class Decision:
    """Where a lead goes. ``rule`` is None when no rule claimed it: it stays
    unowned in the inbox."""

    rule: str | None
    owner: Member | None
    reason: str
    tried: tuple[Attempt, ...] = ()


def _fold(value: str) -> str:
    return " ".join(value.casefold().split())


@lru_cache(maxsize=1024)
def _country(value: str) -> str:
    return country_region(value) or _fold(value)


# Condition name -> (lead attribute, how values are compared, label).
CONDITIONS: dict[str, tuple[str, Callable[[str], str], str]] = {
    "countries": ("country", _country, "country"),
    "territories": ("territory", _fold, "territory"),
    "sources": ("source", source_key, "source"),
    "languages": ("language", _fold, "language"),
    "segments": ("segment", _fold, "segment"),
    "product_interest": ("product_interest", _fold, "product interest"),
}


_SCREENED_KEPT = 4096
_CONDITION_FACTS = tuple(attribute for attribute, _, _ in CONDITIONS.values())


def _listed(values: list[str]) -> str:
    shown = ", ".join(values[:3])
    return shown + (f" and {len(values) - 3} more" if len(values) > 3 else "")


def accepted_values(rule: RoutingRule) -> dict[str, frozenset[str]]:
    """A rule's conditions as folded value sets, computed once per rule."""
    return {
        condition: frozenset(fold(a) for a in getattr(rule, condition))
        for condition, (_, fold, _) in CONDITIONS.items()
        if getattr(rule, condition)
    }


def conditions_fail(
    rule: RoutingRule,
    lead: LeadFacts,
    accepted: dict[str, frozenset[str]] | None = None,
) -> str | None:
    """Why the rule's conditions do not hold for the lead, or None when they
    all do. Named accounts are checked by the router, which knows them."""
    sets = accepted if accepted is not None else accepted_values(rule)
    for condition, wanted in sets.items():
        attribute, fold, label = CONDITIONS[condition]
        value = getattr(lead, attribute)
        listed: list[str] = getattr(rule, condition)
        if value is None:
            return f"the lead has no {label} (wants {_listed(listed)})"
        if fold(value) not in wanted:
            return f"{label} is {value}, not {_listed(listed)}"
    return None


def conditions_met(rule: RoutingRule, lead: LeadFacts) -> list[str]:
    """The conditions of a matching rule, as a reason reads them."""
    met = []
    for condition, (attribute, _, label) in CONDITIONS.items():
        if getattr(rule, condition):
            met.append(f"{label} is {getattr(lead, attribute)}")
    return met


class Router:
    """Routes leads one after another, moving the pools' round-robin
    positions as it assigns. Nothing here reads or writes the database."""

    def __init__(
        self,
        routing: Routing,
        team: Mapping[str, Member],
        cursors: Mapping[str, int] | None = None,
        named: NamedAccounts | None = None,
    ) -> None:
        self.routing = routing
        self.team = {name.casefold(): m for name, m in team.items()}
        self.by_id = {m.id: m for m in team.values()}
        self.cursors: dict[str, int] = dict(cursors or {})
        self.moved: set[str] = set()
        self.named = named or NamedAccounts()
        self._accepted = [accepted_values(rule) for rule in routing.rules]
        self._screened: dict[
            tuple[str | None, ...], list[tuple[RoutingRule, str | None, list[str]]]
        ] = {}

    def route(self, lead: LeadFacts, *, advance: bool = True) -> Decision:
        """The first rule that matches and can assign. ``advance=False``
        explains without moving any pool."""
        tried: list[Attempt] = []
        for rule, why_not, met in self._screen(lead):
            if why_not is None:
                owner, how = self._assignee(rule, lead, advance)
                if owner is not None:
                    reason = "; ".join([*met, how])
                    return Decision(rule.name, owner, reason, tuple(tried))
                why_not = how
            tried.append(Attempt(rule.name, why_not))
        return Decision(None, None, "no routing rule matched", tuple(tried))

    def _screen(
        self, lead: LeadFacts
    ) -> list[tuple[RoutingRule, str | None, list[str]]]:
        """Each rule with why its conditions fail for the lead (None when
        they hold) and, when they hold, how they were met. Conditions read
        only a few facts, which an import repeats thousands of times."""
        key = tuple(getattr(lead, attribute) for attribute in _CONDITION_FACTS)
        screened = self._screened.get(key)
        if screened is None:
            screened = []
            for rule, accepted in zip(self.routing.rules, self._accepted, strict=True):
                why_not = conditions_fail(rule, lead, accepted)
                met = conditions_met(rule, lead) if why_not is None else []
                screened.append((rule, why_not, met))
            if len(self._screened) >= _SCREENED_KEPT:
                self._screened.clear()
            self._screened[key] = screened
        return screened

    def _assignee(
        self, rule: RoutingRule, lead: LeadFacts, advance: bool
    ) -> tuple[Member | None, str]:
        if rule.named_account:
            account = self.named.find(lead)
            if account is None:
                company = lead.company or "the lead's company"
                return None, f"{company} is not a named account"
            owner = self.by_id.get(account.owner_id)
            if owner is None or not owner.active:
                name = owner.name if owner else f"user #{account.owner_id}"
                return None, f"{account.name}'s owner {name} is inactive"
            if rule.assign is None and rule.pool is None:
                return owner, f"{account.name} is a named account owned by {owner.name}"
        if rule.assign is not None:
            user = self.team.get(rule.assign.casefold())
            if user is None:
                return None, f"{rule.assign} is not a user"
            if not user.active:
                return None, f"{user.name} is inactive"
            return user, f"assigned to {user.name}"
        if rule.pool is not None:
            return self._next_in_pool(rule.pool, advance)
        return None, "the rule names no user and no pool"

    def _next_in_pool(self, pool: str, advance: bool) -> tuple[Member | None, str]:
        members = self.routing.pools.get(pool)
        if not members:
            return None, f"there is no pool {pool!r}"
        start = self.cursors.get(pool, 0)
        for step in range(len(members)):
            index = (start + step) % len(members)
            member = self.team.get(members[index].casefold())
            if member is not None and member.active:
                if advance:
                    self.cursors[pool] = (index + 1) % len(members)
                    self.moved.add(pool)
                return member, f"round robin in pool {pool} → {member.name}"
        return None, f"pool {pool} has nobody active"
