"""Diaporama de commission (PowerPoint): the PDF report's scopes as an editable deck.

One slide per commission screen of the scope (cover, synthèse, one per first-level item and per
contract of a whole-plan deck, funding, spending, late actions, changes, funding table), with
native PowerPoint charts (editable data, not pictures) and tables cut to fit a slide. Every
slide carries the territory, the scope, the date of the data, the source document and, when its
rows hold invented values, a « données de démonstration » mark.

The layout comes from a template (`templates/commission.pptx`, made by
`tools/make_deck_template.py`): a collectivité replaces it with its own master (logo, colours)
keeping the layout names « Couverture » and « Titre seul »."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.lang import MSO_LANGUAGE_ID
from pptx.util import Inches, Pt

from dashboard.formats import upstream as up
from dashboard.formats.deck_layout import (  # noqa: F401 (re-exported)
    CHANGE_COLUMNS,
    DEMO_MARK,
    DEMO_RED,
    EUROS_FORMAT,
    FUNDING_COLUMNS,
    GREY,
    ITEM_KPIS,
    LATE_COLUMNS,
    LAYOUTS,
    NAVY,
    NOT_GIVEN,
    PPTX_MIME,
    SOURCED_MARK,
    TABLE_ROWS,
    TEMPLATE,
    TEXT_LIMIT,
    TITLE_LIMIT,
    Deck,
    _chart,
    _chart_box,
    _footer,
    _kpi_grid,
    _layout,
    _status_chart,
    _table,
    _text,
    _titled_slide,
    build_kpi_values,
    format_cell,
    open_template,
    template_path,
)


def add_cover(deck: Deck) -> None:
    data = deck.data
    slide = deck.presentation.slides.add_slide(_layout(deck.presentation, "cover"))
    title = f"Bilan — {data.territory.name}"
    if slide.shapes.title is not None:
        slide.shapes.title.text = title
        slide.shapes.title.text_frame.paragraphs[0].font.color.rgb = NAVY
        slide.shapes.title.text_frame.paragraphs[0].font.size = Pt(36 if len(title) < 60 else 28)
    lines = [
        data.scope_label,
        f"SIREN {data.territory.siren} — {len(data.actions)} actions",
        f"Données au {deck.built} — présenté le {up.format_date(data.today)}",
    ]
    placeholders = [p for p in slide.placeholders if p.placeholder_format.idx == 1]
    if placeholders:
        placeholders[0].text = "\n".join(lines)
        for paragraph in placeholders[0].text_frame.paragraphs:
            paragraph.font.size = Pt(18)
    else:
        _text(slide, Inches(1), Inches(4.2), Inches(11), Inches(1.5), "\n".join(lines), 20)
    _footer(deck, slide, bool(data.actions["is_demo"].any()))


def add_summary(deck: Deck) -> None:
    data = deck.data
    slide = _titled_slide(deck, "Synthèse", bool(data.actions["is_demo"].any()))
    width = deck.presentation.slide_width - Inches(0.8)
    _text(
        slide,
        Inches(0.4),
        Inches(1.3),
        width,
        Inches(1.0),
        up.texts.build_overview_summary(data.kpis),
        16,
        name="summary",
    )
    _kpi_grid(deck, slide, build_kpi_values(data.kpis), Inches(2.5))


def add_status(deck: Deck) -> None:
    data = deck.data
    depth = 2 if data.scope.kind == "element" else 1
    status = up.build_status_by_group(data.actions, data.items, depth)
    if status.empty:
        return
    level = status["level"].iloc[0]
    slide = _titled_slide(
        deck, f"Avancement des actions par {level}", bool(data.actions["is_demo"].any())
    )
    _status_chart(deck, slide, status, _chart_box(deck))


def add_item_slides(deck: Deck) -> None:
    """Whole-plan deck: the commission's screen of each first-level item."""
    data = deck.data
    roots = data.items[data.items["depth"] == 1].sort_values("sort_order")
    for root in roots.itertuples():
        scoped = data.actions[data.actions["root_item_id"] == root.item_id]
        funding = data.funding[data.funding["action_id"].isin(set(scoped["action_id"]))]
        kpis = dict(build_kpi_values(up.build_scope_kpis(scoped, funding)))
        demo = bool(scoped["is_demo"].any())
        slide = _titled_slide(deck, f"{root.level.capitalize()} {root.code} — {root.title}", demo)
        _kpi_grid(deck, slide, [(label, kpis[label]) for label in ITEM_KPIS], Inches(1.3))
        status = up.build_status_by_group(scoped, data.items, 2)
        if not status.empty:
            _status_chart(deck, slide, status, _chart_box(deck, top=Inches(3.7)))


def add_contract_slides(deck: Deck) -> None:
    """Whole-plan deck: one slide per contract (envelope, stages, lines by funder)."""
    data = deck.data
    contracts = up.queries.load_funding_by_contract(data.territory.territory_id)
    for row in contracts[contracts["code"].notna()].itertuples():
        lines = data.funding[data.funding["contract_code"] == row.code]
        demo = bool(lines["is_demo"].any()) or bool(row.contract_is_demo)
        slide = _titled_slide(deck, f"Contrat — {row.contract}", demo)
        use = None if pd.isna(row.envelope_use) else 100 * row.envelope_use
        known = not (pd.isna(row.start_date) and pd.isna(row.end_date))
        period = f"{up.format_date(row.start_date)} – {up.format_date(row.end_date)}"
        period = period if known else NOT_GIVEN
        items = [
            ("Type", str(row.contract_type)),
            ("Période", period),
            ("Enveloppe", up.format_euros(row.envelope)),
            ("Actions financées", up.format_number(row.n_actions)),
            ("Demandé", up.format_euros(row.requested)),
            ("Accordé", up.format_euros(row.granted)),
            ("Versé", up.format_euros(row.received)),
            ("Consommation de l'enveloppe", up.format_percent(use)),
        ]
        _kpi_grid(deck, slide, items, Inches(1.3))
        totals = up.build_funder_totals(lines)
        if totals[["requested", "granted", "received"]].notna().any().any():
            _funder_chart(slide, totals, _chart_box(deck, top=Inches(3.7)))
        else:
            note = (
                "Aucune ligne de financement rattachée à ce contrat."
                if lines.empty
                else "Montants non renseignés pour les lignes de ce contrat."
            )
            _text(slide, Inches(0.4), Inches(3.9), Inches(10), Inches(0.5), note, 16, name="note")


def _funder_chart(slide, totals: pd.DataFrame, box: tuple) -> None:
    stages = {"Demandé": "requested", "Accordé": "granted", "Versé": "received"}
    series = {label: list(totals[column]) for label, column in stages.items()}
    _chart(
        slide,
        XL_CHART_TYPE.COLUMN_CLUSTERED,
        list(totals["funder_type"]),
        series,
        up.STAGE_COLORS,
        box,
        "chart:funders",
        EUROS_FORMAT,
    )


def add_funding_chart(deck: Deck) -> None:
    funding = deck.data.funding
    if funding.empty:
        return
    slide = _titled_slide(
        deck, "Financements par type de financeur", bool(funding["is_demo"].any())
    )
    _funder_chart(slide, up.build_funder_totals(funding), _chart_box(deck))


def build_spending_by_year(budget: pd.DataFrame) -> pd.DataFrame:
    """Spending lines (« Dépense ») summed per year: planned, committed, paid."""
    spending = budget[budget["direction"] == "Dépense"]
    return (
        spending.groupby("year", as_index=False)[["planned", "committed", "paid"]]
        .sum(min_count=1)
        .sort_values("year")
    )


def add_spending_chart(deck: Deck) -> None:
    budget = deck.data.budget
    years = build_spending_by_year(budget)
    if years.empty:
        return
    slide = _titled_slide(deck, "Dépenses par année", bool(budget["is_demo"].any()))
    stages = {"Prévu": "planned", "Engagé": "committed", "Payé": "paid"}
    series = {label: list(years[column]) for label, column in stages.items()}
    colours = {"Prévu": "#b0bec5", "Engagé": "#1e88e5", "Payé": "#0d47a1"}
    _chart(
        slide,
        XL_CHART_TYPE.COLUMN_CLUSTERED,
        [str(int(y)) for y in years["year"]],
        series,
        colours,
        _chart_box(deck),
        "chart:years",
        EUROS_FORMAT,
    )


def add_table_slides(
    deck: Deck, title: str, frame: pd.DataFrame, spec, name: str, note: str | None = None
) -> None:
    """`frame` over as many slides as it needs, TABLE_ROWS rows each, « (suite) » after the
    first; each slide's provenance mark follows its own rows."""
    pages = max(1, -(-len(frame) // TABLE_ROWS))
    width = deck.presentation.slide_width - Inches(0.8)
    for page in range(pages):
        chunk = frame.iloc[page * TABLE_ROWS : (page + 1) * TABLE_ROWS]
        demo = bool(chunk["is_demo"].any()) if "is_demo" in chunk else False
        heading = title if page == 0 else f"{title} (suite {page + 1} / {pages})"
        slide = _titled_slide(deck, heading, demo)
        top = Inches(1.3)
        if note and page == 0:
            _text(slide, Inches(0.4), top, width, Inches(0.5), note, 14, name="note")
            top = Inches(1.85)
        if chunk.empty:
            continue
        _table(slide, chunk, spec, top, width, f"table:{name}:{page + 1}")


def add_late(deck: Deck) -> None:
    late = deck.data.late.sort_values("days_late", ascending=False)
    note = None if not late.empty else "Aucune action en retard."
    add_table_slides(deck, f"Actions en retard ({len(late)})", late, LATE_COLUMNS, "late", note)


def add_changes(deck: Deck) -> None:
    found = deck.data.changes
    if found is None:
        return
    counts = [(label, n) for label, n in up.changes.count_changes(found) if n]
    note = " · ".join(f"{label} : {up.format_number(n)}" for label, n in counts) or (
        "Aucun changement sur ce périmètre."
    )
    note = f"Depuis : {deck.data.changes_since}. {note}"
    notable = up.notable_changes(found, limit=len(found))
    # A change is as demo as the action it is about (snapshot rows carry no flag of their own).
    demo = dict(zip(deck.data.actions["action_id"], deck.data.actions["is_demo"], strict=True))
    notable = notable.assign(is_demo=notable["action_id"].map(demo).fillna(False).astype(bool))
    title = "Changements depuis le point d'étape précédent"
    add_table_slides(deck, title, notable, CHANGE_COLUMNS, "changes", note)


def add_funding_table(deck: Deck) -> None:
    table = up.build_funding_table(deck.data.funding)
    if table.empty:
        return
    add_table_slides(
        deck, "Financements par contrat et financeur", table, FUNDING_COLUMNS, "funding"
    )


def text_frames(shapes) -> Iterator:
    """Every text frame of `shapes`: text boxes, placeholders and table cells."""
    for shape in shapes:
        if shape.has_text_frame:
            yield shape.text_frame
        if getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                for cell in row.cells:
                    yield cell.text_frame


def set_french(presentation: Presentation) -> None:
    """Every run of every slide in French, so that PowerPoint checks the spelling in French."""
    for slide in presentation.slides:
        for frame in text_frames(slide.shapes):
            for paragraph in frame.paragraphs:
                for run in paragraph.runs:
                    run.font.language_id = MSO_LANGUAGE_ID.FRENCH


def build_deck_from_data(data: up.ReportData, template: Path | None = None) -> bytes:
    """The deck of already-loaded report data, as .pptx bytes."""
    presentation = open_template(template)
    built = up.format_date(data.built_at) if data.built_at is not None else "—"
    deck = Deck(presentation, data, built)
    add_cover(deck)
    add_summary(deck)
    add_status(deck)
    if data.scope.kind == "plan":
        add_item_slides(deck)
        add_contract_slides(deck)
    add_funding_chart(deck)
    add_spending_chart(deck)
    add_late(deck)
    add_changes(deck)
    add_funding_table(deck)
    set_french(presentation)
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


def build_deck(
    territory_key: str,
    scope: up.ReportScope | str = "plan",
    today: dt.date | None = None,
    template: Path | None = None,
) -> bytes:
    """Diaporama de commission of a territory (SIREN or id) and scope, as .pptx bytes."""
    scope = up.ReportScope.parse(scope) if isinstance(scope, str) else scope
    return build_deck_from_data(up.build_report_data(territory_key, scope, today), template)


def deck_filename(territory: up.Territory, scope: up.ReportScope, today: dt.date) -> str:
    parts = ["diaporama", territory.territory_id, scope.kind]
    if scope.code:
        parts.append("".join(c if c.isalnum() or c in "-." else "-" for c in scope.code))
    return "_".join([*parts, today.isoformat()]) + ".pptx"
