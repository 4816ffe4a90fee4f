"""Turning one CSV row into lead values, or into a reason it was refused.

Pure: no database. The importer feeds every row through ``parse_row`` and
deals with what comes back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from crm_tui.importing.headers import ColumnMap
from crm_tui.normalize import (
    InvalidValue,
    clean,
    country_name,
    country_region,
    normalize_email,
    normalize_phone,
    parse_timestamp,
)

# File fields that are stored on the lead as they are, once cleaned.
_PLAIN_FIELDS = frozenset(
    {
        "company",
        "title",
        "source",
        "state",
        "city",
        "postal_code",
        "street",
        "website",
        "industry",
        "territory",
        "language",
        "segment",
        "product_interest",
    }
)


class RejectedRow(Exception):
    """A row that cannot become a lead; the message says why, for a person."""


@dataclass
class ParsedRow:
    number: int
    values: dict[str, Any]  # lead column -> value
    owner: str | None = None  # as the file names it: an e-mail or a name
    # The row's cells and the file's header, for ``raw``.
    cells: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)

    @property
    def raw(self) -> dict[str, str]:
        """The row as the file had it (made on demand: most rows of a big
        import are created and never need it)."""
        return raw_row(self.header, self.cells)

    # The keys duplicates are matched on, read once: the importer asks for
    # them several times a row.
    email_key: str | None = field(init=False)
    phone: str | None = field(init=False)
    external_id: str | None = field(init=False)

    def __post_init__(self) -> None:
        self.email_key = _text(self.values.get("email_key"))
        self.phone = _text(self.values.get("phone"))
        self.external_id = _text(self.values.get("external_id"))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def raw_row(header: list[str], values: list[str]) -> dict[str, str]:
    """The row as the file had it, keyed by header, for the rejection record."""
    named = {
        (column or f"column {n + 1}"): value
        for n, (column, value) in enumerate(zip(header, values, strict=False))
        if value != ""
    }
    for n, value in enumerate(values[len(header) :], start=len(header) + 1):
        if value != "":
            named[f"column {n}"] = value
    return named


def parse_row(
    number: int,
    values: list[str],
    header: list[str],
    columns: ColumnMap,
    *,
    default_region: str,
    time_zone: tzinfo,
) -> ParsedRow:
    """Clean and check one row. Raises ``RejectedRow`` with the reason."""
    if len(values) != len(header):
        if len(values) < len(header) or any(v.strip() for v in values[len(header) :]):
            raise RejectedRow(
                f"has {len(values)} values but the header has {len(header)} columns"
            )
    width = len(values)
    found: dict[str, str] = {}
    for index, name in columns.fields.items():
        if index < width and (value := clean(values[index])) is not None:
            found[name] = value
    extra = {
        header_name: value
        for index, header_name in columns.extras.items()
        if index < width and (value := clean(values[index])) is not None
    }
    lead: dict[str, Any] = {
        name: value for name, value in found.items() if name in _PLAIN_FIELDS
    }
    try:
        _names(found, lead)
        _contact_points(found, lead, default_region)
        if "created_at" in found:
            lead["created_at"] = _created(found["created_at"], time_zone)
    except InvalidValue as exc:
        raise RejectedRow(str(exc)) from exc
    if "company_domain" in found:
        _company_domain(found["company_domain"], lead, extra, header, columns)
    if "external_id" in found:
        lead["external_id"] = found["external_id"]
    if "lead_status" in found:
        extra.setdefault("Lead status in source", found["lead_status"])
    if "extra_json" in found:
        _merge_extras(found["extra_json"], extra)
    if not lead.get("name"):
        label = (
            lead.get("company")
            or lead.get("email")
            or lead.get("phone")
            or lead.get("mobile")
        )
        if label is None and "external_id" in lead:
            label = f"Unnamed lead {lead['external_id'][:8]}"
        if label is None:
            raise RejectedRow(
                "has no name, company, e-mail, phone or ID: nothing says who it is"
            )
        lead["name"] = label
    lead["extra"] = extra
    return ParsedRow(number, lead, found.get("owner"), values, header)


def _company_domain(
    domain: str,
    lead: dict[str, Any],
    extra: dict[str, Any],
    header: list[str],
    columns: ColumnMap,
) -> None:
    """A company known only by its web domain (HubSpot's "Associated
    Company Domain"): the company when the row names none, the website when
    it has none, and kept as an extra when both are there."""
    used = False
    if "company" not in lead:
        lead["company"] = domain
        used = True
    if "website" not in lead:
        lead["website"] = domain
        used = True
    if not used:
        index = next(i for i, f in columns.fields.items() if f == "company_domain")
        extra[header[index].strip() or f"column {index + 1}"] = domain


def _names(found: dict[str, str], lead: dict[str, Any]) -> None:
    first, last = found.get("first_name"), found.get("last_name")
    if first or last:
        lead["first_name"], lead["last_name"] = first, last
    full = found.get("name") or " ".join(part for part in (first, last) if part)
    if full:
        lead["name"] = full


def _contact_points(found: dict[str, str], lead: dict[str, Any], default: str) -> None:
    country = found.get("country")
    region = country_region(country)
    if country:
        lead["country"] = country_name(country)
    if "email" in found:
        email = normalize_email(found["email"])
        lead["email"] = email
        lead["email_key"] = email
    if "phone" in found:
        phone = normalize_phone(found["phone"], region, default)
        ext = phone.extension or _extension(found.get("phone_ext"))
        lead["phone"], lead["phone_ext"] = phone.e164, ext
    if "mobile" in found:
        mobile = normalize_phone(found["mobile"], region, default)
        ext = mobile.extension or _extension(found.get("mobile_ext"))
        lead["mobile"], lead["mobile_ext"] = mobile.e164, ext


def _merge_extras(text: str, extra: dict[str, Any]) -> None:
    """The extras a crm-tui export wrote as one JSON object, back as the
    lead's extras; anything else in that column is kept as it is."""
    try:
        found = json.loads(text)
    except ValueError:
        found = None
    if not isinstance(found, dict):
        extra.setdefault("Extra", text)
        return
    for key, value in found.items():
        extra.setdefault(str(key), value if isinstance(value, str) else str(value))


def _extension(text: str | None) -> str | None:
    """An extension from a column of its own (ours, in an export: a crm-tui
    file imported into another), digits only; the number's own wins."""
    digits = "".join(ch for ch in text or "" if ch.isdigit())
    return digits or None


def _created(text: str, time_zone: tzinfo) -> datetime:
    try:
        return parse_timestamp(text, time_zone)
    except InvalidValue as exc:
        raise InvalidValue(f"created date {text!r} is not a date") from exc
