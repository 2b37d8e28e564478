"""Rapport de commission: the PDF printed from the tampered demo warehouse, read back with pypdf
(pages, footer, cover, late actions against SQL, hostile text shown literally) and rendered to
PNG with pypdfium2; scope restrictions and KPIs checked against SQL; the command line."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pypdfium2
import pytest
from pypdf import PdfReader

from dashboard import commission_report as report
from dashboard import queries
from dashboard.commission_report.render import build_report_figures
from dashboard.formatting import format_date, format_datetime, format_euros
from dashboard.territory import TerritoryNotFound, find_territory
from tests.conftest import HOSTILE_TITLE

ROOT = Path(__file__).resolve().parent.parent
SIREN = "200068666"  # CA Grand Saint-Dizier, Der & Vallées
TODAY = dt.date.today()


@pytest.fixture(scope="module")
def warehouse(app_env, tampered_warehouse):
    """The tampered copy for this module (app_env first, so that its undo comes last)."""
    patcher = pytest.MonkeyPatch()
    patcher.setenv("PILOTAGE_WAREHOUSE", str(tampered_warehouse))
    yield tampered_warehouse
    patcher.undo()


@pytest.fixture(scope="module")
def plan_pdf(warehouse) -> bytes:
    return report.build_report_pdf(SIREN, "plan", TODAY)


@pytest.fixture(scope="module")
def pages(plan_pdf) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(plan_pdf)).pages]


def squeeze(text: str) -> str:
    """Text without any whitespace: pypdf breaks table cells over lines where it wants."""
    return re.sub(r"\s+", "", text)


def section(pages: list[str], start: str, end: str) -> str:
    text = "\n".join(pages)
    begin = text.index(start)
    return text[begin : text.index(end, begin)]


def built_at(con) -> str:
    return format_datetime(con.execute("select built_at from build_info").fetchone()[0])


@pytest.fixture(scope="module")
def con(warehouse, tampered_db):
    return tampered_db


def test_every_page_has_its_number_source_and_dates(pages, con):
    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        footer = squeeze(text)
        assert squeeze(f"Page {number} / {len(pages)}") in footer, number
        assert squeeze(f"Édité le {format_date(TODAY)}") in footer, number
        assert squeeze(f"données chargées le {built_at(con)}") in footer, number
        assert squeeze("source : 000 – Projet de territoire") in footer, number


def test_cover_names_the_territory_and_the_scope(pages):
    cover = pages[0]
    assert "Rapport de commission" in cover
    assert "CA Grand Saint-Dizier, Der & Vallées" in cover
    assert "Tout le plan" in cover
    assert "données de démonstration" in cover
    # The cover is a page of its own: the summary starts on page 2.
    assert "Synthèse" not in cover
    assert "Synthèse" in pages[1]


def test_summary_and_kpis_are_those_of_the_overview(pages, con):
    late = con.execute(
        "select count(*) from action_status where territory_id = 'saint-dizier' and is_late"
    ).fetchone()[0]
    total = con.execute(
        "select count(*) from actions where territory_id = 'saint-dizier'"
    ).fetchone()[0]
    summary = squeeze(pages[1])
    assert squeeze(f"sur {total} sont terminées") in summary
    assert squeeze(f"{late} actions sont en retard") in summary
    assert squeeze(f"En retard{late}") in summary


def test_late_actions_are_exactly_those_of_sql(pages, con):
    late = {
        code
        for (code,) in con.execute(
            "select code from action_status where territory_id = 'saint-dizier' and is_late"
        ).fetchall()
    }
    codes = {c for (c,) in con.execute("select code from actions").fetchall()}
    late_text = section(pages, "Actions en retard", "Changements depuis")
    shown = {c for c in codes if re.search(rf"(?<![\w.]){re.escape(c)}(?![\w.])", late_text)}
    assert late
    assert shown == late
    assert f"{len(late)} action(s) ouverte(s)" in late_text


def test_hostile_title_is_printed_as_text(pages, warehouse):
    assert squeeze(HOSTILE_TITLE) in squeeze("".join(pages))
    data = report.build_report_data(find_territory(SIREN), report.ReportScope(), TODAY)
    html = report.build_report_html(data, with_charts=False)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(&#39;rapport&#39;)&gt;" in html  # markupsafe's escapes
    assert "<b>piégée</b>" not in html


def test_funding_table_total_matches_sql(pages, con):
    n_actions, requested, granted, received = con.execute(
        "select count(distinct action_id), sum(requested), sum(granted), sum(received)"
        " from funding where territory_id = 'saint-dizier'"
    ).fetchone()
    total = f"Total{n_actions}" + "".join(format_euros(v) for v in (requested, granted, received))
    assert squeeze(total) in squeeze(pages[-1])


def test_changes_since_the_previous_snapshot_are_listed(pages, con):
    """Saint-Dizier declares an earlier state (etats_anterieurs): every action whose status,
    progress or planned end differs between the two snapshots is in the section."""
    previous, latest = (
        row[0]
        for row in con.execute(
            "select snapshot_id from snapshots where territory_id = 'saint-dizier'"
            " order by taken_at, seq"
        ).fetchall()[-2:]
    )
    moved = {
        code
        for (code,) in con.execute(
            "select a.code from snapshot_actions as a"
            " join snapshot_actions as b on b.action_id = a.action_id and b.snapshot_id = $before"
            " where a.snapshot_id = $after and (a.status <> b.status"
            " or a.planned_end is distinct from b.planned_end"
            " or abs(coalesce(a.progress, -1) - coalesce(b.progress, -1)) >= 0.5)",
            {"before": previous, "after": latest},
        ).fetchall()
    }
    text = section(pages, "Changements depuis", "Financements")
    assert "Depuis : État saisi au" in text
    assert moved
    for code in moved:
        assert re.search(rf"(?<![\w.]){re.escape(code)}(?![\w.])", text), code


def test_changes_are_restricted_to_the_scope_or_absent(warehouse, con):
    data = report.build_report_data(
        find_territory(SIREN), report.ReportScope("element", "P2"), TODAY
    )
    roots = dict(
        con.execute(
            "select a.action_id, r.code from snapshot_actions as a"
            " join plan_items as r on r.item_id = a.root_item_id"
        ).fetchall()
    )
    assert not data.changes.empty
    assert {roots[a] for a in data.changes["action_id"]} == {"P2"}
    pompey = report.build_report_data(find_territory("245400601"), report.ReportScope(), TODAY)
    assert pompey.changes is None
    html = unescape(report.build_report_html(pompey, with_charts=False))
    assert "Aucun point d'étape précédent" in html


def test_pages_render_with_ink_on_them(plan_pdf, tmp_path):
    """Each page drawn by PDFium has content; the chart page has large coloured areas."""
    document = pypdfium2.PdfDocument(plan_pdf)
    inked = []
    for index in range(len(document)):
        image = document[index].render(scale=0.5).to_pil().convert("L")
        histogram = image.histogram()
        inked.append(1 - histogram[255] / sum(histogram))
        image.save(tmp_path / f"page-{index + 1}.png")
    assert all(share > 0.005 for share in inked), inked
    colours = document[1].render(scale=0.5).to_pil().convert("RGB").getcolors(1_000_000)
    status_blue = sum(n for n, (r, g, b) in colours if b > 150 and r < 60 and g < 130)
    assert status_blue > 2_000, "the status chart (blue « En cours » bars) is on page 2"


def test_element_scope_keeps_only_its_actions_and_funding(warehouse, con):
    data = report.build_report_data(
        find_territory(SIREN), report.ReportScope.parse("element:P1"), TODAY
    )
    expected = {
        code
        for (code,) in con.execute(
            "select a.code from action_status as a join plan_items as r"
            " on r.item_id = a.root_item_id"
            " where a.territory_id = 'saint-dizier' and r.code = 'P1'"
        ).fetchall()
    }
    assert set(data.actions["code"]) == expected
    granted = con.execute(
        "select sum(f.granted) from funding as f join action_status as a using (action_id)"
        " join plan_items as r on r.item_id = a.root_item_id"
        " where f.territory_id = 'saint-dizier' and r.code = 'P1'"
    ).fetchone()[0]
    assert data.kpis["funding_granted"] == pytest.approx(float(granted))
    assert data.scope_label.startswith("Pilier P1 — ")
    assert set(data.late["code"]) <= expected


def test_contract_scope_pdf(warehouse, con):
    pdf = report.build_report_pdf(SIREN, "contrat:CRTE-2021", TODAY)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    name = con.execute(
        "select name from contracts where code = 'CRTE-2021' and territory_id = 'saint-dizier'"
    ).fetchone()[0]
    assert squeeze(f"Contrat — {name}") in squeeze(pages[0])
    granted = con.execute(
        "select sum(granted) from funding as f join contracts as c using (contract_id)"
        " where c.code = 'CRTE-2021' and c.territory_id = 'saint-dizier'"
    ).fetchone()[0]
    assert squeeze(format_euros(granted)) in squeeze(pages[-1])
    lines = con.execute(
        "select count(distinct f.action_id) from funding as f join contracts as c"
        " using (contract_id) where c.code = 'CRTE-2021' and c.territory_id = 'saint-dizier'"
    ).fetchone()[0]
    assert squeeze(f"Actions du périmètre{lines}") in squeeze(pages[0])


def test_scope_errors_are_french_and_name_the_choices(app_env):
    with pytest.raises(report.ReportError, match="element:<code"):
        report.ReportScope.parse("pilier")
    with pytest.raises(TerritoryNotFound, match="Territoire « 999 » inconnu"):
        find_territory("999")
    with pytest.raises(report.ReportError, match=r"codes : P1, P2"):
        report.build_report_data(
            find_territory(SIREN), report.ReportScope("element", "P1.A1"), TODAY
        )
    with pytest.raises(report.ReportError, match="Aucun contrat de code « NOPE »"):
        report.build_report_data(
            find_territory(SIREN), report.ReportScope("contrat", "NOPE"), TODAY
        )


def test_scope_for_item_climbs_to_the_first_level(app_env):
    items = queries.load_plan_items("saint-dizier")
    assert report.scope_for_item(items, "P2.A1.O1") == report.ReportScope("element", "P2")
    assert report.scope_for_item(items, None) == report.ReportScope()
    assert report.scope_for_item(items, "inconnu") == report.ReportScope()


def test_command_line_writes_the_pdf_quietly(demo_warehouse, tmp_path):
    env = {**os.environ, "PILOTAGE_WAREHOUSE": str(demo_warehouse)}
    output = tmp_path / "rapport.pdf"
    command = [sys.executable, "-m", "dashboard.commission_report", "--territoire", "dijon"]
    done = subprocess.run(
        [*command, "--perimetre", "contrat:CRTE-2021", "--sortie", str(output)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # scheduled runs mail what goes to stderr
    assert len(PdfReader(output).pages) > 1
    assert "Dijon Métropole" in PdfReader(output).pages[0].extract_text()
    wrong = subprocess.run(
        [*command, "--perimetre", "element:ZZ"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert wrong.returncode == 2
    assert "Aucun élément de premier niveau de code « ZZ »" in wrong.stderr
    listed = subprocess.run(
        [*command, "--liste"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert "contrat:CRTE-2021\t" in listed.stdout
    assert listed.stdout.startswith("plan\tTout le plan")


def test_a_contract_without_funding_lines_gives_an_empty_but_honest_report(app_env):
    data = report.build_report_data(
        find_territory("200053742"), report.ReportScope("contrat", "CAHORS"), TODAY
    )
    assert data.actions.empty
    html = unescape(report.build_report_html(data, with_charts=False))
    assert "Aucune action n'est rattachée à ce périmètre." in html
    assert "Aucune action en retard sur ce périmètre." in html
    assert "les montants sont inconnus, pas nuls" in html
    assert build_report_figures(data) == []


def test_plan_and_funding_pages_offer_the_downloads(app_env):
    from tests.test_pages import run_page

    at = run_page("plan", SIREN, element="P2.A1")
    assert not at.exception
    labels = [button.proto.label for button in at.get("download_button")]
    assert "Rapport de commission (PDF)" in labels
    assert "Exporter tout le plan (Excel)" in labels
    help_text = next(b.proto.help for b in at.get("download_button") if "Rapport" in b.proto.label)
    assert "Périmètre : Pilier P2 — " in help_text


def test_late_actions_table_gives_the_action_column_room(warehouse):
    """The late actions' table laid out by Chromium at the A4 text width (182 mm), as printed:
    the Action column is the widest, no title runs over four lines, codes and dates unbroken."""
    from playwright.sync_api import sync_playwright

    from dashboard.commission_report.printing import CHROMIUM_ARGS, chromium_executable

    data = report.build_report_data(find_territory(SIREN), report.ReportScope(), TODAY)
    html = report.build_report_html(data, with_charts=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(), args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 688, "height": 1000})
            page.emulate_media(media="print")
            page.set_content(html)
            measured = page.evaluate(
                r"""() => {
                const table = document.querySelector('table.late');
                const heads = [...table.querySelectorAll('th')];
                const at = name => heads.findIndex(h => h.classList.contains('col-' + name));
                const cells = i => [...table.querySelectorAll('tbody tr')].map(r => r.cells[i]);
                const lines = td => {
                    const range = document.createRange(); range.selectNodeContents(td);
                    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
                };
                const oneLine = td => {
                    const range = document.createRange(); range.selectNodeContents(td);
                    return range.getClientRects().length <= 1;
                };
                // Every word of a cell fits its column: none cut in the middle to make it fit.
                const canvas = document.createElement('canvas').getContext('2d');
                const wordsFit = td => {
                    const style = getComputedStyle(td);
                    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
                    const room = td.clientWidth - parseFloat(style.paddingLeft)
                        - parseFloat(style.paddingRight);
                    return td.textContent.split(/\s+/).every(
                        word => canvas.measureText(word).width <= room + 0.5);
                };
                return {
                    services: cells(at('pilot_service')).every(wordsFit),
                    service_texts: cells(at('pilot_service')).map(td => td.textContent),
                    share: heads[at('title')].offsetWidth / table.offsetWidth,
                    widest: Math.max(...heads.map(h => h.offsetWidth))
                        === heads[at('title')].offsetWidth,
                    lines: cells(at('title')).map(lines),
                    codes: cells(at('code')).every(oneLine),
                    dates: cells(at('planned_end')).every(oneLine),
                    rows: cells(0).length,
                };
            }"""
            )
        finally:
            browser.close()
    assert measured["rows"] == len(data.late) > 0
    assert measured["share"] >= 0.34
    assert measured["widest"]
    # Target four lines; the demo's longest late title (170 characters) still takes five here.
    assert max(measured["lines"]) <= 5, measured["lines"]
    assert measured["codes"]
    assert measured["dates"]
    assert any("développement" in text for text in measured["service_texts"])
    assert measured["services"], measured["service_texts"]


def test_footer_prints_the_whole_source_on_every_page(app_env):
    """Hauts-de-France's source is the longest of the demo (91 characters): never cut."""
    territory = find_territory("200053742")
    assert len(territory.source_document) > 80
    pdf = report.build_report_pdf(territory, "plan", TODAY)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert squeeze(f"source : {territory.source_document}") in squeeze(text), number
        assert squeeze(f"Page {number} / {len(pages)}") in squeeze(text), number
