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
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.lang import MSO_LANGUAGE_ID
from pptx.enum.text import PP_ALIGN
from pptx.exc import PackageNotFoundError
from pptx.util import Emu, Inches, Pt

from dashboard.formats import upstream as up
from dashboard.formats.common import FormatError

TEMPLATE = Path(__file__).parent / "templates" / "commission.pptx"
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
TABLE_ROWS = 8  # body rows per table slide: readable from the back of a room, two lines each
TEXT_LIMIT = 62  # characters of a title in a table cell before « … »
TITLE_LIMIT = 110  # characters of a slide title
DEMO_MARK = "Données de démonstration"
SOURCED_MARK = "Données sourcées"
NOT_GIVEN = "non renseigné"
NAVY = RGBColor(0x0B, 0x1F, 0x4D)
DEMO_RED = RGBColor(0xC6, 0x28, 0x28)
GREY = RGBColor(0x44, 0x44, 0x44)
LAYOUTS = {"cover": ("Couverture", 0), "title": ("Titre seul", 5)}
EUROS_FORMAT = '#,##0" €"'

# The commission screens' and the report's own columns, so the deck says what they say.
LATE_COLUMNS = [*up.COMMISSION_LATE_COLUMNS, ("is_demo", "Données", "demo")]
FUNDING_COLUMNS = up.REPORT_FUNDING_COLUMNS
CHANGE_COLUMNS = up.CHANGE_COLUMNS
ITEM_KPIS = up.SCREEN_KPIS


@dataclass
class Deck:
    """The presentation being built and what every slide repeats."""

    presentation: Presentation
    data: up.ReportData
    built: str
    slides: list = field(default_factory=list)


def format_cell(value: object, kind: str) -> str:
    """French text of one table cell: `1 234 567 €`, `23/03/2026`, « démo »."""
    if kind == "demo":
        return "démo" if bool(value) and not pd.isna(value) else ""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—" if kind != "text" else ""
    if kind == "euros":
        return up.format_euros(value)
    if kind == "number":
        return up.format_number(value)
    if kind == "date":
        return up.format_date(value)
    text = str(value)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1].rstrip() + "…"


def build_kpi_values(kpis: pd.Series) -> list[tuple[str, str]]:
    """The report's KPI grid with full euro amounts (a deck is read up close and edited)."""
    items = up.build_kpi_items(kpis, True)
    money = {
        "Dépenses prévues": "budget_planned",
        "Dépenses engagées": "budget_committed",
        "Dépenses payées": "budget_paid",
        "Financements accordés": "funding_granted",
    }
    return [
        (label, up.format_euros(kpis[money[label]]) if label in money else value)
        for label, value in items
    ]


def _layout(presentation: Presentation, kind: str):
    name, index = LAYOUTS[kind]
    layouts = list(presentation.slide_layouts)
    for layout in layouts:
        if layout.name == name:
            return layout
    if index < len(layouts):
        return layouts[index]
    titled = [
        lay for lay in layouts if any(p.placeholder_format.type == 1 for p in lay.placeholders)
    ]
    return (titled or layouts)[0]


def template_path(template: Path | None = None) -> Path:
    """The template asked for, else PILOTAGE_DECK_TEMPLATE (the collectivité's), else ours."""
    if template is not None:
        return template
    configured = os.environ.get("PILOTAGE_DECK_TEMPLATE")
    return Path(configured) if configured else TEMPLATE


def open_template(template: Path | None = None) -> Presentation:
    path = template_path(template)
    try:
        presentation = Presentation(str(path))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, PackageNotFoundError) as error:
        raise FormatError(
            f"Modèle de diaporama {path} illisible : ce n'est pas une présentation PowerPoint "
            "(.pptx)."
        ) from error
    if not len(presentation.slide_layouts):
        raise FormatError(f"Modèle de diaporama {path} sans mise en page.")
    return presentation


def _text(slide, left, top, width, height, text: str, size: int, **style):
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    paragraph = frame.paragraphs[0]
    paragraph.text = text
    paragraph.font.size = Pt(size)
    paragraph.font.bold = style.get("bold", False)
    paragraph.font.color.rgb = style.get("color", GREY)
    if style.get("align"):
        paragraph.alignment = style["align"]
    box.name = style.get("name", box.name)
    return box


def _footer(deck: Deck, slide, demo: bool) -> None:
    """Territory, scope, date of the data, source; the provenance mark when rows are demo."""
    data = deck.data
    presentation = deck.presentation
    width, height = presentation.slide_width, presentation.slide_height
    source = data.territory.source_document or "non renseignée"
    scope = data.scope_label if len(data.scope_label) <= 60 else data.scope_label[:59] + "…"
    line = f"{data.territory.name} — {scope} — données au {deck.built} — source : {source}"
    _text(
        slide,
        Inches(0.4),
        height - Inches(0.5),
        width - Inches(2),
        Inches(0.4),
        line,
        10,
        name="footer",
    )
    number = len(presentation.slides)
    _text(
        slide,
        width - Inches(1.5),
        height - Inches(0.5),
        Inches(1.1),
        Inches(0.4),
        str(number),
        10,
        align=PP_ALIGN.RIGHT,
        name="slide-number",
    )
    mark = DEMO_MARK if demo else SOURCED_MARK
    box = _text(
        slide,
        width - Inches(4.2),
        Inches(0.85),
        Inches(3.8),
        Inches(0.35),
        mark,
        11,
        bold=demo,
        color=DEMO_RED if demo else GREY,
        align=PP_ALIGN.RIGHT,
        name="provenance",
    )
    if demo:
        box.line.color.rgb = DEMO_RED


def _titled_slide(deck: Deck, title: str, demo: bool):
    slide = deck.presentation.slides.add_slide(_layout(deck.presentation, "title"))
    if slide.shapes.title is not None:
        if len(title) > TITLE_LIMIT:
            title = title[: TITLE_LIMIT - 1].rstrip() + "…"
        slide.shapes.title.text = title
        frame = slide.shapes.title.text_frame
        size = 30 if len(title) <= 45 else 24 if len(title) <= 75 else 20
        for paragraph in frame.paragraphs:
            paragraph.font.size = Pt(size)
            paragraph.font.bold = True
            paragraph.alignment = PP_ALIGN.LEFT
        shape = slide.shapes.title
        shape.left, shape.top = Inches(0.4), Inches(0.25)
        shape.width = deck.presentation.slide_width - Inches(2.4)
        shape.height = Inches(0.9)
    _footer(deck, slide, demo)
    return slide


def _table(slide, frame: pd.DataFrame, spec, top, width, name: str, left=None) -> None:
    """A native table: header in the theme's colour, French values, no wider than the slide."""
    rows, cols = len(frame) + 1, len(spec)
    height = Inches(0.4) * rows
    shape = slide.shapes.add_table(rows, cols, left or Inches(0.4), top, width, height)
    shape.name = name
    table = shape.table
    wide = ("title", "funder", "contract", "change")
    medium = ("pilot_service", "before", "after")
    weights = [3 if c in wide else 1.8 if k == "euros" or c in medium else 1.2 for c, _, k in spec]
    for index, weight in enumerate(weights):
        table.columns[index].width = Emu(int(width * weight / sum(weights)))
    for col, (_, label, _) in enumerate(spec):
        cell = table.cell(0, col)
        cell.text = label
        cell.text_frame.paragraphs[0].font.size = Pt(13)
        cell.text_frame.paragraphs[0].font.bold = True
    for row, record in enumerate(frame.itertuples(index=False), start=1):
        values = record._asdict()
        for col, (column, _, kind) in enumerate(spec):
            cell = table.cell(row, col)
            cell.text = format_cell(values[column], kind)
            paragraph = cell.text_frame.paragraphs[0]
            paragraph.font.size = Pt(12)
            if kind in ("euros", "number"):
                paragraph.alignment = PP_ALIGN.RIGHT


def _chart(
    slide,
    kind,
    categories: list[str],
    series: dict[str, list],
    colours: dict,
    box: tuple,
    name: str,
    number_format: str = "0",
) -> None:
    chart_data = CategoryChartData(number_format=number_format)
    chart_data.categories = categories
    for label, values in series.items():
        chart_data.add_series(label, [None if pd.isna(v) else float(v) for v in values])
    graphic = slide.shapes.add_chart(kind, *box, chart_data)
    graphic.name = name
    chart = graphic.chart
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.legend.font.size = Pt(12)
    chart.category_axis.tick_labels.font.size = Pt(11)
    chart.value_axis.tick_labels.font.size = Pt(11)
    chart.value_axis.tick_labels.number_format = number_format
    chart.value_axis.tick_labels.number_format_is_linked = False
    for plot in chart.plots:
        for serie in plot.series:
            colour = colours.get(serie.name)
            if colour:
                serie.format.fill.solid()
                serie.format.fill.fore_color.rgb = RGBColor.from_string(colour.lstrip("#"))


CHART_TOP, CHART_BOTTOM = Inches(1.35), Inches(0.65)


def _chart_box(deck: Deck, top: int = CHART_TOP, bottom: int = CHART_BOTTOM) -> tuple:
    width, height = deck.presentation.slide_width, deck.presentation.slide_height
    return Inches(0.4), top, width - Inches(0.8), height - top - bottom


def _status_chart(deck: Deck, slide, status: pd.DataFrame, box: tuple) -> None:
    """Actions per plan item and status, stacked (the pages' status chart, editable)."""
    groups = status.drop_duplicates("item_id")
    labels = [format_cell(f"{r.code} — {r.title}", "text")[:60] for r in groups.itertuples()]
    series = {}
    for name in up.STATUS_ORDER:
        counts = status[status["status"] == name].set_index("item_id")["n_actions"]
        if not counts.empty:
            series[name] = [counts.get(item, 0) for item in groups["item_id"]]
    _chart(slide, XL_CHART_TYPE.BAR_STACKED, labels, series, up.STATUS_COLORS, box, "chart:status")
    # Plan order top to bottom, as on the pages.
    slide.shapes[-1].chart.category_axis.reverse_order = True


def _kpi_grid(deck: Deck, slide, items: list[tuple[str, str]], top, columns: int = 4) -> None:
    """Label above value, `columns` per row, as a native table (editable, read by the tests)."""
    width = deck.presentation.slide_width - Inches(0.8)
    rows = -(-len(items) // columns)
    shape = slide.shapes.add_table(rows * 2, columns, Inches(0.4), top, width, Inches(0.55) * rows)
    shape.name = "table:kpis"
    table = shape.table
    for index, (label, value) in enumerate(items):
        value = NOT_GIVEN if value == "—" else value  # the source does not give it
        row, col = divmod(index, columns)
        big = 24 if len(value) <= 12 else 18  # `1 975 345 369 €` on one line
        for offset, text, size, bold in ((0, label, 13, False), (1, value, big, True)):
            cell = table.cell(row * 2 + offset, col)
            cell.text = text
            paragraph = cell.text_frame.paragraphs[0]
            paragraph.font.size = Pt(size)
            paragraph.font.bold = bold
            paragraph.alignment = PP_ALIGN.CENTER


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
    title = "Changements depuis l'instantané précédent"
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
