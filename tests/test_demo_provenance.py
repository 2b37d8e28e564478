"""Every figure of the demo warehouse checked against the shipped document texts (issue #19):
approximate amounts are worded so in the document, reconstructed titles are absent from it,
invented amounts credit no document, the dated document's statuses and data date."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path

import pytest

from etl.schema import PROVENANCES

DOCUMENTS = Path(__file__).resolve().parent / "fixtures" / "documents"
HDF = "hauts-de-france"
# The document's words for an amount it does not give exactly (« près de 24 000 000 euros »).
APPROXIMATION = re.compile(
    r"(?:près de|plus de|plus d’|environ|quelque|de l’ordre de|supérieure? à|au moins|"
    r"presque|un peu plus de|plus d’un)\s*$",
    re.IGNORECASE,
)
# A source that credits one of the documents: its number or its title.
NAMES_A_DOCUMENT = re.compile(
    r"\b00\d\b|projet de territoire|projet métropolitain|république contractuelle|"
    r"offre d’emploi|état d’avenir",
    re.IGNORECASE,
)
AMOUNT_COLUMNS = {
    "budget_lines": ("planned", "committed", "paid"),
    "funding": ("requested", "granted", "received"),
    "contracts": ("envelope",),
    "declared_states": ("budget_planned", "funding_requested", "funding_granted"),
}
PROVENANCE_TABLES = (
    "plan_items",
    "actions",
    "budget_lines",
    "funding",
    "contracts",
    "followups",
    "declared_states",
)
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
# The 10 statuses document 004 gives, each with the words that give it (in the action's lines).
HDF_STATUSES = {
    "HDF-11": ("Réalisé", "ont ainsi été réalisés dans le cadre de ces contrats de ruralité"),
    "HDF-12": ("Réalisé", "ont ainsi été réalisés dans le cadre de ces contrats de ruralité"),
    "HDF-13": ("Réalisé", "ont ainsi été réalisés dans le cadre de ces contrats de ruralité"),
    "HDF-14": ("En cours", "L’ouverture du centre est prévue pour juillet 2019"),
    "HDF-17": ("En cours", "Les crédits engagés à ce jour concernent des études"),
    "HDF-19": ("Réalisé", "a ouvert le 12 avril 2019 son nouveau magasin"),
    "HDF-21": ("Réalisé", "Les logements ont également été réhabilités"),
    "HDF-28": ("Réalisé", "Entré en service le 11 mai 2019"),
    "HDF-38": ("En cours", "a débuté au printemps 2019"),
    "HDF-43": ("Réalisé", "Inauguré le 8 mai 2019"),
}


def normalise(text: str) -> str:
    """One space between words, typographic apostrophes: line breaks of the PDF text ignored."""
    return re.sub(r"\s+", " ", text.replace("'", "’").replace("\u00a0", " ")).strip()


@cache
def document_lines(number: str) -> tuple[str, ...]:
    (path,) = DOCUMENTS.glob(f"{number}_*.txt")
    return tuple(path.read_text(encoding="utf-8").split("\n"))


def document_text(number: str) -> str:
    return normalise(" ".join(document_lines(number)))


def cited_text(source: str) -> str:
    """The text of the lines a `004 – La République contractuelle, l. 196, 213-220` source cites."""
    match = re.search(r"l\. ([\d ,\-]+)", source)
    assert match, f"no line numbers in {source!r}"
    lines = document_lines("004")
    numbers: list[int] = []
    for part in filter(None, (p.strip() for p in match.group(1).split(","))):
        first, _, last = part.partition("-")
        numbers += range(int(first), int(last or first) + 1)
    assert numbers, source
    assert max(numbers) <= len(lines), source
    return normalise(" ".join(lines[n - 1] for n in numbers))


def written_forms(amount: float) -> list[str]:
    """How the document writes an amount: `24 000 000`, `3 186 368,61`, `1,5 milliard`,
    `40 millions`, `un million`."""
    whole, cents = divmod(round(amount * 100), 100)
    forms = [f"{whole:,}".replace(",", " ") + (f",{cents:02d}" if cents else "")]
    for unit, size in (("milliard", 10**9), ("million", 10**6)):
        if amount >= size and (amount * 1000) % size == 0:
            count = f"{amount / size:g}".replace(".", ",")
            forms.append("un " + unit if count == "1" else f"{count} {unit}")
    return forms


def approximated_in(text: str, amount: float) -> bool | None:
    """True when an approximation word stands right before the amount in `text`, False when the
    amount is written there exactly, None when it is not written there at all."""
    found = None
    for form in written_forms(amount):
        pattern = rf"(?<![\d,]){re.escape(form)}(?![\d]|,\d| \d{{3}}\b)"
        for match in re.finditer(pattern, text):
            if APPROXIMATION.search(text[: match.start()]):
                return True
            found = False
    return found


def amount_rows(demo_db, table: str, where: str = "true") -> list[tuple]:
    """(territory, label, provenance, source, amounts…) of every row of an amount table."""
    columns = ", ".join(AMOUNT_COLUMNS[table])
    label = "code" if table == "contracts" else "action_id"
    return demo_db.execute(
        f"select territory_id, {label}, provenance, source, {columns} from {table} where {where}"
    ).fetchall()


def test_warehouse_provenance_keys_are_the_declared_ones(demo_db):
    declared = {p.key for p in PROVENANCES}
    assert declared == {"sourced", "approximate", "reconstructed", "demo"}
    rows = demo_db.execute("select key, typed from provenances").fetchall()
    assert dict(rows) == {p.key: p.typed for p in PROVENANCES}
    used = set()
    for table in PROVENANCE_TABLES:
        columns = {c[0] for c in demo_db.execute(f"describe {table}").fetchall()}
        assert "provenance" in columns, table
        values = {v for (v,) in demo_db.sql(f"select distinct provenance from {table}").fetchall()}
        assert values <= declared, (table, values - declared)
        used |= values
        # The old demo flag and the provenance say the same thing.
        assert not demo_db.execute(
            f"select count(*) from {table} where is_demo <> (provenance = 'demo')"
        ).fetchone()[0], table
    assert used == declared


@pytest.mark.parametrize("table", ["budget_lines", "funding", "contracts"])
def test_every_approximate_amount_is_worded_so_in_its_source_lines(demo_db, table):
    rows = amount_rows(demo_db, table, "provenance = 'approximate'")
    assert rows, f"no approximate row in {table}"
    for territory, label, _, source, *amounts in rows:
        assert territory == HDF, (table, label)
        text = cited_text(source)
        given = [a for a in amounts if a is not None]
        assert given, (table, label)
        assert any(approximated_in(text, float(a)) for a in given), (table, label, source)


def test_no_approximate_amount_of_document_004_is_stored_as_exact(demo_db):
    """The converse: an amount the document words « près de », « plus de », « environ »… is
    marked approximate; an amount it writes exactly is not. 12 such amounts in all."""
    approximate, exact = [], []
    for table in ("budget_lines", "funding", "contracts"):
        for _, label, provenance, source, *amounts in amount_rows(
            demo_db, table, f"territory_id = '{HDF}'"
        ):
            text = cited_text(source)
            worded = [approximated_in(text, float(a)) for a in amounts if a is not None]
            if any(worded):
                approximate.append((table, label))
                assert provenance == "approximate", (table, label, source)
            elif False in worded:
                exact.append((table, label))
                assert provenance == "sourced", (table, label, source)
    assert len(approximate) == 12
    assert len(exact) > 40


def test_approximate_hdf_dates_come_from_a_month_or_a_season(demo_db):
    """Actions marked approximate: the document gives a month or a season, not the day; every
    other dated action's day is written in its lines."""
    rows = demo_db.execute(
        f"""select code, provenance, source, planned_start, planned_end, actual_end
            from actions where territory_id = '{HDF}'"""
    ).fetchall()
    n_approximate = 0
    for code, provenance, source, *dates in rows:
        text = cited_text(source)
        for day in filter(None, dates):
            month = MONTHS[day.month - 1]
            day_given = re.search(rf"\b{day.day}(er)? {month} {day.year}", text, re.IGNORECASE)
            if provenance == "approximate":
                month_given = re.search(rf"{month} {day.year}", text, re.IGNORECASE)
                season_given = (day.month in (6, 7, 8, 9) and f"été {day.year}" in text) or (
                    day.month == 9 and f"rentrée {day.year}" in text
                )
                assert month_given or season_given, (code, day)
                assert not day_given, (code, day)
            else:
                assert day_given, (code, day, source)
        n_approximate += provenance == "approximate"
    assert n_approximate == 5


def test_dijon_reconstructed_axes_are_not_in_the_document_but_its_orientations_are(demo_db):
    text = document_text("003")
    rows = demo_db.execute(
        "select level, title, provenance from plan_items where territory_id = 'dijon'"
    ).fetchall()
    axes = [(title, provenance) for level, title, provenance in rows if level == "axe"]
    orientations = [(title, prov) for level, title, prov in rows if level == "orientation"]
    assert len(axes) == 7
    assert len(orientations) == 37
    for title, provenance in axes:
        assert provenance == "reconstructed", title
        assert normalise(title).lower() not in text.lower(), title
    for title, provenance in orientations:
        assert provenance == "sourced", title
        assert normalise(title) in text, title


def test_plan_titles_described_as_reconstructed_are_marked_so(demo_db):
    rows = demo_db.execute(
        "select territory_id, code, description, provenance from plan_items"
    ).fetchall()
    marked = {(t, code) for t, code, _, provenance in rows if provenance == "reconstructed"}
    described = {
        (t, code)
        for t, code, description, _ in rows
        if (description or "").startswith("Intitulé reconstitué")
    }
    assert marked == described
    assert {code for t, code in marked if t == "pompey"} == {"E4", "E4.D1"}


@pytest.mark.parametrize("table", sorted(AMOUNT_COLUMNS))
def test_no_invented_amount_is_credited_to_a_document(demo_db, table):
    rows = amount_rows(demo_db, table, "provenance = 'demo'")
    with_amount = [row for row in rows if any(a is not None for a in row[4:])]
    assert with_amount, f"no demo amount in {table}"
    for territory, label, _, source, *_ in with_amount:
        assert not NAMES_A_DOCUMENT.search(normalise(source or "")), (table, territory, label)


def test_invented_notes_name_a_document_only_beside_what_is_invented(demo_db):
    rows = demo_db.execute(
        "select territory_id, action_id, note_date, source from followups where is_demo"
    ).fetchall()
    assert rows
    for territory, action, day, source in rows:
        if NAMES_A_DOCUMENT.search(normalise(source or "")):
            assert "inventés pour la démonstration" in source, (territory, action, day)


def test_saint_dizier_budget_and_funding_are_all_demo(demo_db):
    for table, expected in (("budget_lines", 286), ("funding", 54)):
        counts = demo_db.execute(
            f"""select count(*), count(*) filter (provenance = 'demo')
                from {table} where territory_id = 'saint-dizier'"""
        ).fetchone()
        assert counts == (expected, expected), table


def test_hauts_de_france_lateness_is_judged_at_the_documents_date(demo_db):
    data_date, description = demo_db.execute(
        f"select data_date, description from territories where territory_id = '{HDF}'"
    ).fetchone()
    assert isinstance(data_date, dt.date)
    assert data_date.year == 2019
    assert "(2019)" in description
    # Nothing the document reports as done is after its date, nothing it plans is late at it.
    last_done = demo_db.execute(
        f"select max(actual_end) from actions where territory_id = '{HDF}'"
    ).fetchone()[0]
    assert last_done <= data_date
    late, as_of = demo_db.execute(
        f"""select count(*) filter (is_late), min(late_as_of) from action_status
            where territory_id = '{HDF}'"""
    ).fetchone()
    assert late == 0
    assert as_of == data_date


def test_territories_with_invented_statuses_are_judged_today(demo_db):
    rows = demo_db.execute(
        """select t.territory_id, t.data_date from territories as t
           where exists (select 1 from actions as a where a.territory_id = t.territory_id
                         and a.status_given and a.is_demo)"""
    ).fetchall()
    assert {t for t, _ in rows} == {"saint-dizier", "pompey", "dijon"}
    assert all(data_date is None for _, data_date in rows)


def test_the_ten_hdf_statuses_are_the_documents_and_no_other_is_defaulted(demo_db):
    rows = demo_db.execute(
        f"""select code, status, status_given, progress, source from actions
            where territory_id = '{HDF}'"""
    ).fetchall()
    assert len(rows) == 45
    given = {code: status for code, status, is_given, _, _ in rows if is_given}
    assert given == {code: status for code, (status, _) in HDF_STATUSES.items()}
    for code, status, is_given, progress, source in rows:
        assert progress is None, code
        if code in HDF_STATUSES:
            assert normalise(HDF_STATUSES[code][1]) in cited_text(source), code
        else:
            assert status is None, code
            assert not is_given, code
    shown = demo_db.execute(
        f"""select count(*) from action_status
            where territory_id = '{HDF}' and status = 'Non renseigné'"""
    ).fetchone()[0]
    assert shown == 35
