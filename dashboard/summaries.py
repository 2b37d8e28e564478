"""Generated French sentences, usable as-is in a report."""

from __future__ import annotations

import pandas as pd

from dashboard.formatting import format_compact_euros, format_number, format_percent, plural


def build_overview_summary(kpis: pd.Series) -> str:
    total = int(kpis["n_actions"])
    if total == 0:
        return "Aucune action n'est encore saisie pour ce territoire."
    done, running, late = int(kpis["n_done"]), int(kpis["n_in_progress"]), int(kpis["n_late"])
    parts = [
        f"{done} action{'s' if done > 1 else ''} sur {total} "
        f"{'sont terminées' if done > 1 else 'est terminée'}",
        f"{running} {'sont' if running > 1 else 'est'} en cours",
    ]
    sentence = ", ".join(parts) + "."
    if late:
        verb = "sont" if late > 1 else "est"
        sentence += f" {plural(late, 'action')} {verb} en retard sur leur date de fin prévue."
    else:
        sentence += " Aucune action n'est en retard sur sa date de fin prévue."
    missing = int(kpis.get("n_status_not_given", 0) or 0)
    if missing:
        counted = "elles ne sont comptées" if missing > 1 else "elle n'est comptée"
        sentence += (
            f" Le statut de {plural(missing, 'action')} n'est pas renseigné : "
            f"{counted} ni à venir, ni en cours, ni en retard."
        )
    if pd.notna(kpis["progress_by_count"]):
        sentence += f" L'avancement moyen est de {format_percent(kpis['progress_by_count'])}."
    if pd.notna(kpis["budget_planned"]) and kpis["budget_planned"]:
        sentence += (
            f" Les dépenses prévues s'élèvent à {format_compact_euros(kpis['budget_planned'])}"
        )
        # A paid amount the source does not give is not said at all (never « dont — payés »).
        if pd.notna(kpis["budget_paid"]):
            sentence += f", dont {format_compact_euros(kpis['budget_paid'])} payés"
        sentence += "."
    if pd.notna(kpis["funding_granted"]) and kpis["funding_granted"]:
        granted = format_compact_euros(kpis["funding_granted"])
        sentence += f" Les financements accordés atteignent {granted}."
    return sentence


# What each table's rows qualify, in the provenance notice.
PARTS = {
    "plan": ("intitulé du plan", "intitulés du plan"),
    "actions": ("état d'action (statut, dates, avancement)", "états d'action"),
    "budget": ("ligne de budget", "lignes de budget"),
    "financements": ("ligne de financement", "lignes de financement"),
    "contrats": ("contrat", "contrats"),
    "suivi": ("note de suivi", "notes de suivi"),
    "indicateurs": ("indicateur de résultat (cible, valeur initiale)", "indicateurs de résultat"),
    "mesures": ("valeur mesurée ou jalon", "valeurs mesurées et jalons"),
}


def _counted(rows: pd.DataFrame) -> str:
    return ", ".join(
        f"{row.n} {PARTS[row.part][0] if row.n == 1 else PARTS[row.part][1]}"
        for row in rows.itertuples()
    )


def build_provenance_notice(summary: pd.DataFrame, source_document: str | None) -> str | None:
    """One honest sentence on where the territory's values come from; None when every value
    is sourced and given."""
    parts = []
    for key, text in (
        ("reconstructed", "reconstitué, absent du document (marqué « reconstitué »)"),
        ("approximate", "approximatif, « environ » dans le document (marqué « ≈ »)"),
        ("demo", "données de démonstration, inventées (marquées « démo »)"),
    ):
        rows = summary[summary["provenance"] == key]
        if not rows.empty:
            parts.append(f"{text} : {_counted(rows)}")
    missing = summary.loc[summary["provenance"] == "not_given", "n"].sum()
    if missing:
        plural_s = "s" if missing > 1 else ""
        parts.append(
            f"non renseigné par le document (« Non renseigné », compté à part) : "
            f"{missing} statut{plural_s} d'action"
        )
    if not parts:
        return None
    source = f"du document « {source_document} »" if source_document else "des sources saisies"
    return "Provenance — " + " ; ".join(parts) + f". Le reste vient {source}."


# One French sentence per chart, read by screen readers before it (chart_view.render_chart).


def build_status_by_root_summary(status: pd.DataFrame) -> str:
    """What the progress bars per first-level item show."""
    totals = status.groupby("title", sort=False)[["n_actions", "n_late"]].sum()
    sentence = (
        f"{plural(int(totals['n_actions'].sum()), 'action')} réparties sur "
        f"{plural(len(totals), 'élément')} de premier niveau, barres par statut"
    )
    late = totals["n_late"]
    if late.sum():
        sentence += (
            f" ; {plural(int(late.sum()), 'action')} en retard, le plus en retard étant "
            f"« {late.idxmax()} » ({plural(int(late.max()), 'action')})"
        )
    return sentence + "."


def build_ranked_summary(
    subject: str, frame: pd.DataFrame, label: str, value: str, formatter=format_number
) -> str:
    """« subject : n valeurs, la plus forte X (v), la plus faible Y (w). »"""
    known = frame.dropna(subset=[value])
    if known.empty:
        return f"{subject} : aucune valeur connue."
    top = known.loc[known[value].idxmax()]
    bottom = known.loc[known[value].idxmin()]
    sentence = f"{subject} : {plural(len(known), 'valeur')}, la plus forte pour {top[label]} "
    sentence += f"({formatter(top[value])})"
    if len(known) > 1:
        sentence += f", la plus faible pour {bottom[label]} ({formatter(bottom[value])})"
    return sentence + "."


def build_series_summary(subject: str, frame: pd.DataFrame, x: str, y: str) -> str:
    """« subject : de v en a à w en b (±p %). »"""
    known = frame.dropna(subset=[y]).sort_values(x)
    if known.empty:
        return f"{subject} : aucune valeur connue."
    first, last = known.iloc[0], known.iloc[-1]
    sentence = f"{subject} : {format_number(first[y])} en {first[x]}"
    if len(known) > 1:
        sentence += f", {format_number(last[y])} en {last[x]}"
        if first[y]:
            change = 100 * (last[y] - first[y]) / first[y]
            sign = "+" if change > 0 else ""
            sentence += f" ({sign}{format_number(change, 1)} %)"
    return sentence + "."
