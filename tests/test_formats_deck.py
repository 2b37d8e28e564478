"""Diaporama de commission (PowerPoint): reopened with python-pptx, its numbers compared with SQL
on the demo warehouse, rendered by LibreOffice."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.enum.lang import MSO_LANGUAGE_ID
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Inches

from dashboard.formats import deck
from dashboard.formats.common import FormatError
from dashboard.formatting import format_date, format_euros, format_number
from tests.conftest import HOSTILE_TITLE

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 12, 1)
SAINT_DIZIER = "200068666"
SCOPES = {
    "plan": "true",
    "element:P1": "a.root_item_id = 'saint-dizier:P1'",
    "contrat:CRTE-2021": "a.action_id in (select action_id from funding f join contracts c "
    "using (contract_id) where c.code = 'CRTE-2021' and c.territory_id = 'saint-dizier')",
}


@pytest.fixture(scope="module")
def decks(app_env) -> dict[str, Presentation]:
    return {
        scope: Presentation(io.BytesIO(deck.build_deck(SAINT_DIZIER, scope, TODAY)))
        for scope in SCOPES
    }


def shapes_named(presentation: Presentation, prefix: str) -> list:
    return [s for slide in presentation.slides for s in slide.shapes if s.name.startswith(prefix)]


def chart_values(shape) -> dict[str, dict[str, float]]:
    """{series: {category: value}} of a native chart."""
    plot = shape.chart.plots[0]
    categories = list(plot.categories)
    return {
        serie.name: {c: v for c, v in zip(categories, serie.values, strict=True) if v is not None}
        for serie in plot.series
    }


def kpi_cells(shape) -> dict[str, str]:
    table = shape.table
    cells = {}
    for row in range(0, len(table.rows), 2):
        for col in range(len(table.columns)):
            cells[table.cell(row, col).text] = table.cell(row + 1, col).text
    return cells


def scope_funding_filter(scope: str) -> str:
    if scope.startswith("contrat:"):
        return "f.contract_id = 'saint-dizier:CRTE-2021'"
    return SCOPES[scope]


@pytest.mark.parametrize("scope", list(SCOPES))
def test_status_chart_is_native_and_matches_sql(decks, demo_db, scope):
    presentation = decks[scope]
    charts = shapes_named(presentation, "chart:status")
    assert charts
    assert all(s.has_chart for s in charts)
    depth = 2 if scope.startswith("element") else 1
    rows = demo_db.execute(
        f"""with recursive up(item_id, ancestor_id) as (
            select item_id, item_id from plan_items
            union all
            select up.item_id, p.parent_id from up join plan_items p on p.item_id = up.ancestor_id
            where p.parent_id is not null)
        select i.code, a.status, count(*) from actions a
        join up on up.item_id = a.item_id
        join plan_items i on i.item_id = up.ancestor_id and i.depth = {depth}
        where a.territory_id = 'saint-dizier' and {SCOPES[scope]} group by all"""
    ).fetchall()
    expected = {(code, status): n for code, status, n in rows}
    found = {
        (category.split(" — ")[0], status): value
        for status, values in chart_values(charts[0]).items()
        for category, value in values.items()
        if value
    }
    assert found == expected


@pytest.mark.parametrize("scope", list(SCOPES))
def test_funding_chart_and_kpis_match_sql(decks, demo_db, scope):
    presentation = decks[scope]
    where = scope_funding_filter(scope)
    rows = demo_db.execute(
        f"""select funder_type, sum(requested), sum(granted), sum(received)
        from funding f join actions a using (action_id)
        where f.territory_id = 'saint-dizier' and {where} group by all"""
    ).fetchall()
    funders = chart_values(shapes_named(presentation, "chart:funders")[-1])
    for funder_type, requested, granted, received in rows:
        for stage, amount in (("Demandé", requested), ("Accordé", granted), ("Versé", received)):
            assert funders[stage].get(funder_type) == (None if amount is None else float(amount))

    n_actions, granted = demo_db.execute(
        f"""select (select count(*) from actions a where a.territory_id = 'saint-dizier'
                    and {SCOPES[scope]}),
                   (select sum(granted) from funding f join actions a using (action_id)
                    where f.territory_id = 'saint-dizier' and {where})"""
    ).fetchone()
    kpis = kpi_cells(shapes_named(presentation, "table:kpis")[0])
    assert kpis["Actions"] == format_number(n_actions)
    assert kpis["Financements accordés"] == format_euros(granted)
    assert "\u00a0€" in kpis["Dépenses prévues"]  # `1 234 567 €`, French spacing


def test_spending_chart_matches_sql(decks, demo_db):
    years = chart_values(shapes_named(decks["plan"], "chart:years")[0])
    rows = demo_db.execute(
        """select year, sum(planned), sum(paid) from budget_lines
        where territory_id = 'saint-dizier' and direction = 'Dépense' group by year"""
    ).fetchall()
    assert {str(y): float(p) for y, p, _ in rows if p is not None} == years["Prévu"]
    assert {str(y): float(p) for y, _, p in rows if p is not None} == years["Payé"]


def test_one_slide_per_commission_screen_of_the_plan(decks, demo_db):
    """Cover, synthèse, one per first-level item and per contract, then funding and tables."""
    titles = [s.shapes.title.text for s in decks["plan"].slides if s.shapes.title is not None]
    roots = demo_db.execute(
        "select level, code, title from plan_items where territory_id = 'saint-dizier' "
        "and depth = 1 order by sort_order"
    ).fetchall()
    for level, code, title in roots:
        assert f"{level.capitalize()} {code} — {title}" in titles
    contracts = demo_db.execute(
        "select name from contracts where territory_id = 'saint-dizier'"
    ).fetchall()
    for (name,) in contracts:
        assert any(t.startswith(f"Contrat — {name[:40]}") for t in titles)
    assert titles[1] == "Synthèse"


def test_late_table_lists_every_late_action_and_fits(decks, demo_db):
    presentation = decks["plan"]
    tables = shapes_named(presentation, "table:late")
    codes = [t.table.cell(r, 0).text for t in tables for r in range(1, len(t.table.rows))]
    expected = demo_db.execute(
        "select code from action_status where territory_id = 'saint-dizier' and is_late"
    ).fetchall()
    assert sorted(codes) == sorted(c for (c,) in expected)
    height, width = presentation.slide_height, presentation.slide_width
    for shape in shapes_named(presentation, "table:"):
        assert len(shape.table.rows) <= deck.TABLE_ROWS + 1
        assert sum(c.width for c in shape.table.columns) <= width
        assert shape.left + shape.width <= width
        assert shape.top + shape.height <= height - Inches(0.5)  # above the footer


def test_every_slide_has_date_of_data_source_and_provenance(decks, demo_db):
    built = demo_db.execute("select max(built_at) from build_info").fetchone()[0]
    for presentation in decks.values():
        for number, slide in enumerate(presentation.slides, start=1):
            names = {s.name: s for s in slide.shapes}
            footer = names["footer"].text_frame.text
            assert f"données au {format_date(built)}" in footer
            assert "source : " in footer
            assert names["slide-number"].text_frame.text == str(number)
            assert names["provenance"].text_frame.text in (deck.DEMO_MARK, deck.SOURCED_MARK)
            runs = [r for f in deck.text_frames(slide.shapes) for p in f.paragraphs for r in p.runs]
            assert {r.font.language_id for r in runs} == {MSO_LANGUAGE_ID.FRENCH}
            # Editable: text, tables and charts only; the only picture is the master's logo.
            assert not [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    # Saint-Dizier's amounts are invented: the synthèse says so.
    synthese = decks["plan"].slides[1]
    assert {s.name: s for s in synthese.shapes}["provenance"].text_frame.text == deck.DEMO_MARK


def test_real_portfolio_carries_no_demo_mark(app_env):
    presentation = Presentation(io.BytesIO(deck.build_deck("200053742", "plan", TODAY)))
    marks = {s.text_frame.text for s in shapes_named(presentation, "provenance")}
    assert marks == {deck.SOURCED_MARK}


def test_collectivite_template_replaces_the_default(app_env, tmp_path):
    template = Presentation(str(deck.TEMPLATE))
    logo = next(s for s in template.slide_master.shapes if s.name == "Logo")
    logo.name = "Logo Ville de Saint-Dizier"
    custom = tmp_path / "modele.pptx"
    template.save(custom)
    built = Presentation(io.BytesIO(deck.build_deck(SAINT_DIZIER, "element:P1", TODAY, custom)))
    assert "Logo Ville de Saint-Dizier" in {s.name for s in built.slide_master.shapes}
    assert built.slides[0].slide_layout.name == "Couverture"
    assert built.slides[1].slide_layout.name == "Titre seul"


def test_deployment_template_and_bad_template(app_env, tmp_path, monkeypatch):
    """PILOTAGE_DECK_TEMPLATE points the app's button at the collectivité's template; a file
    that is not a presentation gets a French message."""
    template = Presentation(str(deck.TEMPLATE))
    template.slide_master.shapes[-1].name = "Logo Dijon Métropole"
    custom = tmp_path / "dijon.pptx"
    template.save(custom)
    monkeypatch.setenv("PILOTAGE_DECK_TEMPLATE", str(custom))
    built = Presentation(io.BytesIO(deck.build_deck("242100410", "plan", TODAY)))
    assert "Logo Dijon Métropole" in {s.name for s in built.slide_master.shapes}
    broken = tmp_path / "broken.pptx"
    broken.write_bytes(b"not a presentation")
    with pytest.raises(FormatError, match="illisible"):
        deck.build_deck("242100410", "plan", TODAY, broken)


def test_template_is_regenerated_by_its_tool(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import make_deck_template
    finally:
        sys.path.pop(0)
    fresh = make_deck_template.build_template()
    committed = Presentation(str(deck.TEMPLATE))
    assert [lay.name for lay in fresh.slide_layouts] == [
        lay.name for lay in committed.slide_layouts
    ]
    assert [s.name for s in fresh.slide_master.shapes] == [
        s.name for s in committed.slide_master.shapes
    ]
    assert (fresh.slide_width, fresh.slide_height) == (
        committed.slide_width,
        committed.slide_height,
    )


def test_libreoffice_renders_every_slide(app_env, tmp_path):
    """The deck opens in another office suite: LibreOffice (Debian) prints one page per slide."""
    assert shutil.which("soffice"), "LibreOffice absent : apt-get install -y libreoffice-impress"
    path = tmp_path / "diaporama.pptx"
    path.write_bytes(deck.build_deck(SAINT_DIZIER, "element:P1", TODAY))
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "render_deck.py"),
            str(path),
            "--sortie",
            str(tmp_path / "png"),
            "--largeur",
            "640",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    images = result.stdout.split()
    assert len(images) == len(Presentation(str(path)).slides)
    from PIL import Image

    for image in images:
        colours = Image.open(image).convert("L").getextrema()
        assert colours[0] < 80  # dark text…
        assert colours[1] > 200  # …on a light page: not blank


def test_hostile_titles_stay_text(tampered_warehouse, monkeypatch):
    """HTML and formulas in loaded titles are written as plain text runs of the slides."""
    monkeypatch.setenv("PILOTAGE_WAREHOUSE", str(tampered_warehouse))
    presentation = Presentation(io.BytesIO(deck.build_deck(SAINT_DIZIER, "plan", TODAY)))
    texts = [
        cell.text
        for shape in shapes_named(presentation, "table:late")
        for row in shape.table.rows
        for cell in row.cells
    ]
    assert any(t.startswith(HOSTILE_TITLE[:40]) for t in texts)
