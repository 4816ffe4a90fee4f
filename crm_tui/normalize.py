"""Turn the values found in real CRM exports into the shapes a lead keeps.

Every function here is pure: no database, no files. Failures raise
`InvalidValue` with a message a sales rep can act on, because the importer
shows it next to the spreadsheet row it came from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import phonenumbers

# phonenumbers, pycountry, dateutil and email_validator are imported where
# they are used: together a tenth of a second that a screen listing leads
# should not pay before it paints.


class InvalidValue(ValueError):
    """A cell that cannot be stored as the kind of value its column promises."""


# Compared after strip and lower-casing. "Select" is what lead-scoring forms
# export when nobody touched the drop-down; "unknown" and "na" are how people
# type "no value" by hand. "NA" is also Namibia's ISO code, but in a country
# column of a real export it means "not available" far more often.
PLACEHOLDERS: frozenset[str] = frozenset(
    {
        "",
        "select",
        "-select-",
        "--select--",
        "n/a",
        "#n/a",
        "na",
        "-",
        "--",
        "none",
        "null",
        "nil",
        "(blank)",
        "(none)",
        "not provided",
        "not specified",
        "unknown",
    }
)
_LONGEST_PLACEHOLDER = max(map(len, PLACEHOLDERS))


def clean(value: str | None) -> str | None:
    """Strip, collapse inner whitespace, NFC-normalize; placeholders become None."""
    if value is None:
        return None
    if value.isascii():
        # Already NFC and free of byte order marks: most cells of most files.
        text = " ".join(value.split())
    else:
        text = " ".join(
            unicodedata.normalize("NFC", value).replace("\ufeff", "").split()
        )
    if len(text) <= _LONGEST_PLACEHOLDER and text.lower() in PLACEHOLDERS:
        return None
    return text


# An everyday address: dot-separated plain local words, a host name of
# letters, digits and inner hyphens, and a top-level domain of letters.
# email_validator accepts every such address unchanged (less case), so it
# is only asked about the rest: it costs 80 µs an address, a third of an
# import's time per row.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_+\-]+(?:\.[a-z0-9_+\-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)
# Names email_validator refuses as special-use (``test`` is allowed here).
_SPECIAL_USE = frozenset({"arpa", "invalid", "local", "localhost", "onion"})


def _plain_email(text: str) -> str | None:
    """``text`` lower-cased when it is an everyday address, else None."""
    lowered = text.lower()
    if len(lowered) > 254 or not _PLAIN_EMAIL.fullmatch(lowered):
        return None
    local, _, domain = lowered.rpartition("@")
    if len(local) > 64 or "xn--" in domain:
        return None
    if domain.rsplit(".", 1)[-1] in _SPECIAL_USE:
        return None
    return lowered


def normalize_email(value: str) -> str:
    """A lower-cased, syntactically valid e-mail address."""
    text = value.strip()
    plain = _plain_email(text)
    if plain is not None:
        return plain
    from email_validator import EmailNotValidError, validate_email

    try:
        # test_environment lets demo data use reserved names such as x.test;
        # example.com and example.net are accepted either way.
        checked = validate_email(
            text, check_deliverability=False, test_environment=True
        )
    except EmailNotValidError as error:
        raise InvalidValue(
            f'e-mail "{text}" is not a valid address: {error}'
        ) from error
    return checked.normalized.lower()


def email_match_key(email: str) -> str:
    """The key for probable-duplicate matching: bob+news@x.com -> bob@x.com."""
    local, at, domain = email.strip().lower().rpartition("@")
    if not at:
        return email.strip().lower()
    base = local.split("+", 1)[0]
    # A local part that is nothing but a tag has no base to match on.
    return f"{base or local}@{domain}"


@dataclass(frozen=True)
class Phone:
    e164: str
    extension: str | None


# 00 is the international prefix almost everywhere, 011 in North America.
# phonenumbers reads some regions' own variants into them (Australia's 0016
# is a carrier prefix), so an export that writes 001-308-... is read as +1.
_INTERNATIONAL_PREFIX = re.compile(r"^\s*(00|011)[\s.\-]*(?=[1-9])")
# 308-928-7399, (281)741-1316, 913.249.5790: the North American grouping.
_NANP_SHAPE = re.compile(
    r"^\s*(?:\+?1[\s.\-]*)?(?:\(\d{3}\)\s*|\d{3}[\s.\-])\d{3}[\s.\-]\d{4}"
    r"\s*(?:(?:x|ext\.?|extension|#)\s*\d+)?\s*$",
    re.IGNORECASE,
)


def normalize_phone(
    value: str, region: str | None, default_region: str = "US"
) -> Phone:
    """Parse a phone number, trying the row's region, then the default one.

    Possible numbers are accepted, not only valid ones, because fictional
    exports use unassigned ranges. Among the readings of a number, one
    written the way its region groups digits wins, then a valid one; on a
    tie the row's region wins. This matters because exports put random
    countries next to US-shaped numbers: "(281)741-1316" on a United Kingdom
    row is also a valid UK number, but nobody in the UK groups digits 3-3-4.
    """
    text = value.strip()
    regions = _candidate_regions(region, default_region)
    plain = _plain_nanp(text, regions)
    if plain is not None:
        return plain
    if not any(char.isdigit() for char in text):
        raise InvalidValue(f'phone "{text}" is not a phone number')
    return _read_phone(text, list(regions))


@lru_cache(maxsize=1024)
def _candidate_regions(region: str | None, default_region: str) -> tuple[str, ...]:
    """The regions a number is read in: the row's, then the default one."""
    return tuple(r.upper() for r in dict.fromkeys([region, default_region]) if r)


def _read_phone(text: str, regions: list[str]) -> Phone:
    """``normalize_phone`` the long way: every reading, the best one wins."""
    readings: list[tuple[bool, bool, phonenumbers.PhoneNumber]] = []
    for candidate_region in regions:
        readings.extend(_readings(text, candidate_region))
    if not readings:
        raise InvalidValue(f'phone "{text}" is not a phone number')
    import phonenumbers

    # max() keeps the first of equals, so the row's region wins ties.
    best = max(readings, key=lambda reading: (reading[1], reading[0]))[2]
    e164 = phonenumbers.format_number(best, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164=e164, extension=best.extension or None)


# A North American number written the usual way, area code and exchange
# both starting 2-9, nothing before or after.
_PLAIN_NANP = re.compile(r"\(?([2-9]\d\d)(?:\)\s*|[\s.\-])([2-9]\d\d)[\s.\-](\d{4})")


def _plain_nanp(text: str, regions: Sequence[str]) -> Phone | None:
    """The number without asking phonenumbers, when that is certain: a plain
    North American number read with a North American region among the
    candidates. Its North American reading is always possible and grouped
    natively, so it wins over every other region's reading (see
    ``normalize_phone``); phonenumbers takes 200 µs to say so."""
    match = _PLAIN_NANP.fullmatch(text)
    if match is None or text.startswith("(") != (")" in text):
        return None
    if not _any_nanp(tuple(regions)):
        return None
    return Phone(e164="+1" + "".join(match.groups()), extension=None)


@lru_cache(maxsize=1024)
def _any_nanp(regions: tuple[str, ...]) -> bool:
    return any(region in _nanp_regions() for region in regions)


@cache
def _nanp_regions() -> frozenset[str]:
    import phonenumbers

    return frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1])


def _readings(
    text: str, region: str
) -> list[tuple[bool, bool, phonenumbers.PhoneNumber]]:
    """(valid, grouped natively, number) for each possible reading in region."""
    import phonenumbers

    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return []
    prefix = _INTERNATIONAL_PREFIX.match(text)
    if prefix and (prefix.group(1) == "00" or metadata.country_code == 1):
        number = _parse_possible(_INTERNATIONAL_PREFIX.sub("+", text, 1), region)
        if number is not None:
            return [(phonenumbers.is_valid_number(number), True, number)]
    number = _parse_possible(text, region)
    if number is None:
        return []
    # A North American grouping read as some other country's national
    # number is a US number next to a random country, not a local one.
    native = metadata.country_code == 1 or not (
        number.country_code == metadata.country_code and _NANP_SHAPE.match(text)
    )
    return [(phonenumbers.is_valid_number(number), native, number)]


def _parse_possible(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


# Names people type that pycountry does not know, or knows under a name that
# is ambiguous ("Korea") or has since changed ("Swaziland").
_COUNTRY_ALIASES: dict[str, str] = {
    "uk": "GB",
    "u k": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "usa": "US",
    "u s": "US",
    "u s a": "US",
    "america": "US",
    "united states of america": "US",
    "korea": "KR",
    "south korea": "KR",
    "republic of korea": "KR",
    "north korea": "KP",
    "russia": "RU",
    "deutschland": "DE",
    "holland": "NL",
    "the netherlands": "NL",
    "uae": "AE",
    "u a e": "AE",
    "vietnam": "VN",
    "czech republic": "CZ",
    "turkey": "TR",
    "swaziland": "SZ",
    "macedonia": "MK",
    "cape verde": "CV",
    "ivory coast": "CI",
    "brunei": "BN",
    "micronesia": "FM",
    "palestine": "PS",
    "palestinian territory": "PS",
    "vatican": "VA",
    "vatican city": "VA",
    "libyan arab jamahiriya": "LY",
    "kyrgyz republic": "KG",
    "slovak republic": "SK",
    "democratic republic of the congo": "CD",
    "dr congo": "CD",
    "pitcairn islands": "PN",
    "svalbard and jan mayen islands": "SJ",
    "saint barthelemy": "BL",
    "saint martin": "MF",
    "british virgin islands": "VG",
    "united states virgin islands": "VI",
    "us virgin islands": "VI",
    "hong kong sar": "HK",
    "east timor": "TL",
    "burma": "MM",
}

# The short names stored for a few countries whose ISO name reads oddly.
_DISPLAY_NAMES: dict[str, str] = {
    "RU": "Russia",
    "KR": "South Korea",
    "KP": "North Korea",
    "CD": "DR Congo",
    "FM": "Micronesia",
    "PS": "Palestine",
}


def _fold(text: str) -> str:
    """Lower-case, accent-free, punctuation-free: "Côte d'Ivoire" -> "cote divoire"."""
    decomposed = unicodedata.normalize("NFKD", text.replace("&", " and "))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = re.sub(r"['’]", "", plain.lower())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


@cache
def _country_index() -> dict[str, str]:
    import pycountry

    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            name = getattr(country, attribute, None)
            if name:
                index.setdefault(_fold(name), country.alpha_2)
        index[country.alpha_2.lower()] = country.alpha_2
        index[country.alpha_3.lower()] = country.alpha_2
    index.update(_COUNTRY_ALIASES)
    return index


# A file names a handful of countries a hundred thousand times over.
@lru_cache(maxsize=4096)
def country_region(country: str | None) -> str | None:
    """The ISO 3166 alpha-2 code of a country name or code, None when unknown."""
    text = clean(country)
    if text is None:
        return None
    index = _country_index()
    folded = _fold(text)
    # Faker-style names carry explanations: "Bouvet Island (Bouvetoya)".
    without_note = _fold(re.sub(r"\(.*?\)", " ", text))
    for key in (folded, without_note, folded.removeprefix("the ")):
        if key in index:
            return index[key]
    return None


@lru_cache(maxsize=4096)
def country_name(country: str | None) -> str | None:
    """The canonical English short name when known, else the cleaned input."""
    text = clean(country)
    region = country_region(text)
    if region is None:
        return text
    if region in _DISPLAY_NAMES:
        return _DISPLAY_NAMES[region]
    import pycountry

    record = pycountry.countries.get(alpha_2=region)
    if record is None:
        return text
    name: str = getattr(record, "common_name", None) or record.name
    return name


# A currency sign or ISO code typed before or after the figure: "€ 1.234,50",
# "$12,500", "12500 EUR".
_CURRENCY = re.compile(r"^(?:[$€£¥]|[A-Z]{3})?\s*(.*?)\s*(?:[$€£¥]|[A-Z]{3})?$")
# The ways an amount is written, each with one reading. A lone comma or dot
# before one or two digits is the decimal mark ("124,00" is 124); commas,
# spaces or apostrophes between groups of three digits are thousands
# ("12,500"), and so are dots when a decimal comma follows or there are two
# of them ("1.234,50", "1.234.567"). "1.234" alone is a thousand and more in
# Berlin and a little over one in Boston, so it is refused.
_AMOUNT_SHAPES = (
    (re.compile(r"^\d+(?:[.,]\d{1,2})?$"), ""),
    (re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?$"), ","),
    (re.compile(r"^\d{1,3}(?: \d{3})+(?:[.,]\d{1,2})?$"), " "),
    (re.compile(r"^\d{1,3}(?:'\d{3})+(?:\.\d{1,2})?$"), "'"),
    (re.compile(r"^\d{1,3}(?:\.\d{3})+,\d{1,2}$"), "."),
    (re.compile(r"^\d{1,3}(?:\.\d{3}){2,}$"), "."),
)


def parse_amount(value: str) -> Decimal:
    """An amount of money, to the cent, from the ways people and exports
    write one (see ``_AMOUNT_SHAPES``). Anything that could be read two ways,
    or is not a plain figure ("12k", "1,2,3"), raises ``InvalidValue``:
    a deal's value misread by a factor of a hundred is worse than a refusal.
    """
    text = re.sub(r"[\s\u00a0\u202f\u2009]+", " ", value).strip()
    found = _CURRENCY.match(text)
    figure = found.group(1) if found else text
    for shape, grouping in _AMOUNT_SHAPES:
        if shape.match(figure):
            plain = figure.replace(grouping, "") if grouping else figure
            return Decimal(plain.replace(",", ".")).quantize(Decimal("0.01"))
    if re.match(r"^\d{1,3}\.\d{3}$", figure):
        whole = figure.replace(".", "")
        raise InvalidValue(
            f"{value.strip()!r} is not an amount: {whole} or {figure}? "
            f"Write {whole}, or the cents after the dot"
        )
    raise InvalidValue(f"{value.strip()!r} is not an amount")


_EPOCH_DIGITS = re.compile(r"^(?:\d{9,10}|\d{12,14})$")
_DOTTED_DATE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2,4}\b")
# Two fillers that differ in every date part: if a parse with each gives a
# different date, the text left a part out ("May", "12") and is no date.
_FILLERS = (datetime(2000, 1, 1), datetime(2001, 2, 2))


def parse_timestamp(value: str, tz: tzinfo = UTC) -> datetime:
    """An aware UTC datetime from any common export date or datetime format.

    Naive values are taken in `tz`. Ambiguous day/month order follows the
    convention of the separator: slashes are month first (08/09/2024 is
    9 August, as US CRMs write it), dots are day first (08.09.2024 is
    8 September, as German and Swiss exports write it). A first number above
    12 is read as the day whatever the separator.
    """
    text = value.strip()
    if not text:
        raise InvalidValue("date is empty")
    if _EPOCH_DIGITS.match(text):
        return _from_epoch(text)
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace(" Z", "Z"))
    except ValueError:
        parsed = _parse_loose(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def _from_epoch(text: str) -> datetime:
    # HubSpot exports milliseconds (13 digits); 9 to 10 digits are seconds.
    number = int(text)
    seconds = number / 1000 if len(text) >= 12 else number
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise InvalidValue(f'"{text}" is not a date') from error


def _parse_loose(text: str) -> datetime:
    from dateutil import parser as date_parser

    day_first = bool(_DOTTED_DATE.match(text))
    try:
        first, second = (
            date_parser.parse(text, dayfirst=day_first, default=filler)
            for filler in _FILLERS
        )
    except (ValueError, OverflowError) as error:
        raise InvalidValue(f'"{text}" is not a date') from error
    if first != second:
        raise InvalidValue(f'"{text}" is not a complete date')
    return first
