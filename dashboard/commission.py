"""The commission (projector) mode's agenda and screens: pure pandas, no Streamlit.

A meeting's agenda is a list of topics (the synthesis, a first-level plan item, a contract, the
changes since the last milestone), kept in the URL as tokens (`synthese`, `element:P1`,
`contrat:CRTE-2021`, `changements`). Each topic is a column of blocks (a sentence, KPIs, a chart
whose bars are rows, a table); `build_screens` flows them onto 1920×1080 screens, a long list
continuing on screens titled « … (suite) ». A new kind of topic is one entry of SCREEN_KINDS
here and one renderer in dashboard/ui/commission.py."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from dashboard import changes, charts, kpis, summaries, tables
from dashboard.formatting import format_compact_euros, format_date, format_number, format_percent

# --- What a projector holds (CSS px at 1920×1080, templates/commission/projector.css) --------
SCREEN_HEIGHT = 1080
SAFETY = 30  # what the estimates may miss (rounding, a font a little wider)
BLOCK_GAP = 16  # Streamlit's gap between two elements
NAV_HEIGHT = 98  # the page's top padding and the navigation row, with its gap
TITLE_LINE, TITLE_CHARS = 48, 90  # h1: 2.5rem bold (about 105 characters a line)
CAPTION_HEIGHT = 32  # « territoire — données au … — écran i / n »
NOTICE_CHARS = 160  # the provenance notice, a second caption
TEXT_LINE, TEXT_CHARS = 38, 140  # body text: 1.5rem
GLANCE_LINES = 7  # an item's météo and its two latest comments
KPI_ROW = 176  # one row of st.metric boxes (labels on up to two lines), with its gap
KPI_COLUMNS = 8  # at most, in one row
HEADING = 50  # h3 above a table, with its gap
TABLE_WIDTH = 1860  # px of a table on screen
CELL_CHAR = 9.5  # px of an average character in a table cell (1.3rem)
CELL_PADDING = 26  # px left and right of a cell's text
TABLE_HEADER_LINE, ROW_LINE, ROW_PADDING = 30, 30, 14
CHART_CHROME = 150  # legend, axis title and ticks, margins
BAR_BASE, BAR_LINE, BAR_MIN = 14, 26, 48  # one bar: base height, each line of its label
CHART_MIN_SCALE = 0.75  # a chart may be drawn this much shorter to stay on its screen
MIN_SPLIT_ROWS = 3  # a list split over screens leaves at least this many rows on the first

LATE_LIMIT = 30  # the most late actions listed for one item
CHANGES_LIMIT = 15  # notable changes listed
DEFAULT_CONTRACTS = 6  # contracts in the default agenda (those with most money)

# Tables of the projector: (column, label, kind) as in dashboard.tables, and each column's width.
LATE_TABLE = (
    tables.COMMISSION_LATE_COLUMNS,
    {"code": 9, "title": 43, "status": 13, "planned_end": 11, "days_late": 9, "pilot_service": 15},
)
LINES_TABLE = (
    tables.COMMISSION_CONTRACT_COLUMNS,
    {
        "code": 8,
        "title": 36,
        "funder": 15,
        "requested": 11,
        "granted": 11,
        "received": 11,
        "is_demo": 8,
        "provenance": 8,
    },
)
CHANGES_TABLE = (
    tables.CHANGE_COLUMNS,
    {"code": 9, "title": 37, "change": 18, "before": 18, "after": 18},
)


@dataclass(frozen=True)
class Topic:
    """One point of a meeting's agenda."""

    kind: str
    key: str | None
    title: str

    @property
    def token(self) -> str:
        """How the topic is written in the URL (`?ordre=`)."""
        return self.kind if self.key is None else f"{self.kind}:{self.key}"


@dataclass(frozen=True)
class Block:
    """A piece of a topic: fixed (`rows` empty, `height` px) or a list of rows (px each) shown
    with `chrome` px around them (heading, header, legend) on every screen it reaches."""

    name: str
    height: int = 0
    rows: tuple[int, ...] = ()
    chrome: int = 0
    keep_together: bool = False  # a chart: rather on the next screen whole than cut


@dataclass(frozen=True)
class Piece:
    """The rows [start, stop) of block `name` on one screen (0, 0 for a fixed block), drawn at
    `scale` of their height (a chart squeezed to stay on the screen)."""

    name: str
    start: int = 0
    stop: int = 0
    scale: float = 1.0


@dataclass(frozen=True)
class Screen:
    """One projected screen: a topic's first screen (part 0) or one of its « (suite) »."""

    topic: Topic
    part: int = 0
    pieces: tuple[Piece, ...] = ()

    @property
    def kind(self) -> str:
        return self.topic.kind

    @property
    def key(self) -> str | None:
        return self.topic.key

    @property
    def title(self) -> str:
        return self.topic.title + (" (suite)" if self.part else "")

    def piece(self, name: str) -> Piece | None:
        return next((p for p in self.pieces if p.name == name), None)


@dataclass
class CommissionData:
    """What the commission screens of one territory show (loaded by dashboard.ui.commission)."""

    items: pd.DataFrame
    actions: pd.DataFrame
    contracts: pd.DataFrame  # queries.load_funding_by_contract
    funding: pd.DataFrame  # queries.load_funding_lines
    has_money: bool = True
    previous: pd.Series | None = None  # the previous snapshot, None when there is only one
    changes: pd.DataFrame | None = None  # changes since `previous`
    provenance_notice: str | None = None
    cache: dict = field(default_factory=dict)

    def memo(self, key: tuple, build: Callable[[], object]) -> object:
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]


@dataclass(frozen=True)
class ScreenKind:
    """A kind of agenda topic: its French name, the topics a territory offers, which of them
    the default agenda takes, and the blocks of one topic."""

    label: str
    topics: Callable[[CommissionData], list[Topic]]
    default: Callable[[CommissionData, list[Topic]], list[Topic]]
    blocks: Callable[[CommissionData, Topic], list[Block]]


# --- Heights -----------------------------------------------------------------------------------
def text_lines(text: str, chars: int) -> int:
    """Lines `text` takes when wrapped at `chars` characters."""
    return max(1, len(textwrap.wrap(str(text), max(chars, 4)) or [""]))


def header_height(title: str, notice: str | None) -> int:
    """Navigation, title, caption and provenance notice, above every screen's body."""
    height = NAV_HEIGHT + TITLE_LINE * text_lines(title, TITLE_CHARS) + 8
    height += CAPTION_HEIGHT + BLOCK_GAP
    if notice:
        height += CAPTION_HEIGHT * text_lines(notice, NOTICE_CHARS) + BLOCK_GAP
    return height


def kpi_columns(n_values: int) -> int:
    """Columns of a row of KPIs: all of them in one row, up to KPI_COLUMNS."""
    return max(1, min(n_values, KPI_COLUMNS))


def kpi_height(n_values: int) -> int:
    return KPI_ROW * math.ceil(n_values / kpi_columns(n_values))


def text_height(text: str) -> int:
    return TEXT_LINE * text_lines(text, TEXT_CHARS) + BLOCK_GAP


def column_chars(width_percent: int) -> int:
    return int((TABLE_WIDTH * width_percent / 100 - CELL_PADDING) / CELL_CHAR)


def table_block(name: str, frame: pd.DataFrame, table: tuple) -> Block:
    """A table as a list block: each row as tall as its most wrapped cell."""
    spec, widths = table
    shown = tables.to_display(frame, spec)
    labels = {label: column for column, label, _ in tables.with_provenance(frame, spec)}
    chars = {label: column_chars(widths.get(labels[label], 10)) for label in shown.columns}
    head_lines = max(text_lines(label, chars[label]) for label in shown.columns)
    rows = tuple(
        ROW_PADDING
        + ROW_LINE * max(text_lines(v, chars[c]) for c, v in zip(shown.columns, r, strict=True))
        for r in shown.itertuples(index=False)
    )
    chrome = HEADING + ROW_PADDING + TABLE_HEADER_LINE * head_lines + BLOCK_GAP
    return Block(name, rows=rows, chrome=chrome)


def chart_rows(status: pd.DataFrame) -> list[str]:
    """The items a status chart draws, top to bottom (charts.build_status_by_root_figure)."""
    return list(charts.sort_roots(status)["item_id"]) if not status.empty else []


def chart_block(name: str, status: pd.DataFrame) -> Block:
    """A status chart as a list block: one row per bar, as tall as its wrapped label."""
    order = charts.sort_roots(status) if not status.empty else status
    rows = tuple(
        max(BAR_MIN, BAR_BASE + BAR_LINE * (charts.wrap_label(title).count("<br>") + 1))
        for title in order.get("title", [])
    )
    if not rows:
        return Block(name)
    return Block(name, rows=rows, chrome=CHART_CHROME + BLOCK_GAP, keep_together=True)


def chart_height(block_rows: tuple[int, ...], piece: Piece) -> int:
    """The px height a chart of the bars of `piece` must be drawn at."""
    return CHART_CHROME + int(sum(block_rows[piece.start : piece.stop]) * piece.scale)


# --- Flowing blocks onto screens ------------------------------------------------------------
def paginate(blocks: list[Block], first_room: int, room: int) -> list[tuple[Piece, ...]]:
    """Blocks in order onto screens of `first_room` then `room` px. A chart that does not fit
    what is left of a screen is drawn shorter (down to CHART_MIN_SCALE) or, if it fits a whole
    screen and less than half of this one is left, starts the next one; else it is split like a
    list. A list is split between rows (at least MIN_SPLIT_ROWS on the screen it starts), its
    chrome repeated; a row taller than a whole screen gets a screen alone."""
    screens: list[list[Piece]] = [[]]
    free = first_room

    def new_screen() -> int:
        screens.append([])
        return room

    for block in blocks:
        if not block.rows:
            if block.height > free and screens[-1]:
                free = new_screen()
            screens[-1].append(Piece(block.name))
            free -= block.height
            continue
        whole = block.chrome + sum(block.rows)
        if block.keep_together and screens[-1] and whole > free:
            if block.chrome + sum(block.rows) * CHART_MIN_SCALE <= free:
                scale = (free - block.chrome) / sum(block.rows)
                screens[-1].append(Piece(block.name, 0, len(block.rows), scale))
                free = 0
                continue
            if whole <= room and free < room / 2:  # else split: better than a screen half empty
                free = new_screen()
        start = 0
        while start < len(block.rows):
            stop, used = start, block.chrome
            while stop < len(block.rows) and used + block.rows[stop] <= free:
                used += block.rows[stop]
                stop += 1
            if stop - start < min(MIN_SPLIT_ROWS, len(block.rows) - start):
                if screens[-1]:
                    free = new_screen()
                    continue
                stop, used = start + 1, block.chrome + block.rows[start]
            screens[-1].append(Piece(block.name, start, stop))
            free -= used
            start = stop
            if start < len(block.rows):
                free = new_screen()
    return [tuple(pieces) for pieces in screens]


def topic_screens(data: CommissionData, topic: Topic) -> list[Screen]:
    """The screens of one topic: its first, then as many « (suite) » as its lists need."""
    blocks = SCREEN_KINDS[topic.kind].blocks(data, topic)
    room = SCREEN_HEIGHT - SAFETY
    first = room - header_height(topic.title, data.provenance_notice)
    later = room - header_height(topic.title + " (suite)", data.provenance_notice)
    pages = paginate(blocks, first, later)
    return [Screen(topic, part, pieces) for part, pieces in enumerate(pages)]


def build_screens(data: CommissionData, agenda: list[Topic]) -> list[Screen]:
    """Every screen of the agenda, in its order."""
    return [screen for topic in agenda for screen in topic_screens(data, topic)]


# --- The agenda --------------------------------------------------------------------------------
def available_topics(data: CommissionData) -> list[Topic]:
    """Every topic the territory offers, kind by kind in SCREEN_KINDS order."""
    return [topic for kind in SCREEN_KINDS.values() for topic in kind.topics(data)]


def default_agenda(data: CommissionData) -> list[Topic]:
    """What a meeting looks at unless asked otherwise (kind by kind)."""
    agenda = []
    for kind in SCREEN_KINDS.values():
        agenda += kind.default(data, kind.topics(data))
    return agenda


def parse_agenda(text: str | None, data: CommissionData) -> tuple[list[Topic], list[str]]:
    """The agenda written in the URL (`synthese,element:P1,…`): its topics in that order and the
    tokens that name nothing (to be told). No text, or nothing known: the default agenda."""
    offered = {topic.token: topic for topic in available_topics(data)}
    tokens = [t.strip() for t in (text or "").split(",") if t.strip()]
    chosen = list(dict.fromkeys(offered[t] for t in tokens if t in offered))
    unknown = [t for t in tokens if t not in offered]
    return (chosen or default_agenda(data)), unknown


def format_agenda(agenda: list[Topic]) -> str:
    return ",".join(topic.token for topic in agenda)


# --- Lists a commission discusses ------------------------------------------------------------
def late_actions(actions: pd.DataFrame, limit: int = LATE_LIMIT) -> pd.DataFrame:
    """The most late actions first: what a commission must discuss."""
    late = actions[actions["is_late"].fillna(False).astype(bool)]
    return late.sort_values("days_late", ascending=False).head(limit)


# What a commission discusses first; progress updates are counted but not listed.
NOTABLE_CHANGES = ("finished", "started", "slipped", "new_funding", "added", "removed", "status")


def notable_changes(found: pd.DataFrame, limit: int = 10) -> pd.DataFrame:
    """The first `limit` notable changes, most significant kinds first."""
    rank = {kind: i for i, kind in enumerate(NOTABLE_CHANGES)}
    notable = found[found["kind"].isin(rank)]
    return notable.sort_values("kind", key=lambda kinds: kinds.map(rank), kind="stable").head(limit)


def describe_milestone(snapshot: pd.Series) -> str:
    """A snapshot in an elected official's words: « le point d'étape du 22/09/2026 »."""
    taken = pd.Timestamp(snapshot["taken_at"])
    if snapshot["origin"] == "declared":
        label = f"le point d'étape du {format_date(taken.date())}"
    else:
        label = f"la mise à jour des données du {format_date(taken.date())} à {taken:%H:%M}"
    return label + (" (démo)" if snapshot["is_demo"] else "")


# --- The kinds of topic ----------------------------------------------------------------------
def _all(_data: CommissionData, topics: list[Topic]) -> list[Topic]:
    return topics


def summary_topics(_data: CommissionData) -> list[Topic]:
    return [Topic("synthese", None, "Synthèse")]


def summary_sentence(data: CommissionData) -> str:
    return summaries.build_overview_summary(kpis.build_kpis(data.actions))


def summary_blocks(data: CommissionData, _topic: Topic) -> list[Block]:
    status = kpis.build_status_by_item(data.actions, data.items, depth=1)
    return [
        Block("summary", text_height(summary_sentence(data))),
        Block("kpis", kpi_height(len(kpis.SCREEN_KPIS))),
        chart_block("chart", status),
    ]


def item_topics(data: CommissionData) -> list[Topic]:
    roots = data.items[data.items["depth"] == 1].sort_values("sort_order")
    return [
        Topic("element", row.code, f"{row.level.capitalize()} {row.code} — {row.title}")
        for row in roots.itertuples()
    ]


def item_actions(data: CommissionData, topic: Topic) -> pd.DataFrame:
    roots = data.items[(data.items["depth"] == 1) & (data.items["code"] == topic.key)]
    return data.actions[data.actions["root_item_id"].isin(roots["item_id"])]


def item_status(data: CommissionData, topic: Topic) -> pd.DataFrame:
    return data.memo(
        ("status", topic.token),
        lambda: kpis.build_status_by_item(item_actions(data, topic), data.items, depth=2),
    )


def item_blocks(data: CommissionData, topic: Topic) -> list[Block]:
    late = late_actions(item_actions(data, topic))
    # The météo and two latest comments (dashboard/ui/results.render_commission_glance): a
    # line of météo and up to three lines per comment, at the body's size.
    glance = Block("glance", TEXT_LINE * GLANCE_LINES + 3 * BLOCK_GAP)
    blocks = [glance, Block("kpis", kpi_height(len(kpis.SCREEN_KPIS)))]
    chart = chart_block("chart", item_status(data, topic))
    if late.empty:  # said before the chart, which may go on to another screen
        return [*blocks, Block("no_late", TEXT_LINE + 2 * BLOCK_GAP), chart]
    return [*blocks, chart, table_block("late", late, LATE_TABLE)]


def contract_row(data: CommissionData, topic: Topic) -> pd.Series:
    return data.contracts[data.contracts["code"] == topic.key].iloc[0]


def _contract_figures(row: pd.Series) -> list[tuple[str, object, Callable, str | None]]:
    use = None if pd.isna(row["envelope_use"]) else 100 * row["envelope_use"]
    return [
        ("Enveloppe", row["envelope"], format_compact_euros, None),
        ("Actions financées", row["n_actions"] or None, format_number, None),
        ("Enveloppe consommée", use, format_percent, "Accordé / enveloppe"),
        ("Demandé", row["requested"], format_compact_euros, None),
        ("Accordé", row["granted"], format_compact_euros, None),
        ("Versé", row["received"], format_compact_euros, None),
    ]


def contract_figures(row: pd.Series) -> list[tuple[str, str, str | None]]:
    """(label, value, help) of the contract figures the source gives: none shown as « — »."""
    return [
        (label, build(value), help_)
        for label, value, build, help_ in _contract_figures(row)
        if not pd.isna(value)
    ]


def missing_contract_figures(row: pd.Series) -> list[str]:
    """The contract figures the source does not give, in French (lower case)."""
    return [label.lower() for label, value, _, _ in _contract_figures(row) if pd.isna(value)]


def describe_contract_terms(row: pd.Series) -> str:
    """« CRTE — du 01/01/2021 au 31/12/2026 », saying which dates the source leaves out."""
    kind = row["contract_type"] if isinstance(row["contract_type"], str) else "Contrat"
    start, end = (
        None if pd.isna(row[c]) else format_date(row[c]) for c in ("start_date", "end_date")
    )
    if start and end:
        dates = f"du {start} au {end}"
    elif start:
        dates = f"depuis le {start} (fin non renseignée)"
    elif end:
        dates = f"jusqu'au {end} (début non renseigné)"
    else:
        dates = "dates non renseignées par la source"
    return f"{kind} — {dates}"


def contract_lines(data: CommissionData, topic: Topic) -> pd.DataFrame:
    lines = data.funding[data.funding["contract_code"] == topic.key]
    return lines.rename(columns={"action_code": "code", "action_title": "title"})


def contract_topics(data: CommissionData) -> list[Topic]:
    named = data.contracts[data.contracts["code"].notna()]
    return [Topic("contrat", row.code, f"Contrat — {row.contract}") for row in named.itertuples()]


def contract_money(row: pd.Series) -> float:
    known = [v for v in (row["granted"], row["requested"], row["envelope"]) if not pd.isna(v)]
    return max(known) if known else -1.0


def default_contracts(data: CommissionData, topics: list[Topic]) -> list[Topic]:
    """The contracts with figures, those with most money first, at most DEFAULT_CONTRACTS."""
    with_figures = [t for t in topics if contract_figures(contract_row(data, t))]
    ranked = sorted(with_figures, key=lambda t: -contract_money(contract_row(data, t)))
    return ranked[:DEFAULT_CONTRACTS] if data.has_money else []


def contract_blocks(data: CommissionData, topic: Topic) -> list[Block]:
    row = contract_row(data, topic)
    figures = contract_figures(row)
    blocks = [Block("terms", TEXT_LINE + BLOCK_GAP)]
    if not figures:
        return [*blocks, Block("no_figures", 2 * TEXT_LINE + 2 * BLOCK_GAP)]
    blocks.append(Block("kpis", kpi_height(len(figures))))
    lines = contract_lines(data, topic)
    if lines.empty:
        return [*blocks, Block("no_lines", 2 * TEXT_LINE + 2 * BLOCK_GAP)]
    return [*blocks, table_block("lines", lines, LINES_TABLE)]


def changes_topics(data: CommissionData) -> list[Topic]:
    if data.previous is None:
        return []
    return [
        Topic("changements", None, f"Ce qui a changé depuis {describe_milestone(data.previous)}")
    ]


def changes_notable(data: CommissionData) -> pd.DataFrame:
    return notable_changes(data.changes, limit=CHANGES_LIMIT)


def changes_blocks(data: CommissionData, _topic: Topic) -> list[Block]:
    kinds = [count for _, count in changes.count_changes(data.changes) if count]
    notable = changes_notable(data)
    blocks = [Block("counts", kpi_height(len(kinds)) if kinds else TEXT_LINE + BLOCK_GAP)]
    if notable.empty:
        return blocks
    return [*blocks, table_block("notable", notable, CHANGES_TABLE)]


SCREEN_KINDS: dict[str, ScreenKind] = {
    "synthese": ScreenKind("Synthèse", summary_topics, _all, summary_blocks),
    "element": ScreenKind("Plan", item_topics, _all, item_blocks),
    "contrat": ScreenKind("Contrats", contract_topics, default_contracts, contract_blocks),
    "changements": ScreenKind("Changements", changes_topics, _all, changes_blocks),
}
