"""The commission deck's slide layout: template, text boxes, footers, tables, native charts
and the KPI grid (python-pptx; no Streamlit). dashboard/formats/deck.py adds the slides."""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
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
