"""Match the column headers of a CRM export to the fields of a lead.

Headers are compared with case, spacing and punctuation ignored, so
"E-mail", "EMAIL" and "Person - Email" all land on `email`. Columns that match
no field are kept with the lead as extras rather than dropped: a rep who
exported them wanted them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final, Literal, get_args

LeadField = Literal[
    "first_name",
    "last_name",
    "name",
    "email",
    "phone",
    "phone_ext",
    "mobile",
    "mobile_ext",
    "company",
    "title",
    "source",
    "country",
    "state",
    "city",
    "postal_code",
    "street",
    "website",
    "industry",
    "owner",
    "created_at",
    "external_id",
    "territory",
    "language",
    "product_interest",
    "segment",
    "lead_status",
    "company_domain",
    "extra_json",
]
LEAD_FIELDS: Final[tuple[str, ...]] = get_args(LeadField)

EXTRA = "kept as extra"
_EXTRA_OVERRIDES = frozenset({"-", "extra"})

# Export column names of HubSpot, Salesforce, Pipedrive ("Person - ...",
# "Organization - ...") and Zoho, written as people read them.
_ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("First Name", "Firstname", "Given Name", "Person - First name"),
    "last_name": (
        "Last Name",
        "Lastname",
        "Surname",
        "Family Name",
        "Person - Last name",
    ),
    "name": ("Full Name", "Name", "Contact Name", "Lead Name", "Person - Name"),
    "email": (
        "Email",
        "Email Address",
        "E-mail",
        "Work Email",
        "Primary Email",
        "Person - Email",
        "Person - Email - Work",
    ),
    "phone": (
        "Phone",
        "Phone Number",
        "Business Phone",
        "Work Phone",
        "Office Phone",
        "Telephone",
        "Person - Phone",
        "Person - Phone - Work",
    ),
    "phone_ext": ("Phone Ext", "Phone Extension", "Extension", "Ext"),
    "mobile_ext": ("Mobile Ext", "Mobile Extension"),
    "mobile": (
        "Mobile",
        "Mobile Phone",
        "Mobile Phone Number",
        "Mobile Number",
        "Cell",
        "Cell Phone",
        "Person - Phone - Mobile",
    ),
    "company": (
        "Company",
        "Company Name",
        "Account",
        "Account Name",
        "Organization",
        "Organisation",
        "Organization - Name",
        "Person - Organization",
        "Associated Company",
    ),
    "title": ("Title", "Job Title", "Position", "Person - Job title"),
    "source": ("Lead Source", "Source", "Original Source", "Person - Source"),
    "country": (
        "Country",
        "Country/Region",
        "Mailing Country",
        "Country Name",
        "Person - Country",
    ),
    "state": ("State", "State/Region", "State/Province", "Province", "Mailing State"),
    "city": ("City", "Town", "Mailing City"),
    "postal_code": (
        "Postal Code",
        "Zip",
        "Zip Code",
        "Postcode",
        "Zip/Postal Code",
        "Mailing Zip/Postal Code",
        "Mailing Postal Code",
    ),
    "street": (
        "Street",
        "Street Address",
        "Address",
        "Mailing Street",
        "Address Line 1",
    ),
    "website": ("Website", "Website URL", "Web Site", "URL", "Company Website"),
    "industry": ("Industry", "Sector"),
    "owner": (
        "Lead Owner",
        "Contact Owner",
        "Owner",
        "Record Owner",
        "Owner Name",
        "Assigned To",
        "Person - Owner",
    ),
    "created_at": (
        "Create Date",
        "Created Date",
        "Created Time",
        "Created At",
        "Lead Created Date",
        "Created",
        "Created On",
        "Date Created",
        "Person - Person created",
    ),
    "external_id": (
        "Contact ID",
        "Lead ID",
        "Record ID",
        "Prospect ID",
        "ID",
        "Person - ID",
        "External ID",
    ),
    "territory": ("Territory", "Region", "Sales Territory", "Sales Region"),
    "language": ("Language", "Preferred Language"),
    "product_interest": ("Product Interest", "Product", "Product of Interest"),
    "segment": ("Segment", "Customer Segment", "Market Segment"),
    "lead_status": ("Lead Status", "Status", "Person - Lead status"),
    # HubSpot exports a contact's company as its web domain only. A row
    # takes it as its company when it names none and as its website when
    # it has none (crm_tui.importing.rows); otherwise it is kept as extra.
    # Our own export's extras, one JSON object a lead (crm_tui.export).
    "extra_json": ("Extra",),
    "company_domain": (
        "Associated Company Domain",
        "Company Domain Name",
        "Company Domain",
        "Domain",
    ),
}


def header_key(header: str) -> str:
    """The forgiving form headers are compared in: "E-mail " -> "email"."""
    return re.sub(r"[\W_]+", "", header.casefold())


def _index(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {
        header_key(alias): name for name, names in aliases.items() for alias in names
    }


_BY_KEY = _index(_ALIASES)


@dataclass(frozen=True)
class ColumnMap:
    fields: dict[int, str]  # column index -> lead field
    extras: dict[int, str]  # column index -> original header, kept with the lead
    # The file's header, so describe() can name mapped columns too.
    headers: tuple[str, ...] = field(default=())

    def describe(self) -> list[tuple[str, str]]:
        """(column header, lead field or "kept as extra") in column order."""
        rows: list[tuple[str, str]] = []
        for index in sorted(self.fields.keys() | self.extras.keys()):
            if index in self.fields:
                header = self.headers[index] if index < len(self.headers) else ""
                rows.append((header or f"column {index + 1}", self.fields[index]))
            else:
                rows.append((self.extras[index], EXTRA))
        return rows


def map_headers(
    header: list[str], overrides: dict[str, str] | None = None
) -> ColumnMap:
    """Map each column to a lead field; the first column to claim a field wins.

    `overrides` maps a column header (matched the same forgiving way) to a
    lead field, or to "-" or "extra" to keep the column as an extra.
    """
    forced = _resolve_overrides(header, overrides or {})
    fields: dict[int, str] = {}
    taken = {name for name in forced.values() if name is not None}
    for index, name in forced.items():
        if name is not None:
            fields[index] = name
    # A column named as the field itself claims it first: in our own export,
    # "external_id" is the lead's ID in its first CRM, and "id" only ours.
    own_names = {header_key(name): name for name in LEAD_FIELDS}
    for by_key in (own_names, _BY_KEY):
        for index, column in enumerate(header):
            if index in forced or index in fields:
                continue
            name = by_key.get(header_key(column))
            if name is not None and name not in taken:
                fields[index] = name
                taken.add(name)
    extras = {
        index: column.strip() or f"column {index + 1}"
        for index, column in enumerate(header)
        if index not in fields
    }
    return ColumnMap(fields=fields, extras=extras, headers=tuple(header))


def _resolve_overrides(
    header: list[str], overrides: dict[str, str]
) -> dict[int, str | None]:
    """Column index -> forced field, or None to keep the column as an extra."""
    columns = {
        header_key(column): index for index, column in reversed(list(enumerate(header)))
    }
    forced: dict[int, str | None] = {}
    for column, target in overrides.items():
        index = columns.get(header_key(column))
        if index is None:
            raise ValueError(
                f'there is no column "{column}" in this file; '
                f"its columns are: {', '.join(header)}"
            )
        choice = target.strip().lower()
        if choice in _EXTRA_OVERRIDES:
            forced[index] = None
        elif choice in LEAD_FIELDS:
            if choice in forced.values():
                raise ValueError(f'two columns are mapped to "{choice}"; keep one')
            forced[index] = choice
        else:
            raise ValueError(
                f'"{target}" is not a lead field; use one of '
                f'{", ".join(LEAD_FIELDS)}, or "extra" to keep the column as is'
            )
    return forced
