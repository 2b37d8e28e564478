"""The weekly digests as data: one `Digest` per recipient, built from the warehouse by pure
functions of the loaded frames (no Streamlit, no e-mail here).

- a pilot (`actions.pilot_email`) gets their late actions, those ending within 30 days and those
  without a follow-up note for N weeks (`[pilotage.digest] weeks`, default 4), each with a link to
  its fiche;
- a director of the territory (settings list, or an editor of the territory with an e-mail:
  `director_recipients`) gets the key figures, what changed this week (`build_week_changes`) and
  what needs a decision (blocked, stormy météo, difficulty or risk reported).

Lateness is the warehouse's (`is_late`, judged at the territory's `late_as_of`, as on every
screen); the other lists are judged at that date too, so a dated document reads as of its date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote, urlencode

import pandas as pd

from dashboard import accounts, changes, kpis, queries
from dashboard.digest.preferences import is_opted_out, unsubscribe_token
from dashboard.digest.settings import DigestSettings, is_email
from dashboard.formatting import _missing, format_date, format_provenance, plural
from dashboard.navigation import PAGE_SPECS
from dashboard.territory import Territory

ENDING_DAYS = 30
CHANGE_DAYS = 7  # « this week »: the last seven days
PREVIEW_BASE_URL = "http://localhost:8501"  # previews only: sending needs PILOTAGE_BASE_URL
PAGE_PATHS = {file: path for file, _title, _icon, path in PAGE_SPECS}
DIGEST_PAGE = "digest"
DIRECTOR_KPIS = ("n_actions", "n_in_progress", "n_done", "n_late", "n_paused_blocked")
DECISION_NOTE = "difficulté / risque"
STORM = "orageux"
PILOT, DIRECTOR = "pilot", "director"
KIND_LABELS = {PILOT: "pilote", DIRECTOR: "direction"}


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str | None
    kind: str  # PILOT or DIRECTOR

    @property
    def label(self) -> str:
        return f"{self.name} <{self.address}>" if self.name else self.address


@dataclass(frozen=True)
class DigestItem:
    """One line of a digest: an action (or a plan item) with what to know about it."""

    code: str
    title: str
    detail: str  # French: « en retard de 155 jours (fin prévue le 30/06/2026) »
    link: str | None  # its fiche (None: an action removed since)
    status: str | None = None
    mark: str = ""  # provenance mark: « démo », « reconstitué »…
    author: str | None = None  # who made the change, when known


@dataclass(frozen=True)
class DigestSection:
    key: str
    title: str
    empty: str  # French sentence shown when nothing is listed
    items: tuple[DigestItem, ...]
    note: str | None = None


@dataclass(frozen=True)
class Digest:
    recipient: Recipient
    territory: Territory
    today: dt.date
    as_of: dt.date  # the date lateness is judged at (the territory's late_as_of)
    weeks: int
    sections: tuple[DigestSection, ...]
    app_url: str
    preferences_url: str
    unsubscribe_url: str
    figures: tuple[tuple[str, str], ...] = ()
    has_demo: bool = False
    opted_out: bool = False
    attachments: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)
    # A test copy sent from the preview page to the editor looking at it: whose digest it is.
    test_of: str | None = None

    @property
    def kind(self) -> str:
        return self.recipient.kind

    @property
    def n_items(self) -> int:
        return sum(len(section.items) for section in self.sections)

    @property
    def is_empty(self) -> bool:
        """Nothing to report: no message is sent."""
        return self.n_items == 0

    @property
    def subject(self) -> str:
        """One line (loaded names never bring a line break into a header)."""
        counts = {section.key: len(section.items) for section in self.sections}
        if self.kind == PILOT:
            what = (
                f"vos actions : {counts.get('late', 0)} en retard, "
                f"{counts.get('ending', 0)} à échéance sous {ENDING_DAYS} jours"
            )
        else:
            what = (
                f"la semaine : {plural(counts.get('changes', 0), 'changement')}, "
                f"{plural(counts.get('decisions', 0), 'point')} à décider"
            )
        text = f"Pilotage territorial — {self.territory.name} — {what} ({format_date(self.today)})"
        return ("[Essai] " if self.test_of else "") + " ".join(text.split())

    def with_attachment(self, name: str, content: bytes) -> Digest:
        return replace(self, attachments=(*self.attachments, (name, content)))


def app_link(base_url: str, page: str, **params: str) -> str:
    """An absolute link to a page of the app (the URL scheme of dashboard/navigation.py)."""
    query = urlencode(params, quote_via=quote)
    return f"{base_url}/{PAGE_PATHS[page]}?{query}"


def action_link(base_url: str, territory: Territory, code: str) -> str:
    return app_link(base_url, "action", territoire=territory.siren, action=code)


def load_digest_actions(territory_id: str) -> pd.DataFrame:
    """Actions with pilot, lateness at the territory's date, last note and météo."""
    return queries.load("digest_actions", territory=territory_id)


def load_notes_since(territory_id: str, since: dt.date) -> pd.DataFrame:
    return queries.load("digest_notes", territory=territory_id, since=since.isoformat())


def load_item_weather(territory_id: str) -> pd.DataFrame:
    return queries.load("digest_item_weather", territory=territory_id)


def _date(value: object) -> dt.date | None:
    if _missing(value):
        return None
    return pd.Timestamp(value).date()


def _days(count: int) -> str:
    return plural(count, "jour")


def judged_at(actions: pd.DataFrame, today: dt.date) -> dt.date:
    """The territory's `late_as_of` (its data's date, else today)."""
    dates = actions["late_as_of"].dropna() if "late_as_of" in actions else pd.Series()
    return _date(dates.iloc[0]) if not dates.empty else today


def late_actions(actions: pd.DataFrame) -> pd.DataFrame:
    late = actions[actions["is_late"].fillna(False).astype(bool)]
    return late.sort_values(["days_late", "sort_order"], ascending=[False, True])


def ending_actions(actions: pd.DataFrame, as_of: dt.date, days: int = ENDING_DAYS) -> pd.DataFrame:
    """Open actions, not late, whose planned end falls within `days` days of `as_of`."""
    end = pd.to_datetime(actions["planned_end"])
    start = pd.Timestamp(as_of)
    mask = (
        ~actions["is_done"].astype(bool)
        & ~actions["is_late"].fillna(False).astype(bool)
        & (end >= start)
        & (end <= start + pd.Timedelta(days=days))
    )
    return actions[mask].sort_values(["planned_end", "sort_order"])


def stale_actions(actions: pd.DataFrame, as_of: dt.date, weeks: int) -> pd.DataFrame:
    """Open actions with no follow-up note at all, or none since `weeks` weeks before `as_of`."""
    last = pd.to_datetime(actions["last_note_date"])
    threshold = pd.Timestamp(as_of - dt.timedelta(weeks=weeks))
    mask = ~actions["is_done"].astype(bool) & (last.isna() | (last < threshold))
    return actions[mask].sort_values(["last_note_date", "sort_order"], na_position="first")


def _item(row: pd.Series, detail: str, link: str | None, **extra: object) -> DigestItem:
    return DigestItem(
        code=str(row["code"]),
        title=str(row["title"]),
        detail=detail,
        link=link,
        status=None if _missing(row.get("status")) else str(row["status"]),
        mark=format_provenance(row.get("provenance")),
        **extra,
    )


def build_pilot_sections(
    actions: pd.DataFrame, territory: Territory, base_url: str, as_of: dt.date, weeks: int
) -> tuple[DigestSection, ...]:
    """The three lists of one pilot's digest, from their rows of `load_digest_actions`."""

    def link(row: pd.Series) -> str:
        return action_link(base_url, territory, str(row["code"]))

    late = tuple(
        _item(
            row,
            f"en retard de {_days(int(row['days_late']))} "
            f"(fin prévue le {format_date(row['planned_end'])})",
            link(row),
        )
        for _, row in late_actions(actions).iterrows()
    )
    ending = []
    for _, row in ending_actions(actions, as_of).iterrows():
        left = (_date(row["planned_end"]) - as_of).days
        when = "aujourd'hui" if left == 0 else f"dans {_days(left)}"
        ending.append(
            _item(row, f"fin prévue le {format_date(row['planned_end'])} ({when})", link(row))
        )
    stale = tuple(
        _item(
            row,
            "aucune note de suivi"
            if _missing(row["last_note_date"])
            else f"dernière note le {format_date(row['last_note_date'])}",
            link(row),
        )
        for _, row in stale_actions(actions, as_of, weeks).iterrows()
    )
    return (
        DigestSection("late", "Actions en retard", "Aucune action en retard.", late),
        DigestSection(
            "ending",
            f"Échéance dans les {ENDING_DAYS} prochains jours",
            f"Aucune action n'arrive à échéance dans les {ENDING_DAYS} prochains jours.",
            tuple(ending),
        ),
        DigestSection(
            "stale",
            f"Sans note de suivi depuis {plural(weeks, 'semaine')}",
            "Toutes vos actions ouvertes ont une note de suivi récente.",
            stale,
            note="Ajoutez une note sur la fiche de l'action pour tenir le suivi à jour.",
        ),
    )


def build_week_changes(
    territory: Territory, since: dt.date, base_url: str
) -> tuple[tuple[DigestItem, ...], str]:
    """What changed since `since`: the changes between the last snapshot taken before it and
    the latest one (dashboard.changes), then the follow-up notes written since, with their
    author; and a French sentence saying what it is compared with.

    The one place a director's « what changed » is made; each change carries who made it
    (action_history, online or by import) when it is known."""
    territory_id = territory.territory_id
    snapshots = queries.load_snapshots(territory_id)
    taken = pd.to_datetime(snapshots["taken_at"])
    before = snapshots[taken < pd.Timestamp(since)]
    items: list[DigestItem] = []
    if snapshots.empty or before.empty:
        basis = (
            "Aucun état du plan antérieur au "
            f"{format_date(since)} : les changements seront listés à partir du prochain résumé."
        )
    else:
        baseline, latest = before.iloc[-1], snapshots.iloc[-1]
        basis = f"Comparé à : {changes.describe_snapshot(baseline)}."
        if baseline["snapshot_id"] != latest["snapshot_id"]:
            found = queries.load_change_list(
                territory_id, baseline["snapshot_id"], latest["snapshot_id"]
            )
            for code, rows in found.groupby("code", sort=False):  # one line per action
                removed = (rows["kind"] == "removed").any()
                link = None if removed else action_link(base_url, territory, str(code))
                detail = " ; ".join(
                    f"{row.change} : {row.before} → {row.after}" for row in rows.itertuples()
                )
                authors = sorted({a for a in rows.get("author", []) if isinstance(a, str) and a})
                items.append(
                    DigestItem(
                        str(code),
                        str(rows["title"].iloc[0]),
                        detail,
                        link,
                        author=", ".join(authors) or None,
                    )
                )
    for _, note in load_notes_since(territory_id, since).iterrows():
        kind = note["note_type"] if isinstance(note["note_type"], str) else "note"
        text = " ".join(str(note["text"]).split()) if isinstance(note["text"], str) else ""
        if len(text) > 200:
            text = text[:199] + "…"
        detail = f"Note de suivi ({kind}) du {format_date(note['note_date'])}" + (
            f" : {text}" if text else ""
        )
        if note["on_item"]:
            link = app_link(base_url, "plan", territoire=territory.siren, element=note["code"])
        else:
            link = action_link(base_url, territory, str(note["code"]))
        author = note["author"] if isinstance(note["author"], str) else None
        items.append(_item(note, detail, link, author=author))
    return tuple(items), basis


def build_decisions(
    actions: pd.DataFrame,
    item_weather: pd.DataFrame,
    notes: pd.DataFrame,
    territory: Territory,
    base_url: str,
) -> tuple[DigestItem, ...]:
    """Open actions blocked, with a stormy météo or a difficulty / risk noted (in `notes`), and
    plan items with a stormy météo: what a director may have to decide."""
    risky = notes[(notes["note_type"] == DECISION_NOTE) & ~notes["on_item"].astype(bool)]
    risk_dates = risky.groupby("code")["note_date"].max()
    found = []
    for _, row in actions[~actions["is_done"].astype(bool)].iterrows():
        reasons = []
        if row["status"] == "Bloqué":
            reasons.append("à débloquer")
        if row["weather"] == STORM:
            reason = f"météo orageuse au {format_date(row['weather_date'])}"
            if isinstance(row["weather_reason"], str) and row["weather_reason"].strip():
                reason += f" ({' '.join(row['weather_reason'].split())})"
            reasons.append(reason)
        if row["code"] in risk_dates.index:
            reasons.append(f"difficulté / risque signalé le {format_date(risk_dates[row['code']])}")
        if reasons:
            found.append(
                _item(row, " ; ".join(reasons), action_link(base_url, territory, row["code"]))
            )
    for _, row in item_weather[item_weather["weather"] == STORM].iterrows():
        reason = f"météo orageuse au {format_date(row['weather_date'])}"
        if isinstance(row["weather_reason"], str):
            reason += f" ({' '.join(row['weather_reason'].split())})"
        link = app_link(base_url, "plan", territoire=territory.siren, element=row["code"])
        mark = "démo" if row["is_demo"] else format_provenance(row["item_provenance"])
        found.append(DigestItem(str(row["code"]), str(row["title"]), reason, link, mark=mark))
    return tuple(found)


def pilot_recipients(actions: pd.DataFrame) -> tuple[list[Recipient], list[str]]:
    """The pilots of the territory's actions, and the addresses skipped as invalid (French)."""
    recipients, skipped = [], []
    given = actions.dropna(subset=["pilot_email"])
    for address, rows in given.groupby("pilot_email", sort=True):
        address = str(address).strip().lower()
        if not is_email(address):
            skipped.append(f"adresse de pilote invalide ignorée : « {address} »")
            continue
        names = rows["pilot_name"].dropna()
        recipients.append(
            Recipient(address, str(names.iloc[0]) if not names.empty else None, PILOT)
        )
    return recipients, skipped


def director_recipients(
    territory: Territory, settings: DigestSettings, accounts_path: Path | None = None
) -> list[Recipient]:
    """Who receives the director's digest of a territory: the addresses listed for its SIREN
    (`[pilotage.digest.directors]`), the e-mail addresses given the editor role on it in
    `[pilotage.roles]`, and the local accounts with an `email` that are editors of it (per
    territory or of every territory; hosts are not directors)."""
    siren = territory.siren
    found: dict[str, str | None] = {address: None for address in settings.directors.get(siren, ())}
    for address, roles in settings.roles.items():
        if "editor" in (roles.get(siren), roles.get(accounts.ALL_TERRITORIES)):
            found.setdefault(address.lower(), None)
    users = accounts.load_accounts(accounts_path or accounts.accounts_path())
    for login, account in sorted(users.items()):
        email = str(account.get("email") or "").strip().lower()
        roles = accounts.territory_roles(account)
        editor = "editor" in (roles.get(siren), roles.get(accounts.ALL_TERRITORIES))
        if email and editor and found.get(email) is None:
            found[email] = account.get("name") or login
    return [Recipient(a, name, DIRECTOR) for a, name in found.items() if is_email(a)]


def recipient_urls(
    settings: DigestSettings, territory: Territory, address: str
) -> tuple[str, str, str]:
    base = settings.base_url or PREVIEW_BASE_URL
    token = unsubscribe_token(address, settings.session_secret)
    return (
        app_link(base, "overview", territoire=territory.siren),
        app_link(base, DIGEST_PAGE, territoire=territory.siren),
        app_link(
            base, DIGEST_PAGE, territoire=territory.siren, desinscription=address, jeton=token
        ),
    )


def build_digests(
    territory: Territory,
    settings: DigestSettings,
    today: dt.date,
    preferences: Mapping[str, dict],
    kinds: Iterable[str] = (PILOT, DIRECTOR),
    only: Iterable[str] = (),
    weeks: int | None = None,
) -> list[Digest]:
    """Every digest of a territory (pilots first, then directors), opted-out ones flagged;
    `only` keeps the given addresses."""
    weeks = weeks or settings.weeks
    base = settings.base_url or PREVIEW_BASE_URL
    wanted = {address.strip().lower() for address in only}
    actions = load_digest_actions(territory.territory_id)
    as_of = judged_at(actions, today)
    recipients = []
    if PILOT in kinds:
        recipients += pilot_recipients(actions)[0]
    if DIRECTOR in kinds:
        recipients += director_recipients(territory, settings)
    recipients = [r for r in recipients if not wanted or r.address in wanted]
    director_parts = None
    digests = []
    for recipient in recipients:
        app_url, preferences_url, unsubscribe_url = recipient_urls(
            settings, territory, recipient.address
        )
        figures: tuple[tuple[str, str], ...] = ()
        if recipient.kind == PILOT:
            mine = actions[actions["pilot_email"].str.lower() == recipient.address]
            sections = build_pilot_sections(mine, territory, base, as_of, weeks)
        else:
            if director_parts is None:
                director_parts = _director_parts(territory, actions, base, today, as_of, weeks)
            sections, figures = director_parts
        shown = {item.mark for section in sections for item in section.items}
        digests.append(
            Digest(
                recipient=recipient,
                territory=territory,
                today=today,
                as_of=as_of,
                weeks=weeks,
                sections=sections,
                figures=figures,
                app_url=app_url,
                preferences_url=preferences_url,
                unsubscribe_url=unsubscribe_url,
                has_demo="démo" in shown,
                opted_out=is_opted_out(recipient.address, dict(preferences)),
            )
        )
    return digests


def _director_parts(
    territory: Territory,
    actions: pd.DataFrame,
    base: str,
    today: dt.date,
    as_of: dt.date,
    weeks: int,
) -> tuple[tuple[DigestSection, ...], tuple[tuple[str, str], ...]]:
    since = today - dt.timedelta(days=CHANGE_DAYS)
    changed, basis = build_week_changes(territory, since, base)
    notes = load_notes_since(territory.territory_id, as_of - dt.timedelta(weeks=weeks))
    decisions = build_decisions(
        actions, load_item_weather(territory.territory_id), notes, territory, base
    )
    figures = kpis.build_kpis(queries.load_actions(territory.territory_id))
    items = kpis.build_kpi_items(figures, with_money=False, keys=DIRECTOR_KPIS)
    sections = (
        DigestSection(
            "changes",
            f"Ce qui a changé depuis le {format_date(since)}",
            "Aucun changement cette semaine.",
            changed,
            note=basis,
        ),
        DigestSection(
            "decisions",
            "À décider",
            "Aucune action bloquée, en météo orageuse ou signalée en difficulté.",
            decisions,
            note=(
                "Actions bloquées, en météo orageuse ou avec une difficulté / un risque noté "
                f"depuis {plural(weeks, 'semaine')} ; éléments du plan en météo orageuse."
            ),
        ),
    )
    return sections, tuple((label, value) for label, value, _help in items)
