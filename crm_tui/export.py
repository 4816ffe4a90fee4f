"""CSV a spreadsheet opens as it should, and cannot be tricked by.

Every field is quoted the way Excel and LibreOffice read it; ``bom=True``
starts the file with a UTF-8 byte-order mark, which Excel needs to read
accented names correctly. A cell that starts with ``=``, ``+``, ``-`` or
``@`` (or a tab or carriage return) would be run as a formula by a
spreadsheet; it is written with a leading apostrophe instead, the usual
neutralization (OWASP's "CSV injection" advice).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from crm_tui.models import Account, Deal, Lead, User

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Table = Literal["leads", "deals", "accounts"]
TABLES: tuple[Table, ...] = ("leads", "deals", "accounts")

# Rows fetched from the database at a time, so a big export streams.
CHUNK = 1000


def safe_cell(value: object) -> str:
    """A value as a spreadsheet cell that is never run as a formula."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        # A lead's extras, as JSON: the columns its import kept travel on
        # into the next import (which reads the "extra" column back).
        if not value:
            return ""
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    elif isinstance(value, datetime):
        text = value.isoformat(sep=" ", timespec="seconds")
    elif isinstance(value, date | Decimal | int | float | bool):
        # Numbers are numbers: -5 stays a number, not a quoted string.
        return str(value)
    else:
        text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], bom: bool
) -> int:
    """Write a CSV file; the number of data rows written."""
    count = 0
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow([safe_cell(name) for name in header])
        for row in rows:
            writer.writerow([safe_cell(cell) for cell in row])
            count += 1
    return count


LEAD_COLUMNS = (
    "id name first_name last_name company title email phone phone_ext mobile "
    "mobile_ext source country state city postal_code street website industry "
    "territory language segment product_interest status bucket reason revisit_on "
    "sla_due_at first_response_at created_at updated_at external_id extra"
).split()
DEAL_COLUMNS = (
    "id title kind stage amount currency product close_on decision_on "
    "next_meeting_at lost_reason lost_note stage_entered_at closed_at "
    "account_id lead_id created_at updated_at external_id"
).split()
ACCOUNT_COLUMNS = (
    "id name domain industry country territory renewal_on usage "
    "expansion_interest onboarding_completed_at created_at updated_at"
).split()


def table_rows(session: Session, table: Table) -> tuple[list[str], Iterator[Any]]:
    """The header and the rows of one export, with the owner by name.
    Leads merged into another are left out: they are not leads any more."""
    model: Any
    model, columns = {
        "leads": (Lead, LEAD_COLUMNS),
        "deals": (Deal, DEAL_COLUMNS),
        "accounts": (Account, ACCOUNT_COLUMNS),
    }[table]
    owner = aliased(User)
    query = (
        select(*(getattr(model, name) for name in columns), col(owner.name))
        .outerjoin(owner, col(owner.id) == model.owner_id)
        .order_by(model.id)
        .execution_options(yield_per=CHUNK)
    )
    if model is Lead:
        query = query.where(col(Lead.merged_into_id).is_(None))
    return [*columns, "owner"], iter(session.execute(query))


def export_table(session: Session, table: Table, path: Path, bom: bool = False) -> int:
    header, rows = table_rows(session, table)
    return write_csv(path, header, rows, bom)
