"""What changed between two snapshots of a territory's plan (pure pandas, no Streamlit)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.formatting import _missing, format_date, format_euros, format_percent

# (key, French label): the order in which changes are counted and listed.
CHANGE_KINDS = (
    ("added", "Nouvelle action"),
    ("removed", "Action retirée"),
    ("started", "Démarrée"),
    ("finished", "Terminée"),
    ("status", "Statut modifié"),
    ("slipped", "Fin prévue repoussée"),
    ("advanced", "Fin prévue avancée"),
    ("progress", "Avancement modifié"),
    ("new_funding", "Nouveau financement accordé"),
    ("funding", "Montant accordé modifié"),
    ("requested", "Montant demandé modifié"),
    ("budget", "Dépenses prévues modifiées"),
)
CHANGE_LABELS = dict(CHANGE_KINDS)
CHANGE_COLUMNS = ["code", "title", "change", "before", "after", "kind", "action_id"]
# The journal's fields behind each kind of change (the others come from the plan's files).
KIND_FIELDS = {
    "started": ("statut",),
    "finished": ("statut",),
    "status": ("statut",),
    "progress": ("avancement",),
    "slipped": ("fin_prevue",),
    "advanced": ("fin_prevue",),
    "added": (),
    "removed": (),
}


def _amount(value: object) -> float:
    return 0.0 if _missing(value) else float(value)


def _text(value: object) -> str | None:
    """A text or None: a missing value equals another missing value (NaN != NaN)."""
    return None if _missing(value) else str(value)


def _date(value: object) -> dt.date | None:
    if _missing(value):
        return None
    return value.date() if isinstance(value, (pd.Timestamp, dt.datetime)) else value


def _changes_of(old: pd.Series, new: pd.Series) -> list[tuple[str, str, str]]:
    """(kind, before, after) for one action present in both snapshots."""
    found = []
    if _text(old["status"]) != _text(new["status"]):
        if new["status"] == "Réalisé":
            kind = "finished"
        elif old["status"] == "À venir" and new["status"] == "En cours":
            kind = "started"
        else:
            kind = "status"
        found.append((kind, old["status"], new["status"]))
    old_end, new_end = _date(old["planned_end"]), _date(new["planned_end"])
    if old_end and new_end and old_end != new_end:
        days = (new_end - old_end).days
        found.append(
            (
                "slipped" if days > 0 else "advanced",
                format_date(old_end),
                f"{format_date(new_end)} ({days:+d} j)",
            )
        )
    elif (old_end is None) != (new_end is None):
        found.append(("slipped", format_date(old_end), format_date(new_end)))
    old_pg, new_pg = old["progress"], new["progress"]
    if not (_missing(old_pg) and _missing(new_pg)) and (
        _missing(old_pg) or _missing(new_pg) or abs(float(old_pg) - float(new_pg)) >= 0.5
    ):
        found.append(("progress", format_percent(old_pg), format_percent(new_pg)))
    old_granted, new_granted = _amount(old["funding_granted"]), _amount(new["funding_granted"])
    if new_granted > old_granted:
        found.append(("new_funding", format_euros(old_granted), format_euros(new_granted)))
    elif new_granted != old_granted:
        found.append(("funding", format_euros(old_granted), format_euros(new_granted)))
    for column, kind in (("funding_requested", "requested"), ("budget_planned", "budget")):
        before, after = _amount(old[column]), _amount(new[column])
        if before != after:
            found.append((kind, format_euros(before), format_euros(after)))
    return found


def build_change_list(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Every change between two snapshots (rows of snapshot_actions), one row per action and kind,
    in plan order then CHANGE_KINDS order."""
    old = before.set_index("action_id")
    new = after.set_index("action_id")
    rows = []
    for action_id in new.index.difference(old.index):
        row = new.loc[action_id]
        rows.append((action_id, row, "added", "—", row["status"]))
    for action_id in old.index.difference(new.index):
        row = old.loc[action_id]
        rows.append((action_id, row, "removed", row["status"], "—"))
    for action_id in new.index.intersection(old.index):
        for kind, was, now in _changes_of(old.loc[action_id], new.loc[action_id]):
            rows.append((action_id, new.loc[action_id], kind, was, now))
    order = {key: i for i, (key, _) in enumerate(CHANGE_KINDS)}
    frame = pd.DataFrame(
        [
            {
                "code": row["code"],
                "title": row["title"],
                "change": CHANGE_LABELS[kind],
                "before": was,
                "after": now,
                "kind": kind,
                "action_id": action_id,
                "_order": order[kind],
            }
            for action_id, row, kind, was, now in rows
        ],
        columns=[*CHANGE_COLUMNS, "_order"],
    )
    return (
        frame.sort_values(["code", "_order"], key=_natural_key)
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def _natural_key(column: pd.Series) -> pd.Series:
    """Codes like P1.A1.O2.a10 sort by their numbers, not as text."""
    if column.name != "code":
        return column
    return column.map(
        lambda code: tuple(
            (0, int(part)) if part.isdigit() else (1, part)
            for part in "".join(ch if ch.isalnum() else " " for ch in str(code)).split()
        )
    )


def count_changes(changes: pd.DataFrame) -> list[tuple[str, int]]:
    """(label, number of actions) for each kind of change, in CHANGE_KINDS order, zeros kept."""
    counts = changes.groupby("kind")["action_id"].nunique()
    return [(label, int(counts.get(key, 0))) for key, label in CHANGE_KINDS]


def previous_and_latest(snapshots: pd.DataFrame) -> tuple[pd.Series | None, pd.Series | None]:
    """The two most recent snapshots (ordered by date): (previous, latest)."""
    if snapshots.empty:
        return None, None
    latest = snapshots.iloc[-1]
    previous = snapshots.iloc[-2] if len(snapshots) > 1 else None
    return previous, latest


def describe_snapshot(snapshot: pd.Series, plain: bool = False) -> str:
    """French label of a snapshot for selectors and captions; `plain`, in words for a sentence:
    « le point d'étape du 22/09/2026 » (a state typed in by the team), « la mise à jour des
    données du 01/12/2026 » (a build)."""
    taken = pd.Timestamp(snapshot["taken_at"])
    day = format_date(taken.date())
    if snapshot["origin"] == "declared":
        label = f"le point d'étape du {day}" if plain else f"État saisi au {day}"
    elif plain:
        label = f"la mise à jour des données du {day}"
    else:
        label = f"Construction du {day} à {taken:%H:%M}"
    if snapshot["is_demo"]:
        label += " (données de démonstration)" if plain else " (démo)"
    return label


def attach_authors(
    found: pd.DataFrame, history: pd.DataFrame, start: object, end: object
) -> pd.DataFrame:
    """`author` of each change: who changed that field of that action between the two
    snapshots (« Camille Martin (en ligne) »), from the table action_history; None (shown
    « — ») when the change came from the files without a recorded author."""
    found = found.copy()
    found["author"] = None
    if found.empty or history.empty or start is None or end is None:
        return found
    # Snapshot times are the server's local time without zone (etl/pipeline.py).
    local_zone = dt.datetime.now().astimezone().tzinfo
    when = pd.to_datetime(history["changed_at"], utc=True).dt.tz_convert(local_zone)
    when = when.dt.tz_localize(None)
    lower, upper = pd.Timestamp(start), pd.Timestamp(end)
    if lower > upper:
        lower, upper = upper, lower
    # A minute's margin: the entry is written just before the build that snapshots it.
    window = history[(when > lower - pd.Timedelta(minutes=1)) & (when <= upper)]
    authors: dict[tuple[str, str], list[str]] = {}
    for row in window.itertuples():
        label = f"{row.author_name} ({row.origin})"
        names = authors.setdefault((row.action_id, row.field), [])
        if label not in names:
            names.append(label)
    found["author"] = [
        ", ".join(
            name
            for field in KIND_FIELDS.get(kind, ())
            for name in authors.get((action_id, field), [])
        )
        or None
        for action_id, kind in zip(found["action_id"], found["kind"], strict=True)
    ]
    return found
