"""Each figure of the plan defined once (no Streamlit): counts by status, lateness, progress,
planned / committed / paid spending, requested / granted / received funding.

The overview, the commission screens, the PDF report and the deltas since a snapshot all call
`build_kpis` on rows of the actions query (or of a snapshot) and `build_kpi_items` to show them.
Statuses come from etl.schema's declaration; lateness from the warehouse's `is_late_at` macro
(the `is_late` column of the actions and snapshot queries), never recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.formatting import _missing, format_compact_euros, format_number, format_percent
from etl.schema import STATUS_DECLARATIONS, STATUS_ORDER

FUNDING_STAGES = ("requested", "granted", "received")


@dataclass(frozen=True)
class Kpi:
    """One figure shown to users: its field, French label, kind of value and meaning."""

    key: str
    label: str
    kind: str  # "count", "percent" or "euros"
    money: bool = False  # shown only for a territory with budget or funding lines
    rise_is_bad: bool = False  # its change since a snapshot is red when it grows
    help: str | None = None  # French explanation; {fields} are filled from the KPIs
    optional: bool = False  # shown only when it is not zero


KPIS = (
    Kpi("n_actions", "Actions", "count"),
    Kpi("n_done", "Réalisées", "count", help="Statut « Réalisé »"),
    Kpi("n_in_progress", "En cours", "count", help="Statut « En cours »"),
    Kpi(
        "n_late",
        "En retard",
        "count",
        rise_is_bad=True,
        help="Fin prévue dépassée et action ni réalisée ni abandonnée (calculé, jamais saisi)",
    ),
    Kpi("n_not_started", "À venir", "count"),
    Kpi("n_paused_blocked", "En pause / bloquées", "count", rise_is_bad=True),
    Kpi("n_abandoned", "Abandonnées", "count", rise_is_bad=True),
    Kpi(
        "n_status_not_given",
        "Statut non renseigné",
        "count",
        optional=True,
        help="Le document ne donne pas le statut de ces actions : elles ne sont comptées ni "
        "à venir, ni en cours, ni en retard.",
    ),
    Kpi(
        "progress_by_count",
        "Avancement moyen",
        "percent",
        help="Moyenne simple sur {n_with_progress} action(s) ; "
        "pondérée par les dépenses prévues : {progress_by_budget}",
    ),
    Kpi(
        "budget_planned",
        "Dépenses prévues",
        "euros",
        money=True,
        help="{n_with_budget} action(s) budgétée(s) sur {n_actions}",
    ),
    Kpi("budget_committed", "Dépenses engagées", "euros", money=True),
    Kpi("budget_paid", "Dépenses payées", "euros", money=True),
    Kpi(
        "funding_granted",
        "Financements accordés",
        "euros",
        money=True,
        help="Demandés : {funding_requested}",
    ),
)
KPIS_BY_KEY = {kpi.key: kpi for kpi in KPIS}
# What an elected official reads first on a commission screen.
SCREEN_KPIS = (
    "n_actions",
    "n_done",
    "n_in_progress",
    "n_late",
    "progress_by_count",
    "budget_planned",
    "funding_granted",
    "n_paused_blocked",
)


def build_kpis(actions: pd.DataFrame, funding: pd.DataFrame | None = None) -> pd.Series:
    """Every KPI field for a set of actions (rows of the actions query or of a snapshot).

    Funding totals are those of `funding` (funding lines, e.g. one contract's) when given, else
    the sum of each action's own funding. A sum over no known value is missing, never zero."""
    status = actions["status"]
    progress = pd.to_numeric(actions["progress"], errors="coerce")
    planned = _money(actions, "budget_planned")
    weight = planned.where(progress.notna()).sum(min_count=1)
    if funding is None:
        funding = actions[[f"funding_{stage}" for stage in FUNDING_STAGES]]
        funding = funding.rename(columns=lambda column: column.removeprefix("funding_"))
    counts = {s.kpi_key: int((status == s.name).sum()) for s in STATUS_DECLARATIONS}
    kpis = {
        "n_actions": len(actions),
        **counts,
        "n_paused_blocked": counts["n_paused"] + counts["n_blocked"],
        "n_late": int(actions["is_late"].fillna(False).astype(bool).sum()),
        "n_with_progress": int(progress.notna().sum()),
        "progress_by_count": progress.mean(),
        "progress_by_budget": (
            (progress * planned).sum(min_count=1) / weight if weight else float("nan")
        ),
        "budget_planned": planned.sum(min_count=1),
        "budget_committed": _money(actions, "budget_committed").sum(min_count=1),
        "budget_paid": _money(actions, "budget_paid").sum(min_count=1),
        "n_with_budget": int(planned.notna().sum()),
        "n_demo": int(actions["is_demo"].fillna(False).astype(bool).sum()),
    }
    for stage in FUNDING_STAGES:
        kpis[f"funding_{stage}"] = _money(funding, stage).sum(min_count=1)
    return pd.Series(kpis, dtype=object)


def _money(frame: pd.DataFrame, column: str) -> pd.Series:
    """Amounts as floats; a column the rows do not carry (a snapshot's) is all missing."""
    if column not in frame:
        return pd.Series(float("nan"), index=frame.index)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def format_kpi(kpi: Kpi, value: object) -> str:
    if kpi.kind == "percent":
        return format_percent(value)
    if kpi.kind == "euros":
        return format_compact_euros(value)
    return format_number(value)


def kpi_help(kpi: Kpi, kpis: pd.Series) -> str | None:
    """The KPI's explanation with its figures filled in, in French formats."""
    if kpi.help is None:
        return None
    values = {
        "n_with_progress": format_number(kpis["n_with_progress"]),
        "progress_by_budget": format_percent(kpis["progress_by_budget"]),
        "n_with_budget": format_number(kpis["n_with_budget"]),
        "n_actions": format_number(kpis["n_actions"]),
        "funding_requested": format_compact_euros(kpis["funding_requested"]),
    }
    return kpi.help.format(**values)


def build_kpi_items(
    kpis: pd.Series, with_money: bool = True, keys: tuple[str, ...] | None = None
) -> list[tuple[str, str, str | None]]:
    """(label, formatted value, help) of the KPIs `keys` (default: all), in that order;
    money figures only `with_money`."""
    chosen = [KPIS_BY_KEY[key] for key in keys] if keys else list(KPIS)
    return [
        (kpi.label, format_kpi(kpi, kpis[kpi.key]), kpi_help(kpi, kpis))
        for kpi in chosen
        if (with_money or not kpi.money) and not (kpi.optional and not kpis[kpi.key])
    ]


def build_kpi_deltas(current: pd.Series, previous: pd.Series) -> dict[str, tuple[str, str]]:
    """Per KPI key: (signed French change, st.metric delta colour) against an earlier state.
    A KPI missing on either side (unknown amounts) gets no change."""
    deltas = {}
    for kpi in KPIS:
        now, before = current.get(kpi.key), previous.get(kpi.key)
        if _missing(now) or _missing(before):
            continue
        change = float(now) - float(before)
        if kpi.kind == "percent":
            text = f"{format_number(change, 1).removesuffix(',0')} pt"
        elif kpi.kind == "euros":
            text = format_compact_euros(change)
        else:
            text = format_number(change)
        if change > 0:
            text = "+" + text
        color = "inverse" if kpi.rise_is_bad else "normal"
        deltas[kpi.key] = (text, color if change else "off")
    return deltas


def build_status_by_item(actions: pd.DataFrame, items: pd.DataFrame, depth: int) -> pd.DataFrame:
    """Actions counted per plan item of `depth` (each action under its ancestor at that depth)
    and status, with the late ones: what charts.build_status_by_root_figure draws for the
    overview (depth 1), a commission screen or a report scope (depth 2 under one item)."""
    parents = dict(zip(items["item_id"], items["parent_id"], strict=True))
    depths = dict(zip(items["item_id"], items["depth"], strict=True))

    def ancestor(item_id: str) -> str:
        while depths.get(item_id, 1) > depth and isinstance(parents.get(item_id), str):
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
    frame = frame.sort_values(["sort_order", "status_rank"]).drop(columns="status_rank")
    columns = ["item_id", "code", "title", "level", "sort_order", "status", "n_actions", "n_late"]
    return frame[columns].reset_index(drop=True)
