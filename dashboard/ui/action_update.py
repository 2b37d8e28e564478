"""Streamlit pieces of an action's online update (fiche action, « Mes actions »), its history
and the latest updates of a territory; a page open elsewhere follows each publication.

The form is only a convenience: `dashboard.action_updates.save_update` checks everything again
on the server (role, pilot, values, concurrent changes) before writing."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import action_updates, auth, queries
from dashboard.db import warehouse_path, warehouse_version
from dashboard.formatting import format_datetime
from dashboard.territory import Territory
from dashboard.ui.widgets import safe_text
from etl.schema import NOTE_TYPES, STATUSES, WEATHERS

SEEN_KEY = "action_update_seen"  # (territory, code, version, values) the form was made from
FLASH_KEY = "action_update_flash"
LIVE_SECONDS = 1.0
HISTORY_HEADERS = {
    "changed_at": "Date",
    "field_label": "Champ",
    "before": "Avant",
    "after": "Après",
    "author_name": "Par",
    "origin": "Origine",
}


def _flash() -> None:
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        (st.success if flash[0] else st.error)(flash[1])
        for conflict in flash[2]:
            st.markdown(f"- {safe_text(conflict)}")


def render_update_form(territory: Territory, code: str, user: auth.User | None, key: str) -> None:
    """The update form of action `code` for those who may update it; a contributor who may
    not is told why; a reader sees nothing."""
    _flash()
    action = action_updates.published_action(warehouse_path(), territory.territory_id, code)
    if action is None:
        return
    refusal = action_updates.update_refused(user, territory.siren, action)
    if refusal:
        rank = auth.RANK.get(auth.role_for(user, territory.siren) or "", 0) if user else 0
        if rank >= auth.RANK["contributor"]:
            st.caption(refusal)
        return
    seen_before = st.session_state.get(f"{SEEN_KEY}_{key}")
    values = action_updates.template_values(action)
    with st.form(f"{key}_form", border=True):
        st.markdown(f"**Mettre à jour l'action {safe_text(code)}**")
        left, middle, right = st.columns(3)
        status = left.selectbox(
            "Statut",
            STATUSES,
            index=STATUSES.index(values["statut"]) if values["statut"] in STATUSES else None,
            placeholder="Non renseigné",
            key=f"{key}_status",
        )
        progress = left.number_input(
            "Avancement (%)",
            min_value=0,
            max_value=100,
            step=5,
            value=None if values["avancement"] is None else round(values["avancement"]),
            key=f"{key}_progress",
        )
        start = middle.date_input(
            "Début réel", value=values["debut_reel"], format="DD/MM/YYYY", key=f"{key}_start"
        )
        end = middle.date_input(
            "Fin réelle", value=values["fin_reelle"], format="DD/MM/YYYY", key=f"{key}_end"
        )
        note_type = right.selectbox(
            "Type de note", NOTE_TYPES, index=None, placeholder="Choisir", key=f"{key}_type"
        )
        weather = right.selectbox(
            "Météo", WEATHERS, index=None, placeholder="Aucune", key=f"{key}_weather"
        )
        text = st.text_area("Note de suivi (datée d'aujourd'hui)", key=f"{key}_text")
        reason = st.text_input("Raison de la météo", key=f"{key}_reason")
        submitted = st.form_submit_button("Enregistrer", type="primary")
    if not submitted:
        st.session_state[f"{SEEN_KEY}_{key}"] = (code, action["version"], values)
        return
    # What the form was made from: the version shown at the previous run, not the current one.
    base_code, base, seen = seen_before or (code, action["version"], values)
    if base_code != code:
        base, seen = action["version"], values
    new_values = {
        "statut": status,
        "avancement": progress,
        "debut_reel": start if isinstance(start, dt.date) else None,
        "fin_reelle": end if isinstance(end, dt.date) else None,
    }
    note = {"type": note_type, "text": text, "meteo": weather, "raison": reason or None}
    with st.spinner("Enregistrement et publication…"):
        result = action_updates.save_update(
            user, territory.territory_id, territory.siren, code, base, seen, new_values, note
        )
    st.session_state[FLASH_KEY] = (result.ok, result.message, result.conflicts)
    st.session_state.pop(f"{SEEN_KEY}_{key}", None)
    if result.ok:
        for suffix in ("text", "reason", "type", "weather"):
            st.session_state.pop(f"{key}_{suffix}", None)
    for suffix in ("status", "progress", "start", "end"):
        st.session_state.pop(f"{key}_{suffix}", None)  # the form shows the published values
    st.rerun()


def build_history_table(history: pd.DataFrame) -> pd.DataFrame:
    """Newest first, French headers, dates and times in French."""
    shown = history.sort_values("seq", ascending=False)[list(HISTORY_HEADERS)].copy()
    local = pd.to_datetime(shown["changed_at"], utc=True).dt.tz_convert("Europe/Paris")
    shown["changed_at"] = local.map(format_datetime)
    shown[["before", "after"]] = shown[["before", "after"]].fillna("non renseigné")
    return shown.rename(columns=HISTORY_HEADERS)


def render_action_history(territory: Territory, action_id: str) -> None:
    """Every change of the action with who, when, before → after (online and by upload)."""
    history = queries.load_action_history(territory.territory_id, action_id)
    if history.empty:
        st.caption("Aucune modification enregistrée depuis la mise en service du journal.")
        return
    st.dataframe(build_history_table(history), hide_index=True, key="action_history")


def render_recent_updates(territory: Territory, limit: int = 8) -> None:
    """The territory's latest changes with their authors (directors' overview)."""
    history = queries.load_territory_history(territory.territory_id)
    if history.empty:
        st.caption("Aucune mise à jour en ligne ni import enregistré pour l'instant.")
        return
    latest = history.sort_values("seq", ascending=False).head(limit)
    table = build_history_table(latest)
    table.insert(1, "Action", latest["code"].to_numpy())
    st.dataframe(table, hide_index=True, key="recent_updates")


@st.fragment(run_every=LIVE_SECONDS)
def render_live_refresh() -> None:
    """Reruns the page when a new warehouse is published (an update made in another session):
    a stat of one file per second and session, nothing else."""
    version = warehouse_version()
    shown = st.session_state.setdefault("live_warehouse_version", version)
    if version != shown:
        st.session_state["live_warehouse_version"] = version
        st.rerun(scope="app")
