"""Rapport de commission: one territory and one scope (whole plan, one first-level plan item or
one contract) as a printable PDF, from the app or the command line.

The report is an HTML page (every loaded string escaped, charts embedded as SVG made by kaleido
from the same plotly figures as the pages) printed by headless Chromium, which numbers the pages
and repeats the source and dates in the footer. No Streamlit server is needed:

    python -m dashboard.report --territoire 200068666 --perimetre element:P1 --sortie rapport.pdf
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import shutil
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from streamlit import logger as streamlit_logger

if __name__ == "__main__":  # CLI: Streamlit's "no runtime" notices are expected, keep cron quiet
    streamlit_logger.set_log_level("error")

from dashboard import changes, charts, queries, tables, texts, watchlist
from dashboard.formatting import (
    DEMO_LABEL,
    STATUS_ORDER,
    escape,
    format_compact_euros,
    format_date,
    format_datetime,
    format_number,
    format_percent,
)

SCOPE_KINDS = {"plan": "Tout le plan", "element": "Premier niveau du plan", "contrat": "Contrat"}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
CHART_WIDTH = 1000  # px, scaled down to the A4 text width
NUMERIC_KINDS = {"euros", "number", "decimal", "percent", "ratio"}
LATE_COLUMNS = [
    c
    for c in tables.ACTION_COLUMNS
    if c[0] in ("code", "title", "status", "progress", "planned_end", "pilot_service")
]
LATE_COLUMNS.insert(4, ("days_late", "Jours de retard", "number"))
LATE_COLUMNS.append(("is_demo", "Données", "demo"))
REPORT_FUNDING_COLUMNS = [
    ("contract", "Contrat", "text"),
    ("funder", "Financeur", "text"),
    ("funder_type", "Type", "text"),
    ("n_actions", "Actions", "number"),
    ("requested", "Demandé (€)", "euros"),
    ("granted", "Accordé (€)", "euros"),
    ("received", "Versé (€)", "euros"),
    ("is_demo", "Données", "demo"),
]


class ReportError(ValueError):
    """A report that cannot be made (unknown territory or scope), with a French message."""


@dataclass(frozen=True)
class ReportScope:
    kind: str = "plan"  # "plan", "element" (code of a first-level item) or "contrat" (code)
    code: str | None = None

    @classmethod
    def parse(cls, text: str) -> ReportScope:
        """'plan', 'element:<code>' or 'contrat:<code>' (the CLI's --perimetre)."""
        kind, _, code = text.strip().partition(":")
        if kind not in SCOPE_KINDS or (kind == "plan") != (not code):
            raise ReportError(
                f"Périmètre « {text} » incompris : écrivez plan, element:<code du premier "
                "niveau> ou contrat:<code du contrat>."
            )
        return cls(kind, code or None)

    def __str__(self) -> str:
        return self.kind if self.code is None else f"{self.kind}:{self.code}"


@dataclass
class ReportData:
    """Everything the report shows, already restricted to its scope."""

    territory: pd.Series
    scope: ReportScope
    scope_label: str
    today: dt.date
    built_at: object
    items: pd.DataFrame
    actions: pd.DataFrame
    funding: pd.DataFrame
    budget: pd.DataFrame
    kpis: pd.Series
    late: pd.DataFrame
    changes: pd.DataFrame | None  # None: no previous snapshot to compare with
    changes_since: str | None  # the previous snapshot, in French


def find_territory(key: str) -> pd.Series:
    """The territory with this SIREN or territory_id, with its `siren` as a field."""
    territories = queries.load_territories()
    match = territories[(territories["siren"] == key) | (territories["territory_id"] == key)]
    if match.empty:
        known = ", ".join(f"{r.siren} ({r.name})" for r in territories.itertuples())
        raise ReportError(f"Territoire « {key} » inconnu. Territoires chargés : {known}.")
    return match.iloc[0]


def scope_choices(territory_id: str) -> dict[str, str]:
    """Scope (as text) -> French label: the whole plan, each first-level item, each contract."""
    items = queries.load_plan_items(territory_id)
    roots = items[items["parent_id"].isna()]
    choices = {"plan": SCOPE_KINDS["plan"]}
    for row in roots.itertuples():
        choices[f"element:{row.code}"] = f"{row.level.capitalize()} {row.code} — {row.title}"
    for row in queries.load_contracts(territory_id).itertuples():
        choices[f"contrat:{row.code}"] = f"Contrat — {row.name}"
    return choices


def select_scope(
    scope: ReportScope,
    items: pd.DataFrame,
    actions: pd.DataFrame,
    funding: pd.DataFrame,
    budget: pd.DataFrame,
    contracts: pd.DataFrame,
) -> tuple[str, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(label, actions, funding lines, budget lines) of the scope."""
    if scope.kind == "plan":
        return SCOPE_KINDS["plan"], actions, funding, budget
    if scope.kind == "element":
        root = items[(items["code"] == scope.code) & items["parent_id"].isna()]
        if root.empty:
            codes = ", ".join(items.loc[items["parent_id"].isna(), "code"])
            raise ReportError(
                f"Aucun élément de premier niveau de code « {scope.code} » (codes : {codes})."
            )
        item = root.iloc[0]
        label = f"{item['level'].capitalize()} {item['code']} — {item['title']}"
        chosen = actions[actions["root_item_id"] == item["item_id"]]
        ids = set(chosen["action_id"])
        return label, chosen, funding[funding["action_id"].isin(ids)], budget_of(budget, ids)
    contract = contracts[contracts["code"] == scope.code]
    if contract.empty:
        codes = ", ".join(contracts["code"]) or "aucun"
        raise ReportError(f"Aucun contrat de code « {scope.code} » (codes : {codes}).")
    lines = funding[funding["contract_code"] == scope.code]
    ids = set(lines["action_id"])
    chosen = actions[actions["action_id"].isin(ids)]
    return f"Contrat — {contract.iloc[0]['name']}", chosen, lines, budget_of(budget, ids)


def budget_of(budget: pd.DataFrame, action_ids: set[str]) -> pd.DataFrame:
    return budget[budget["action_id"].isin(action_ids)]


def build_scope_kpis(actions: pd.DataFrame, funding: pd.DataFrame) -> pd.Series:
    """The fields of overview_kpis.sql, computed on the actions and funding lines of a scope."""
    status = actions["status"]
    progress = actions["progress"]
    planned = actions["budget_planned"]
    weighted = planned.where(progress.notna())
    weight = weighted.sum(min_count=1)
    return pd.Series(
        {
            "n_actions": len(actions),
            "n_done": int((status == "Réalisé").sum()),
            "n_in_progress": int((status == "En cours").sum()),
            "n_not_started": int((status == "À venir").sum()),
            "n_paused": int((status == "En pause").sum()),
            "n_blocked": int((status == "Bloqué").sum()),
            "n_abandoned": int((status == "Abandonné").sum()),
            "n_late": int(actions["is_late"].fillna(False).astype(bool).sum()),
            "n_with_progress": int(progress.notna().sum()),
            "progress_by_count": progress.mean(),
            "progress_by_budget": (
                (progress * planned).sum(min_count=1) / weight if weight else float("nan")
            ),
            "budget_planned": planned.sum(min_count=1),
            "budget_committed": actions["budget_committed"].sum(min_count=1),
            "budget_paid": actions["budget_paid"].sum(min_count=1),
            "n_with_budget": int(planned.notna().sum()),
            "n_demo": int(actions["is_demo"].sum()),
            "funding_requested": funding["requested"].sum(min_count=1),
            "funding_granted": funding["granted"].sum(min_count=1),
            "funding_received": funding["received"].sum(min_count=1),
        }
    )


def build_kpi_items(kpis: pd.Series, with_money: bool) -> list[tuple[str, str]]:
    """(label, value) of the KPI grid, the same figures as the Vue d'ensemble."""
    n = format_number
    items = [
        ("Actions", n(kpis["n_actions"])),
        ("Réalisées", n(kpis["n_done"])),
        ("En cours", n(kpis["n_in_progress"])),
        ("En retard", n(kpis["n_late"])),
        ("À venir", n(kpis["n_not_started"])),
        ("En pause / bloquées", n(kpis["n_paused"] + kpis["n_blocked"])),
        ("Abandonnées", n(kpis["n_abandoned"])),
        ("Avancement moyen", format_percent(kpis["progress_by_count"])),
    ]
    if with_money:
        items += [
            ("Dépenses prévues", format_compact_euros(kpis["budget_planned"])),
            ("Dépenses engagées", format_compact_euros(kpis["budget_committed"])),
            ("Dépenses payées", format_compact_euros(kpis["budget_paid"])),
            ("Financements accordés", format_compact_euros(kpis["funding_granted"])),
        ]
    return items


def build_status_by_group(actions: pd.DataFrame, items: pd.DataFrame, depth: int) -> pd.DataFrame:
    """Actions per plan item of `depth` (its ancestor at that depth) and status, in the shape of
    status_by_root.sql, so that charts.build_status_by_root_figure draws it."""
    parents = dict(zip(items["item_id"], items["parent_id"], strict=True))
    depths = dict(zip(items["item_id"], items["depth"], strict=True))

    def ancestor(item_id: str) -> str:
        while depths[item_id] > depth and isinstance(parents[item_id], str):
            item_id = parents[item_id]
        return item_id

    grouped = actions.assign(
        group_id=actions["item_id"].map(ancestor),
        late=actions["is_late"].fillna(False).astype(bool),
    )
    counts = grouped.groupby(["group_id", "status"], as_index=False).agg(
        n_actions=("action_id", "count"), n_late=("late", "sum")
    )
    described = items[["item_id", "code", "title", "level", "sort_order"]]
    frame = counts.merge(described, left_on="group_id", right_on="item_id").drop(columns="group_id")
    frame["status_rank"] = frame["status"].map({s: i for i, s in enumerate(STATUS_ORDER)})
    return frame.sort_values(["sort_order", "status_rank"]).drop(columns="status_rank")


def build_funder_totals(funding: pd.DataFrame) -> pd.DataFrame:
    """Funding lines summed by funder type (what build_funding_by_funder_figure reads)."""
    return funding.groupby("funder_type", as_index=False)[["requested", "granted", "received"]].sum(
        min_count=1
    )


def build_funding_table(funding: pd.DataFrame) -> pd.DataFrame:
    """Funding lines summed by contract and funder, largest granted first, with a total row."""
    if funding.empty:
        return pd.DataFrame(columns=[c for c, _, _ in REPORT_FUNDING_COLUMNS])
    table = (
        funding.groupby(["contract", "funder", "funder_type"], as_index=False, dropna=False)
        .agg(
            n_actions=("action_id", "nunique"),
            requested=("requested", lambda s: s.sum(min_count=1)),
            granted=("granted", lambda s: s.sum(min_count=1)),
            received=("received", lambda s: s.sum(min_count=1)),
            is_demo=("is_demo", "any"),
        )
        .sort_values(["granted", "contract"], ascending=[False, True], na_position="last")
    )
    total = {
        "contract": "Total",
        "funder": "",
        "funder_type": "",
        "n_actions": funding["action_id"].nunique(),
        "requested": funding["requested"].sum(min_count=1),
        "granted": funding["granted"].sum(min_count=1),
        "received": funding["received"].sum(min_count=1),
        "is_demo": bool(funding["is_demo"].any()),
    }
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def load_changes(
    territory_id: str, scope_ids: set[str], root_item_id: str | None
) -> tuple[pd.DataFrame | None, str | None]:
    """Changes between the previous and the latest snapshot that concern the scope, and the
    previous snapshot's French label; (None, None) when there is no previous snapshot.

    An action removed since is in a pilier's scope when it was under that pilier; a contract's
    scope only knows the actions it funds now."""
    previous, latest = changes.previous_and_latest(queries.load_snapshots(territory_id))
    if previous is None:
        return None, None
    before = queries.load_snapshot_actions(territory_id, previous["snapshot_id"])
    after = queries.load_snapshot_actions(territory_id, latest["snapshot_id"])
    found = changes.build_change_list(before, after)
    if root_item_id is not None:
        both = pd.concat([before, after])
        scope_ids = scope_ids | set(both.loc[both["root_item_id"] == root_item_id, "action_id"])
    return found[found["action_id"].isin(scope_ids)], changes.describe_snapshot(previous)


def build_report_data(
    territory_key: str, scope: ReportScope, today: dt.date | None = None
) -> ReportData:
    """Load and restrict everything the report shows (raises ReportError in French)."""
    territory = find_territory(territory_key)
    tid = territory["territory_id"]
    today = today or dt.date.today()
    items = queries.load_plan_items(tid)
    label, actions, funding, budget = select_scope(
        scope,
        items,
        queries.load_actions(tid),
        queries.load_funding_lines(tid),
        queries.load_budget_lines(tid),
        queries.load_contracts(tid),
    )
    roots = items[(items["code"] == scope.code) & items["parent_id"].isna()]
    root_id = roots["item_id"].iloc[0] if scope.kind == "element" else None
    found, since = load_changes(tid, set(actions["action_id"]), root_id)
    watch = watchlist.build_watchlist(actions, today)
    late = watch[watch["reason"] == "En retard"]
    info = queries.load_build_info()
    return ReportData(
        territory=territory,
        scope=scope,
        scope_label=label,
        today=today,
        built_at=info["built_at"].iloc[0] if not info.empty else None,
        items=items,
        actions=actions,
        funding=funding,
        budget=budget,
        kpis=build_scope_kpis(actions, funding),
        late=late,
        changes=found,
        changes_since=since,
    )


def build_report_figures(data: ReportData) -> list[tuple[str, go.Figure]]:
    """(heading, figure) of the report's charts, built by the pages' own chart builders."""
    figures = []
    if not data.actions.empty:
        depth = 2 if data.scope.kind == "element" else 1
        status = build_status_by_group(data.actions, data.items, depth)
        levels = status["level"].mode()
        heading = f"Avancement par {levels.iloc[0]}" if not levels.empty else "Avancement"
        figures.append((heading, charts.build_status_by_root_figure(status)))
    if data.funding["granted"].notna().any() or data.funding["requested"].notna().any():
        figures.append(
            (
                "Financements par type de financeur",
                charts.build_funding_by_funder_figure(build_funder_totals(data.funding)),
            )
        )
    spending = data.budget[data.budget["direction"] == "Dépense"]
    if spending["planned"].notna().any():
        figures.append(("Dépenses par année", charts.build_budget_by_year_figure(data.budget)))
    return figures


def figure_to_svg(figure: go.Figure) -> str:
    """The figure as an SVG data URI, drawn by kaleido (Chromium) at the report's width."""
    # In the app, Streamlit's theme makes room for long axis labels; on paper, plotly must.
    printable = go.Figure(figure).update_xaxes(automargin=True).update_yaxes(automargin=True)
    printable.update_layout(margin={"l": 10, "r": 20, "t": 50, "b": 10})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "kopts ignored when using a server": expected
        svg = printable.to_image(
            format="svg", width=CHART_WIDTH, height=figure.layout.height or 420
        )
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def render_figures(figures: list[tuple[str, go.Figure]]) -> list[tuple[str, str]]:
    """(heading, data URI) of each figure; one kaleido browser serves them all."""
    import kaleido

    if not figures:
        return []
    kaleido.start_sync_server(silence_warnings=True)
    try:
        return [(heading, figure_to_svg(figure)) for heading, figure in figures]
    finally:
        kaleido.stop_sync_server(silence_warnings=True)


def html_table(frame: pd.DataFrame, spec: list[tuple[str, str, str]], css: str = "") -> str:
    """French-formatted table; every cell escaped."""
    shown = tables.to_display(frame, spec)
    kinds = {label: kind for _, label, kind in spec}
    names = {label: column for column, label, _ in spec}
    head = "".join(
        f'<th class="{"num" if kinds[c] in NUMERIC_KINDS else ""} col-{names[c]}">{escape(c)}</th>'
        for c in shown.columns
    )
    rows = []
    for values in shown.itertuples(index=False):
        cells = "".join(
            f'<td class="{"num" if kinds[c] in NUMERIC_KINDS else ""}">{escape(v)}</td>'
            for c, v in zip(shown.columns, values, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    return (
        f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def source_line(data: ReportData) -> str:
    """Source and dates printed in every page's footer."""
    source = data.territory["source_document"] or "plan saisi par le territoire"
    built = format_datetime(data.built_at) if data.built_at is not None else "—"
    # Dates first: a long source name is the part the footer may shorten.
    return f"Édité le {format_date(data.today)} · données chargées le {built} · source : {source}"


def changes_section(data: ReportData) -> str:
    if data.changes is None:
        return (
            "<p class='note'>Aucun instantané précédent : la base n'a qu'un état de ce "
            "territoire, la comparaison sera possible après la prochaine publication qui modifie "
            "le plan.</p>"
        )
    since = f"<p>Depuis : <b>{escape(data.changes_since)}</b>.</p>"
    if data.changes.empty:
        return since + "<p>Aucun changement sur ce périmètre depuis l'instantané précédent.</p>"
    counted = changes.count_changes(data.changes)
    counts = " · ".join(f"{escape(label)} : {count}" for label, count in counted if count)
    intro = (
        f"<p>{escape(format_number(data.changes['action_id'].nunique()))} action(s) modifiée(s) "
        f"— {counts}.</p>"
    )
    return since + intro + html_table(data.changes, tables.CHANGE_COLUMNS)


STYLE = """
@page { size: A4; margin: 18mm 14mm 20mm 14mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10pt;
       color: #1e1e1e; margin: 0; }
h1 { font-size: 26pt; color: #000091; margin: 0 0 8mm; }
h2 { font-size: 15pt; color: #000091; border-bottom: 2px solid #000091; padding-bottom: 2mm;
     margin: 8mm 0 4mm; break-after: avoid; }
h3 { font-size: 11.5pt; margin: 5mm 0 2mm; break-after: avoid; }
.cover { height: 240mm; display: flex; flex-direction: column; justify-content: center;
         break-after: page; }
.cover .scope { font-size: 16pt; margin-bottom: 10mm; }
.cover .territory { font-size: 20pt; font-weight: bold; margin-bottom: 2mm; }
.cover dl { display: grid; grid-template-columns: 48mm 1fr; gap: 2mm 4mm; font-size: 10.5pt; }
.cover dt { color: #555; }
.cover dd { margin: 0; }
.demo { border-left: 4px solid #1565c0; background: #e3f2fd; padding: 3mm 4mm; margin: 4mm 0; }
.summary { font-size: 11pt; line-height: 1.5; border-left: 4px solid #90a4ae; padding-left: 4mm; }
.kpis { display: grid; grid-template-columns: repeat(4, 1fr); gap: 3mm; margin: 4mm 0; }
.kpi { border: 1px solid #cfd8dc; border-radius: 2mm; padding: 2.5mm 3mm; break-inside: avoid; }
.kpi .label { font-size: 8.5pt; color: #555; }
.kpi .value { font-size: 15pt; font-weight: bold; margin-top: 1mm; }
figure { margin: 2mm 0 4mm; break-inside: avoid; }
figure img { width: 100%; }
table { width: 100%; border-collapse: collapse; font-size: 8.5pt; margin: 2mm 0 4mm; }
thead { display: table-header-group; }
th { background: #eceff1; text-align: left; padding: 1.5mm 2mm; border-bottom: 1px solid #90a4ae; }
td { padding: 1.2mm 2mm; border-bottom: 1px solid #e0e0e0; vertical-align: top; }
tr { break-inside: avoid; }
.num { text-align: right; white-space: nowrap; }
th.col-title { width: 40%; }
table.with-total tbody tr:last-child td { font-weight: bold; border-top: 1.5px solid #90a4ae; }
th.col-contract { width: 30%; }
.note { color: #555; font-style: italic; }
section { break-before: page; }
"""


def build_report_html(data: ReportData, with_charts: bool = True) -> str:
    """The whole report as one self-contained HTML page (no outside request)."""
    territory = data.territory
    with_money = bool(territory["has_budget"] or territory["has_funding"])
    kpis = "".join(
        f'<div class="kpi"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div></div>'
        for label, value in build_kpi_items(data.kpis, with_money)
    )
    demo = (
        f'<p class="demo">Ce territoire contient des <b>{DEMO_LABEL}</b> : les statuts, dates, '
        "avancements et montants marqués « démo » ont été inventés pour la démonstration ; les "
        "intitulés et les montants sans cette mention viennent des documents sources.</p>"
        if territory["has_demo_data"]
        else ""
    )
    summary = texts.build_overview_summary(data.kpis)
    if data.actions.empty and data.scope.kind != "plan":
        summary = "Aucune action n'est rattachée à ce périmètre."
    images = render_figures(build_report_figures(data)) if with_charts else []
    charts_html = "".join(
        f'<figure><h3>{escape(heading)}</h3><img alt="{escape(heading)}" src="{uri}"></figure>'
        for heading, uri in images
    )
    if data.late.empty:
        late = "<p>Aucune action en retard sur ce périmètre.</p>"
    else:
        late = (
            f"<p>{escape(format_number(len(data.late)))} action(s) ouverte(s) dont la fin prévue "
            "est dépassée, de la plus en retard à la moins en retard.</p>"
            + html_table(data.late.sort_values("days_late", ascending=False), LATE_COLUMNS)
        )
    if data.funding.empty:
        funding = (
            "<p>Aucune ligne de financement n'est saisie pour ce périmètre : les montants sont "
            "inconnus, pas nuls.</p>"
        )
    else:
        funding = html_table(
            build_funding_table(data.funding), REPORT_FUNDING_COLUMNS, "with-total"
        )
    contract_note = (
        "<p class='note'>Actions ayant au moins une ligne de financement de ce contrat ; les "
        "dépenses sont celles de ces actions, les financements ceux du contrat.</p>"
        if data.scope.kind == "contrat"
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<title>Rapport de commission — {escape(territory["name"])}</title>
<style>{STYLE}</style></head>
<body>
<div class="cover">
  <h1>Rapport de commission</h1>
  <div class="territory">{escape(territory["name"])}</div>
  <div class="scope">{escape(data.scope_label)}</div>
  <dl>
    <dt>SIREN</dt><dd>{escape(territory["siren"])}</dd>
    <dt>Document de projet</dt><dd>{escape(territory["source_document"])}</dd>
    <dt>Données chargées le</dt><dd>{escape(format_datetime(data.built_at))}</dd>
    <dt>Rapport édité le</dt><dd>{escape(format_date(data.today))}</dd>
    <dt>Actions du périmètre</dt><dd>{escape(format_number(len(data.actions)))}</dd>
  </dl>
  {demo}
</div>
<h2>Synthèse</h2>
{contract_note}
<p class="summary">{escape(summary)}</p>
<div class="kpis">{kpis}</div>
{charts_html}
<section><h2>Actions en retard</h2>{late}</section>
<section><h2>Changements depuis l'instantané précédent</h2>{changes_section(data)}</section>
<section><h2>Financements</h2>{funding}</section>
</body></html>"""


def build_footer_html(data: ReportData) -> str:
    """Chromium's footer template: source and dates, page X / Y (escaped like the body)."""
    style = (
        "font-family:'DejaVu Sans',Arial,sans-serif;font-size:7.5pt;color:#555;width:100%;"
        "padding:0 14mm;box-sizing:border-box;display:flex;justify-content:space-between;gap:6mm"
    )
    return (
        f'<div style="{style}"><span style="min-width:0;overflow:hidden;white-space:nowrap;'
        f'text-overflow:ellipsis">{escape(source_line(data))}</span>'
        '<span style="white-space:nowrap">Page <span class="pageNumber"></span> / '
        '<span class="totalPages"></span></span></div>'
    )


def build_header_html(data: ReportData) -> str:
    style = (
        "font-family:'DejaVu Sans',Arial,sans-serif;font-size:7.5pt;color:#555;width:100%;"
        "padding:0 14mm;box-sizing:border-box;white-space:nowrap;overflow:hidden;"
        "text-overflow:ellipsis"
    )
    text = f"Rapport de commission — {data.territory['name']} — {data.scope_label}"
    return f'<div style="{style}">{escape(text)}</div>'


def chromium_executable() -> str:
    path = (
        os.environ.get("PILOTAGE_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not path:
        raise ReportError("Chromium est introuvable : installez-le (make browser).")
    return path


def _print_pdf(html: str, header: str, footer: str) -> bytes:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(), args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            # The report is self-contained: any request (a payload slipping through) is refused.
            page.route("**/*", lambda route: route.abort())
            page.set_content(html, wait_until="load")
            return page.pdf(
                format="A4",
                print_background=True,
                display_header_footer=True,
                header_template=header,
                footer_template=footer,
                prefer_css_page_size=True,
            )
        finally:
            browser.close()


def print_pdf(html: str, header: str, footer: str) -> bytes:
    """Print with headless Chromium in a worker thread (Playwright's sync API refuses a thread
    that runs an asyncio loop, as a Streamlit or pytest-asyncio thread may)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_print_pdf, html, header, footer).result()


def build_report_pdf(
    territory_key: str, scope: ReportScope | str = "plan", today: dt.date | None = None
) -> bytes:
    """The Rapport de commission as PDF bytes (a few seconds: charts and printing)."""
    scope = ReportScope.parse(scope) if isinstance(scope, str) else scope
    return render_report_pdf(build_report_data(territory_key, scope, today))


def render_report_pdf(data: ReportData) -> bytes:
    """Charts and printing only (no Streamlit): what the app runs when the button is clicked."""
    return print_pdf(build_report_html(data), build_header_html(data), build_footer_html(data))


def scope_for_item(items: pd.DataFrame, code: str | None) -> ReportScope:
    """The first-level item above the plan item `code` (any level), or the whole plan."""
    chosen = items[items["code"] == code] if code else items.iloc[0:0]
    if chosen.empty:
        return ReportScope()
    root = items[items["item_id"] == chosen.iloc[0]["root_id"]]
    return ReportScope("element", root.iloc[0]["code"]) if not root.empty else ReportScope()


def report_filename(territory: pd.Series, scope: ReportScope, today: dt.date) -> str:
    parts = ["rapport", territory["territory_id"], scope.kind]
    if scope.code:
        parts.append("".join(c if c.isalnum() or c in "-." else "-" for c in scope.code))
    return "_".join([*parts, today.isoformat()]) + ".pdf"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.report",
        description="Rapport de commission en PDF (territoire, périmètre).",
    )
    parser.add_argument("--territoire", required=True, help="SIREN ou identifiant du territoire")
    parser.add_argument(
        "--perimetre",
        default="plan",
        help="plan (défaut), element:<code du premier niveau> ou contrat:<code du contrat>",
    )
    parser.add_argument("--sortie", type=Path, help="fichier PDF (défaut : nom daté)")
    parser.add_argument(
        "--liste", action="store_true", help="affiche les périmètres possibles et s'arrête"
    )
    args = parser.parse_args(argv)
    # Loaders are cached with st.cache_data; outside a server Streamlit says so on each call.
    streamlit_logger.set_log_level("error")
    try:
        territory = find_territory(args.territoire)
        if args.liste:
            for value, label in scope_choices(territory["territory_id"]).items():
                print(f"{value}\t{label}")
            return 0
        scope = ReportScope.parse(args.perimetre)
        today = dt.date.today()
        pdf = build_report_pdf(args.territoire, scope, today)
    except (ReportError, FileNotFoundError) as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
    output = args.sortie or Path(report_filename(territory, scope, today))
    output.write_bytes(pdf)
    print(f"Rapport écrit : {output} ({len(pdf) // 1024} Ko)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
