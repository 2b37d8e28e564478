"""French cell parsers: amounts, dates, percentages, codes."""

import datetime as dt

import pytest

from etl import parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 234 567,50 €", 1234567.5),
        ("1\u202f234\u202f567,50\u00a0€", 1234567.5),
        ("1234567.5", 1234567.5),
        ("1.234.567,50", 1234567.5),
        ("1,234,567.50", 1234567.5),
        ("3186368,61", 3186368.61),
        ("0", 0.0),
        ("17000000", 17000000.0),
    ],
)
def test_amounts_in_french_and_plain_formats(text, expected):
    assert parsing.parse_amount(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5", "négatif"),
        ("abc", "illisible"),
        ("1 000 000 000 000", "aberrant"),
        ("1e3", "illisible"),
        ("12 k€", "illisible"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message):
        parsing.parse_amount(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("23/03/2026", dt.date(2026, 3, 23)),
        ("2026-03-23", dt.date(2026, 3, 23)),
        ("1/2/2024", dt.date(2024, 2, 1)),
        ("46104", dt.date(2026, 3, 23)),  # Excel serial date
        ("46104.0", dt.date(2026, 3, 23)),
    ],
)
def test_dates(text, expected):
    assert parsing.parse_date(text) == expected


@pytest.mark.parametrize("text", ["31/02/2026", "2026", "mars 2026", "123", "13/13/2020"])
def test_bad_dates(text):
    with pytest.raises(ValueError, match="date"):
        parsing.parse_date(text)


def test_percentages_accept_signs_and_commas_but_not_above_100():
    assert parsing.parse_pct("45 %") == 45
    assert parsing.parse_pct("45,5") == 45.5
    with pytest.raises(ValueError, match="0 à 100"):
        parsing.parse_pct("120")


def test_insee_codes_keep_leading_zero_and_corsica():
    assert parsing.parse_insee("1001") == "01001"
    assert parsing.parse_insee("2a004") == "2A004"
    with pytest.raises(ValueError, match="INSEE"):
        parsing.parse_insee("520")


def test_vocabulary_matches_without_accents_or_case():
    assert parsing.match_choice("a venir", ("À venir", "Réalisé")) == "À venir"
    assert parsing.match_choice("REALISE", ("À venir", "Réalisé")) == "Réalisé"
    with pytest.raises(ValueError, match="« À venir »"):
        parsing.match_choice("Fini", ("À venir", "Réalisé"))


def test_lists_split_on_commas_semicolons_and_pipes():
    assert parsing.parse_list("52448, 52550;52331 | 52001") == ["52448", "52550", "52331", "52001"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Camille Martin <Camille.Martin@agglo.fr>", ("Camille Martin", "camille.martin@agglo.fr")),
        (" c.martin@agglo.fr ", (None, "c.martin@agglo.fr")),
        ("Camille Martin", ("Camille Martin", None)),
        ("<c.martin@agglo.fr>", (None, "c.martin@agglo.fr")),
    ],
)
def test_a_pilot_is_a_name_and_or_an_address(text, expected):
    assert parsing.parse_person(text) == expected


@pytest.mark.parametrize("text", ["c.martin@agglo", "Camille <>", "a@@agglo.fr", "a b@agglo.fr"])
def test_an_unreadable_address_is_refused(text):
    with pytest.raises(ValueError, match="adresse électronique illisible"):
        parsing.parse_person(text)
