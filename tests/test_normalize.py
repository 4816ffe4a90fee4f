"""Cleaning the values a rep finds in real CRM exports."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from crm_tui.normalize import (
    InvalidValue,
    Phone,
    clean,
    country_name,
    country_region,
    email_match_key,
    normalize_email,
    normalize_phone,
    parse_amount,
    parse_timestamp,
)

REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
HUBSPOT = REAL_DATA / "hubspot_contacts.csv"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Acme   Corp \t", "Acme Corp"),
        ("Line one\nline two", "Line one line two"),
        ("Cafe\u0301", "Café"),
        ("Select", None),
        ("select", None),
        (" N/A ", None),
        ("--", None),
        ("(blank)", None),
        ("unknown", None),
        ("", None),
        (None, None),
        ("Selected", "Selected"),
    ],
)
def test_clean(raw: str | None, expected: str | None) -> None:
    assert clean(raw) == expected


def test_email_is_trimmed_and_lower_cased() -> None:
    assert normalize_email("  Anna72@Example.NET ") == "anna72@example.net"


def test_email_on_a_test_domain_is_accepted() -> None:
    assert normalize_email("demo@crm.test") == "demo@crm.test"


@pytest.mark.parametrize("raw", ["bob@", "bob", "bob@@x.com", "bob@x", "a b@x.com"])
def test_bad_email_is_reported_in_words(raw: str) -> None:
    with pytest.raises(InvalidValue, match=f'e-mail "{raw}" is not a valid address'):
        normalize_email(raw)


@pytest.mark.parametrize(
    ("email", "key"),
    [
        ("bob+news@x.com", "bob@x.com"),
        ("Bob@X.com", "bob@x.com"),
        ("bob+a+b@x.com", "bob@x.com"),
        ("+only@x.com", "+only@x.com"),
    ],
)
def test_email_match_key_drops_plus_tag(email: str, key: str) -> None:
    assert email_match_key(email) == key


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("416-810-9897x752", "US", Phone("+14168109897", "752")),
        ("913.249.5790", "US", Phone("+19132495790", None)),
        ("+1-588-734-6947x37438", "GH", Phone("+15887346947", "37438")),
        ("9867280228", None, Phone("+19867280228", None)),
        ("001-308-928-7399x427", "US", Phone("+13089287399", "427")),
        ("(281)741-1316", "US", Phone("+12817411316", None)),
        ("+1-632-255-7785x0088", None, Phone("+16322557785", "0088")),
        ("555-0100 ext. 12", "US", Phone("+15550100", "12")),
        ("212 555 0100 #12", "US", Phone("+12125550100", "12")),
        ("020 7946 0958", "GB", Phone("+442079460958", None)),
        ("0044 20 7946 0958", "US", Phone("+442079460958", None)),
        ("011 44 20 7946 0958", "US", Phone("+442079460958", None)),
        ("0117 946 0123", "GB", Phone("+441179460123", None)),
        ("(495) 123-45-67", "RU", Phone("+74951234567", None)),
        ("98672 80228", "IN", Phone("+919867280228", None)),
    ],
)
def test_phone_shapes(raw: str, region: str | None, expected: Phone) -> None:
    assert normalize_phone(raw, region) == expected


def test_us_number_next_to_a_random_country_stays_american() -> None:
    # hubspot_contacts.csv puts United Kingdom next to (281)741-1316,
    # which is also a valid Northern Irish number.
    assert normalize_phone("(281)741-1316", "GB").e164 == "+12817411316"


def test_impossible_in_row_region_falls_back_to_default() -> None:
    assert normalize_phone("913.249.5790", "TK").e164 == "+19132495790"


def test_us_international_prefix_wins_over_a_local_carrier_code() -> None:
    # Australia reads 0016 as a carrier prefix; 001-... means +1 in exports.
    assert normalize_phone("001-653-228-8397x562", "AU").e164 == "+16532288397"


@pytest.mark.parametrize("raw", ["call me", "n/a", "12", "x752", ""])
def test_not_a_phone_number(raw: str) -> None:
    with pytest.raises(InvalidValue, match="is not a phone number"):
        normalize_phone(raw, "US")


@pytest.mark.real_data
def test_every_phone_in_the_hubspot_export_parses() -> None:
    if not HUBSPOT.exists():
        pytest.skip(f"real exports not checked out next to the repo: {HUBSPOT}")
    with HUBSPOT.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    parsed = 0
    for row in rows:
        region = country_region(row["Country"])
        for column in ("Phone Number", "Mobile Phone Number"):
            raw = row[column]
            phone = normalize_phone(raw, region)
            assert phone.e164.startswith("+"), raw
            if "x" in raw:
                assert phone.extension == raw.rpartition("x")[2], raw
            if raw.startswith(("+1-", "001-")) or "(" in raw or "." in raw:
                assert phone.e164.startswith("+1"), (raw, region)
            parsed += 1
    assert parsed == 2 * len(rows) == 1900


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        ("United States", "US"),
        ("USA", "US"),
        ("US", "US"),
        ("United States of America", "US"),
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("Korea", "KR"),
        ("Deutschland", "DE"),
        ("germany", "DE"),
        ("Russia", "RU"),
        ("Russian Federation", "RU"),
        ("Vietnam", "VN"),
        ("Côte d'Ivoire", "CI"),
        ("Cote d'Ivoire", "CI"),
        ("Bouvet Island (Bouvetoya)", "BV"),
        ("Svalbard & Jan Mayen Islands", "SJ"),
        ("Kyrgyz Republic", "KG"),
        ("Asia/Pacific Region", None),
        ("unknown", None),
        ("", None),
        (None, None),
    ],
)
def test_country_region(raw: str | None, region: str | None) -> None:
    assert country_region(raw) == region


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("USA", "United States"),
        ("uk", "United Kingdom"),
        ("Russian Federation", "Russia"),
        ("Viet Nam", "Vietnam"),
        ("Korea", "South Korea"),
        ("Asia/Pacific  Region", "Asia/Pacific Region"),
        ("Select", None),
    ],
)
def test_country_name(raw: str, name: str | None) -> None:
    assert country_name(raw) == name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-08-18", datetime(2024, 8, 18, tzinfo=UTC)),
        ("2024-08-18T13:05:00Z", datetime(2024, 8, 18, 13, 5, tzinfo=UTC)),
        ("2024-08-18T15:05:00+02:00", datetime(2024, 8, 18, 13, 5, tzinfo=UTC)),
        ("2024-08-18 13:05", datetime(2024, 8, 18, 13, 5, tzinfo=UTC)),
        ("08/18/2024", datetime(2024, 8, 18, tzinfo=UTC)),
        ("18.08.2024", datetime(2024, 8, 18, tzinfo=UTC)),
        ("Aug 18, 2024", datetime(2024, 8, 18, tzinfo=UTC)),
        ("1723986300000", datetime(2024, 8, 18, 13, 5, tzinfo=UTC)),
        # Ambiguous: slashes read month first, dots day first.
        ("08/09/2024", datetime(2024, 8, 9, tzinfo=UTC)),
        ("08.09.2024", datetime(2024, 9, 8, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(raw: str, expected: datetime) -> None:
    parsed = parse_timestamp(raw)
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_naive_timestamp_is_taken_in_the_given_zone() -> None:
    eastern = timezone(timedelta(hours=-4))
    parsed = parse_timestamp("2024-08-18 09:05", tz=eastern)
    assert parsed == datetime(2024, 8, 18, 13, 5, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["soon", "32/13/2024", "May", "12", "", "2024-02-30"])
def test_not_a_date(raw: str) -> None:
    with pytest.raises(InvalidValue):
        parse_timestamp(raw)


def test_plain_north_american_numbers_read_as_phonenumbers_reads_them() -> None:
    # The shortcut skips phonenumbers for the common case; it must never
    # disagree with the long way, whatever region the row names.
    from random import Random

    from crm_tui.normalize import _plain_nanp, _read_phone

    rng = Random(11)
    shapes = [
        "({a}) {e}-{n}",
        "({a}){e}-{n}",
        "{a}-{e}-{n}",
        "{a}.{e}.{n}",
        "{a} {e} {n}",
    ]
    regions = ["US", "CA", "GB", "DE", "FR", "JP", "BR", "AU", "IN", "JM", "MX"]
    checked = 0
    for _ in range(3_000):
        text = rng.choice(shapes).format(
            a=rng.randint(200, 999),
            e=rng.randint(200, 999),
            n=f"{rng.randint(0, 9999):04d}",
        )
        candidates = list(
            dict.fromkeys([rng.choice(regions), rng.choice(["US", "GB"])])
        )
        quick = _plain_nanp(text, candidates)
        if quick is not None:
            checked += 1
            assert quick == _read_phone(text, candidates), (text, candidates)
    assert checked > 1_000


def test_everyday_addresses_read_as_email_validator_reads_them() -> None:
    from email_validator import EmailNotValidError, validate_email

    from crm_tui.normalize import _plain_email

    samples = [
        "Ana.Almeida.7@Example.org",
        "bob+news@mail.example.co.uk",
        "x_y-z@a-b.io",
        "first.last@sub.domain.test",
        "someone@localhost.localhost",
        "a@b.local",
        "a..b@example.com",
        ".a@example.com",
        "a@-example.com",
        "a@example.c0m",
        "a@xn--80ak6aa92e.com",
        "a" * 65 + "@example.com",
        "user@" + "d" * 64 + ".com",
        "user@example",
        "müller@example.de",
    ]
    assert _plain_email("bob+news@mail.example.co.uk") is not None
    for text in samples:
        quick = _plain_email(text)
        if quick is None:
            continue
        try:
            full = validate_email(
                text, check_deliverability=False, test_environment=True
            )
        except EmailNotValidError:
            raise AssertionError(
                f"{text!r} passed the shortcut but is invalid"
            ) from None
        assert quick == full.normalized.lower(), text


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("12500", "12500.00"),
        ("12,500", "12500.00"),
        ("12 500", "12500.00"),
        ("12\u202f500", "12500.00"),
        ("12500.50", "12500.50"),
        ("1,234.50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("124,00", "124.00"),
        ("€ 1.234,50", "1234.50"),
        ("$12,500", "12500.00"),
        ("12500 EUR", "12500.00"),
        ("1.234.567", "1234567.00"),
    ],
)
def test_amounts_are_read_the_way_they_were_written(text: str, amount: str) -> None:
    assert parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize(
    "text", ["12k", "1,2,3", "1.234.5", "1.234", "-5", "1e5", "NaN", "", "€"]
)
def test_an_amount_that_is_not_one_or_reads_two_ways_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue, match="is not an amount"):
        parse_amount(text)
