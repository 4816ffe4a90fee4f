"""Finding leads that are the same person twice, and saying why.

Four kinds of match, each with its reason:

- the same normalized e-mail, or the same phone (E.164, mobile or office);
- e-mails that differ only by a ``+tag`` (bob+news@x.com, bob@x.com);
- names that differ only in accents (José / Jose) at the same company, or
  with no company on either side;
- probable: similar names at similar companies, by rapidfuzz.

Comparing every lead with every other is hopeless past a few thousand, so
fuzzy comparison only happens inside blocks that share a cheap key (the
company's first word and the name's first letter); exact kinds are dict
lookups. Pure: the caller hands in the leads.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from rapidfuzz import fuzz, process

from crm_tui.normalize import email_match_key

# Scores (0-100) both the names and the companies must reach to be called
# probable duplicates: "Jon Smith"/"John Smith" scores 95. Names whose
# numbers differ ("Lead 001"/"Lead 008") are never called similar.
NAME_SCORE = 90
COMPANY_SCORE = 90

# Words that say what kind of company it is, not which one.
_LEGAL = re.compile(
    r"\b(inc|incorporated|llc|ltd|limited|corp|corporation|co|company|gmbh|"
    r"ag|sa|sas|srl|bv|nv|plc|pty|oy|ab|as)\b"
)


@dataclass(frozen=True)
class LeadKeys:
    """What duplicates are matched on, for one lead."""

    id: int
    name: str
    company: str | None
    email_key: str | None
    phones: tuple[str, ...] = ()


@dataclass
class DuplicatePair:
    """Two leads that look like one person; ``keep`` is the older one."""

    keep: int
    other: int
    reasons: list[str] = field(default_factory=list)


def fold(text: str) -> str:
    """Lower-case, without accents or punctuation: "José Núñez" -> "jose nunez"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", plain.casefold()).split())


def company_key(company: str | None) -> str:
    return " ".join(_LEGAL.sub(" ", fold(company or "")).split())


class _Pairs:
    def __init__(self) -> None:
        self.found: dict[tuple[int, int], DuplicatePair] = {}

    def add(self, a: int, b: int, reason: str) -> None:
        keep, other = min(a, b), max(a, b)
        pair = self.found.setdefault((keep, other), DuplicatePair(keep, other))
        if reason not in pair.reasons:
            pair.reasons.append(reason)

    def add_groups(self, groups: dict[str, list[int]], reason: str) -> None:
        for key, ids in groups.items():
            if key and len(ids) > 1:
                for a, b in combinations(sorted(set(ids)), 2):
                    self.add(a, b, reason.format(key=key))


def find_duplicates(leads: Iterable[LeadKeys]) -> list[DuplicatePair]:
    """Every pair of leads that look like the same person, oldest first."""
    leads = list(leads)
    by_id = {lead.id: lead for lead in leads}
    pairs = _Pairs()

    emails: dict[str, list[int]] = defaultdict(list)
    phones: dict[str, list[int]] = defaultdict(list)
    tagged: dict[str, list[int]] = defaultdict(list)
    folded: dict[str, list[int]] = defaultdict(list)
    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    for lead in leads:
        if lead.email_key:
            emails[lead.email_key].append(lead.id)
            tagged[email_match_key(lead.email_key)].append(lead.id)
        for phone in set(lead.phones):
            phones[phone].append(lead.id)
        name = fold(lead.name)
        if name:
            folded[f"{name}|{company_key(lead.company)}"].append(lead.id)
            company = company_key(lead.company)
            if company:
                blocks[(company.split()[0], name[0])].append(lead.id)

    pairs.add_groups(emails, "same e-mail {key}")
    pairs.add_groups(phones, "same phone {key}")
    for key, ids in tagged.items():
        for a, b in combinations(sorted(set(ids)), 2):
            if by_id[a].email_key != by_id[b].email_key:
                pairs.add(a, b, f"e-mails differ only by a +tag ({key})")
    for ids in folded.values():
        for a, b in combinations(sorted(ids), 2):
            if by_id[a].name != by_id[b].name:
                pairs.add(
                    a,
                    b,
                    f"names differ only in accents ({by_id[a].name} / {by_id[b].name})",
                )
    for ids in blocks.values():
        if len(ids) > 1:
            _similar(pairs, [by_id[i] for i in ids])
    return sorted(pairs.found.values(), key=lambda p: (p.keep, p.other))


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _similar(pairs: _Pairs, block: Sequence[LeadKeys]) -> None:
    names = [fold(lead.name) for lead in block]
    companies = [company_key(lead.company) for lead in block]
    # One vectorized matrix per block: fast, and blocks are small.
    name_scores = process.cdist(
        names, names, scorer=fuzz.token_sort_ratio, score_cutoff=NAME_SCORE
    )
    for i, j in zip(*name_scores.nonzero(), strict=True):
        if i >= j or (names[i] == names[j] and block[i].name != block[j].name):
            continue  # each pair once; accent-only names are reported as such
        if _digits(names[i]) != _digits(names[j]):
            continue  # "Lead 001" and "Lead 008" are two people
        company = fuzz.token_sort_ratio(companies[i], companies[j])
        if company < COMPANY_SCORE:
            continue
        a, b = block[i], block[j]
        if a.name == b.name and a.company == b.company:
            why = f"same name and company ({a.name}, {a.company})"
        else:
            why = (
                f"similar name and company ({a.name} / {b.name}, "
                f"{a.company} / {b.company}: {name_scores[i][j]:.0f}%, {company:.0f}%)"
            )
        pairs.add(a.id, b.id, why)
