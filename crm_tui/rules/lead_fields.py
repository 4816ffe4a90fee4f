"""A lead's basic fields as a rep edits them: checked and normalized the
way an import reads them, each problem naming its field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from crm_tui.errors import CrmError, FieldNotValid
from crm_tui.normalize import (
    InvalidValue,
    clean,
    country_name,
    email_match_key,
    normalize_email,
    normalize_phone,
)

# What a rep calls each field of a lead a person fills in or decides: the
# lead's edit form and the field-usage audit both read them from here.
LEAD_LABELS = {
    "name": "Name",
    "first_name": "First name",
    "last_name": "Last name",
    "company": "Company",
    "title": "Title",
    "email": "E-mail",
    "phone": "Phone",
    "mobile": "Mobile",
    "website": "Website",
    "industry": "Industry",
    "source": "Source",
    "street": "Street",
    "city": "City",
    "state": "State",
    "postal_code": "Postal code",
    "country": "Country",
    "territory": "Territory",
    "language": "Language",
    "segment": "Segment",
    "product_interest": "Interest",
    "owner_id": "Owner",
    "status": "Status",
    "bucket": "Bucket",
    "reason": "Reason",
    "revisit_on": "Revisit on",
}

# The fields a rep edits on the lead page, in the form's order; the rest come
# from rules and imports. Country, source and interest drive routing and the
# response SLA, so a rep who finds them wrong must be able to put them right.
BASIC_FIELDS = (
    "name",
    "company",
    "title",
    "email",
    "phone",
    "country",
    "territory",
    "source",
    "product_interest",
)


T = TypeVar("T")


def _fitted(field: str, normal: Callable[[str], T], typed: str | None) -> T | None:
    """``typed`` normalized, or ``FieldNotValid`` naming ``field``."""
    if not typed:
        return None
    try:
        return normal(typed)
    except InvalidValue as error:
        message = str(error).rstrip(".").capitalize()
        raise FieldNotValid(field, message + ".") from error


def clean_lead_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The changed fields as stored (trimmed, e-mail and phone normalized,
    the e-mail's match key alongside); ``FieldNotValid`` names the first
    field that does not fit."""
    unknown = set(changes) - set(BASIC_FIELDS)
    if unknown:
        raise CrmError(f"These lead fields are not edited here: {sorted(unknown)}")
    values = {key: clean(value) for key, value in changes.items()}
    if "name" in values and values["name"] is None:
        raise FieldNotValid("name", "A lead needs a name.")
    typed = values.get("email")
    if typed:
        values["email"] = _fitted("email", normalize_email, typed)
    if "phone" in values:
        # A number and its extension go together: "+1 415 555 0123 x12" keeps
        # the 12, and a new number without one drops the old one's.
        typed = values["phone"]
        phone = _fitted("phone", lambda text: normalize_phone(text, None), typed)
        values["phone"] = phone.e164 if phone else None
        values["phone_ext"] = phone.extension if phone else None
    if values.get("country"):
        # Stored as an import stores it: "USA" and "us" both read "United States".
        values["country"] = country_name(values["country"])
    if "email" in values:
        values["email_key"] = email_match_key(values["email"] or "") or None
    return values
