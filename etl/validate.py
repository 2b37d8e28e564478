"""Check every sheet against the template and the reference; collect every finding, stop at none."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

import pandas as pd

from etl import parsing
from etl.extract import (
    RawSheet,
    TerritorySource,
    excel_error_message,
    is_excel_error,
    nearest_name,
)
from etl.issues import ERROR, WARNING, IssueList
from etl.schema import DONE_STATUSES, KEY_FIGURES, SHEETS_BY_NAME, Column, Sheet

PARSERS: dict[str, Callable[[str], object]] = {
    "amount": parsing.parse_amount,
    "number": parsing.parse_number,
    "date": parsing.parse_date,
    "pct": parsing.parse_pct,
    "year": parsing.parse_year,
    "list": parsing.parse_list,
    "bool": parsing.parse_bool,
    "siren": parsing.parse_siren,
    "coordinate": parsing.parse_coordinate,
    "person": parsing.parse_person,
}
# Bidirectional controls reorder what a reader sees (« txt.exe » shown as « exe.txt »): removed.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _invisible(text: str) -> bool:
    """Only format characters (zero-width space, joiners, marks) and spaces: nothing to read."""
    return all(ch.isspace() or unicodedata.category(ch) in ("Cf", "Zs", "Cc") for ch in text)


Bounds = tuple[float, float, float, float]  # min longitude, min latitude, max lon, max lat
# A precise place may sit a little outside its communes' bounding boxes (a site on the border).
PLACE_MARGIN_KM = 2.0
KM_PER_DEGREE = 111.2


@dataclass
class ReferenceIndex:
    """What the validation needs to know of the national reference."""

    commune_epci: dict[str, str | None]
    epci_names: dict[str, str]
    commune_region: dict[str, str | None] = field(default_factory=dict)
    region_names: dict[str, str] = field(default_factory=dict)  # code -> name
    commune_bounds: dict[str, Bounds] = field(default_factory=dict)

    def epci_communes(self, siren: str) -> list[str]:
        return [code for code, epci in self.commune_epci.items() if epci == siren]

    def bounds_of(self, codes: list[str]) -> Bounds | None:
        boxes = [self.commune_bounds[c] for c in codes if c in self.commune_bounds]
        if not boxes:
            return None
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )


def distance_outside_km(lat: float, lon: float, bounds: Bounds) -> float:
    """How far (km, approximately) the point lies outside `bounds`; 0 inside."""
    dx = max(bounds[0] - lon, 0.0, lon - bounds[2]) * math.cos(math.radians(lat))
    dy = max(bounds[1] - lat, 0.0, lat - bounds[3])
    return math.hypot(dx, dy) * KM_PER_DEGREE


@dataclass
class ParsedTerritory:
    territory_id: str
    territory: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    key_figures: pd.DataFrame | None = None


@functools.lru_cache(maxsize=1 << 18)
def _parse_text(kind: str, choices: tuple[str, ...], text: str) -> object:
    """One cell's typed value (lists as tuples, so cached values stay immutable)."""
    if kind == "enum":
        return parsing.match_choice(text, choices)
    if kind == "list":
        return tuple(parsing.parse_list(text))
    parser = PARSERS.get(kind)
    return parser(text) if parser else text


FORMULA_PREFIXES = ("=", "+", "@")
FORMULA_KINDS = ("text", "list", "code")


def _parse_column(
    column: Column,
    texts: list[str],
    present: bool,
    room: int = 1 << 30,
    cell: Callable[[int], str | None] = lambda index: None,
) -> tuple[list[object], list[tuple[int, str, str | None, str]], dict[str, int]]:
    """Typed values of one column (lists as tuples), its first `room` findings (row index,
    severity, value, message) and the number of findings of each severity. `cell`: the
    spreadsheet reference (`J3`) of a row index, named by the message on an Excel error value.

    Each distinct text is parsed once (and remembered across sheets): plans repeat their
    statuses, dates and amounts. Only rows holding a doubtful text are looked at one by one."""
    # A refused cell reads as an empty one (a list column's is an empty list), so the checks
    # after this one still run and report everything else.
    missing = () if column.kind == "list" else None
    lookup: dict[str, object] = {"": missing}
    doubtful: dict[str, list[tuple[str, str | None, str]]] = {}
    excel_errors: set[str] = set()  # their message names the cell, so it is written row by row
    counts = Counter(texts)
    for text in counts:
        if not text:
            if column.required and present:
                doubtful[text] = [("error", None, "valeur obligatoire manquante")]
            continue
        found = []
        clean = text
        if is_excel_error(text):
            lookup[text] = missing
            excel_errors.add(text)
            doubtful[text] = [("error", text, "")]
            continue
        if not text.isascii():
            if BIDI_CONTROLS.search(text):
                clean = BIDI_CONTROLS.sub("", text)
                message = "caractères de contrôle de direction (U+202E…) retirés du texte"
                found.append(("warn", clean, message))
            if _invisible(clean):
                lookup[text] = missing
                message = "texte invisible (espaces ou caractères sans largeur seulement)"
                doubtful[text] = [("error", text.encode("unicode_escape").decode(), message)]
                continue
        if column.kind in FORMULA_KINDS and text.startswith(FORMULA_PREFIXES):
            found.append(("warn", text, "texte commençant par une formule"))
        try:
            lookup[text] = _parse_text(column.kind, column.choices, clean)
        except ValueError as exc:
            lookup[text] = missing
            found.append(("error", text, str(exc)))
        if found:
            doubtful[text] = found
    values = list(map(lookup.__getitem__, texts))
    if not doubtful:
        return values, [], {}
    totals = {"error": 0, "warn": 0}
    for text, found in doubtful.items():
        for severity, *_ in found:
            totals[severity] += counts[text]
    findings = []
    if room:
        for index, text in enumerate(texts):
            found = doubtful.get(text)
            if found is None:
                continue
            if text in excel_errors:
                found = [("error", text, excel_error_message(text, cell(index)))]
            findings += [(index, *finding) for finding in found]
            if len(findings) >= room:
                break
    return values, findings, totals


def parse_sheet(raw: RawSheet, spec: Sheet, issues: IssueList) -> pd.DataFrame:
    """Typed frame with the template's columns plus `_row`; bad cells become None and an issue."""
    file, sheet = raw.where()
    missing = [c.name for c in spec.columns if c.required and c.name not in raw.headers]
    if missing:
        found = ", ".join(h for h in raw.headers if not h.startswith("_colonne_")) or "aucune"
        message = f"colonne(s) obligatoire(s) absente(s) ; colonnes lues : {found}"
        if raw.is_csv and len(raw.headers) == 1:
            message += " — une seule colonne lue : séparez les colonnes par « ; » ou « , »"
        issues.error(file, sheet, raw.header_row, ", ".join(missing), None, message)
    known = set(spec.column_names)
    absent = [name for name in spec.column_names if name not in raw.headers]
    for header in raw.headers:
        if header in known:
            continue
        guess = nearest_name(header, absent)
        if guess:
            # A misspelt column would leave its data out (every status « À venir »): refused.
            message = f"colonne au nom non reconnu : vouliez-vous dire « {guess} » ?"
            issues.error(file, sheet, raw.header_row, header, None, message)
        else:
            issues.warn(file, sheet, raw.header_row, header, None, "colonne inconnue, ignorée")
    if not len(raw) and spec.required:
        issues.error(file, sheet, None, None, None, "aucune ligne de données sous l'en-tête")
    data: dict[str, list[object]] = {"_row": list(raw.row_numbers)}
    findings = []
    totals = {"error": 0, "warn": 0}
    room = max(issues.room(ERROR), issues.room(WARNING))
    for position, column in enumerate(spec.columns):
        present = column.name in raw.headers
        values, found, counts = _parse_column(
            column,
            raw.column(column.name),
            present,
            room,
            functools.partial(raw.cell, column.name),
        )
        data[column.name] = values
        findings += [(index, position, column.name, *rest) for index, *rest in found]
        for severity, n in counts.items():
            totals[severity] += n
    # Reported row by row, then in the template's column order, as a reader scans the sheet.
    for index, _, name, severity, value, message in sorted(findings, key=lambda f: f[:2]):
        report = issues.error if severity == "error" else issues.warn
        report(file, sheet, raw.row_numbers[index], name, value, message)
        totals[severity] -= 1
    issues.count_omitted(ERROR, totals["error"])
    issues.count_omitted(WARNING, totals["warn"])
    frame = pd.DataFrame(data, columns=["_row", *spec.column_names], dtype=object)
    return frame


def _check_unique(frame: pd.DataFrame, column: str, raw: RawSheet, issues: IssueList) -> None:
    repeated = frame[column].notna() & frame.duplicated(column, keep="first")
    for row, value in zip(frame.loc[repeated, "_row"], frame.loc[repeated, column], strict=True):
        issues.error(raw.file, raw.name, int(row), column, str(value), "code en double")


def _check_refs(
    frame: pd.DataFrame,
    column: str,
    known: set,
    raw: RawSheet,
    issues: IssueList,
    message: str,
) -> None:
    for row, value in zip(frame["_row"], frame[column], strict=True):
        if value is not None and value not in known:
            issues.error(raw.file, raw.name, int(row), column, str(value), message)


def _check_note_targets(
    notes: pd.DataFrame, plan_codes: set, raw: RawSheet, issues: IssueList
) -> None:
    """A note is about one action or one plan item; a weather comes with its reason."""
    _check_refs(notes, "element", plan_codes, raw, issues, "élément inconnu dans « plan »")
    rows = zip(
        notes["_row"],
        notes["action"],
        notes["element"],
        notes["meteo"],
        notes["raison_meteo"],
        strict=True,
    )
    for row, action, item, weather, reason in rows:
        if (action is None) == (item is None):
            issues.error(
                raw.file,
                raw.name,
                int(row),
                "action",
                None if action is None else str(action),
                "une note porte sur une action (colonne « action ») ou sur un élément du plan "
                "(colonne « element »), l'un ou l'autre",
            )
        if weather is not None and reason is None:
            issues.warn(raw.file, raw.name, int(row), "raison_meteo", None, "météo sans raison")
        if weather is None and reason is not None:
            issues.warn(raw.file, raw.name, int(row), "meteo", None, "raison de météo sans météo")


def _check_hierarchy(plan: pd.DataFrame, raw: RawSheet, issues: IssueList) -> None:
    parents = dict(zip(plan["code"], plan["code_parent"], strict=True))
    _check_refs(
        plan, "code_parent", set(parents), raw, issues, "élément parent inconnu dans « plan »"
    )
    reported: set = set()
    for row, code in zip(plan["_row"], plan["code"], strict=True):
        path, current = [code], parents.get(code)
        while current is not None and current in parents and current not in path:
            path.append(current)
            current = parents.get(current)
        if current != code or code in reported:
            continue  # not on a cycle (perhaps below one), or its cycle is already reported
        reported.update(path)
        chain = " → ".join(str(c) for c in [*path, code])
        issues.error(raw.file, raw.name, int(row), "code_parent", chain, "cycle dans la hiérarchie")


def _check_dates(frame, start, end, raw, issues, message) -> None:
    for row, first, last in zip(frame["_row"], frame[start], frame[end], strict=True):
        if isinstance(first, dt.date) and isinstance(last, dt.date) and last < first:
            issues.error(raw.file, raw.name, int(row), end, last.strftime("%d/%m/%Y"), message)


def _check_place(
    record: dict,
    raw: RawSheet,
    home: str | None,
    territory: dict,
    ref: ReferenceIndex,
    issues: IssueList,
) -> None:
    """An action's EPCI, communes and precise point: known, inside the territory (its EPCI, or
    the region of a portfolio), and the point among the action's communes."""
    row = int(record["_row"])
    region = territory.get("region")
    region_name = ref.region_names.get(region, region)

    def error(column: str, value: object, message: str) -> None:
        issues.error(raw.file, raw.name, row, column, value, message)

    epci = record["epci"] or home
    if record["epci"] and record["epci"] not in ref.epci_names:
        error("epci", record["epci"], "EPCI inconnu du référentiel")
        epci = None
    elif record["epci"] and region:
        members = ref.epci_communes(record["epci"])
        if members and not any(ref.commune_region.get(c) == region for c in members):
            error("epci", record["epci"], f"EPCI hors de la région {region_name}")
    codes = []
    for text in record["communes"]:
        try:
            code = parsing.parse_insee(text)
        except ValueError as exc:
            error("communes", text, str(exc))
            continue
        if code not in ref.commune_epci:
            error("communes", text, "code INSEE inconnu du référentiel")
        elif epci and ref.commune_epci[code] != epci:
            error("communes", text, f"commune hors de l'EPCI {ref.epci_names.get(epci, epci)}")
        elif region and ref.commune_region.get(code) != region:
            error("communes", text, f"commune hors de la région {region_name}")
        else:
            codes.append(code)
    lat, lon = record["latitude"], record["longitude"]
    if (lat is None) != (lon is None):
        error(
            "longitude" if lon is None else "latitude",
            None,
            "latitude et longitude vont ensemble : renseignez les deux ou aucune",
        )
    elif lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        error(
            "latitude",
            f"{lat} ; {lon}",
            "coordonnées hors limites (latitude -90 à 90, longitude -180 à 180)",
        )
    elif lat is not None:
        _check_point(lat, lon, codes, epci, region, ref, error)


def _check_point(
    lat: float,
    lon: float,
    codes: list[str],
    epci: str | None,
    region: str | None,
    ref: ReferenceIndex,
    error: Callable[[str, object, str], None],
) -> None:
    """The point lies among the action's communes, else in its EPCI, else in the region."""
    if codes:
        where, bounds = "des communes de l'action", ref.bounds_of(codes)
    elif epci:
        where = f"de l'EPCI {ref.epci_names.get(epci, epci)}"
        bounds = ref.bounds_of(ref.epci_communes(epci))
    elif region:
        where = f"de la région {ref.region_names.get(region, region)}"
        bounds = ref.bounds_of([c for c, r in ref.commune_region.items() if r == region])
    else:
        return
    if bounds is None:
        return
    away = distance_outside_km(lat, lon, bounds)
    if away <= PLACE_MARGIN_KM:
        return
    swapped = distance_outside_km(lon, lat, bounds) <= PLACE_MARGIN_KM
    hint = " : latitude et longitude inversées ?" if swapped else ""
    error(
        "latitude",
        f"{lat} ; {lon}",
        f"point à {away:.0f} km {where}{hint}",
    )


def _check_actions(
    actions: pd.DataFrame, raw: RawSheet, territory: dict, ref: ReferenceIndex, issues: IssueList
) -> None:
    _check_dates(
        actions, "debut_prevu", "fin_prevue", raw, issues, "fin prévue antérieure au début prévu"
    )
    _check_not_future(
        actions, "fin_reelle", raw, issues, "fin réelle dans le futur : une fin réelle est passée"
    )
    _check_not_future(
        actions, "debut_reel", raw, issues, "début réel dans le futur : un début réel est passé"
    )
    _check_dates(
        actions, "debut_reel", "fin_reelle", raw, issues, "fin réelle antérieure au début réel"
    )
    home = territory.get("siren")
    portfolio = territory.get("type") == "Portefeuille"
    names = [
        "_row", "epci", "communes", "latitude", "longitude", "fin_reelle", "statut", "avancement",
        "service_pilote",
    ]  # fmt: skip
    for values in zip(*(actions[name] for name in names), strict=True):
        record = dict(zip(names, values, strict=True))
        row = int(record["_row"])
        _check_place(record, raw, home if not portfolio else None, territory, ref, issues)
        if record["fin_reelle"] is not None and record["statut"] != "Réalisé":
            issues.warn(
                raw.file,
                raw.name,
                row,
                "fin_reelle",
                None,
                "fin réelle renseignée pour une action non réalisée",
            )
        if (
            record["statut"] == "Réalisé"
            and record["avancement"] is not None
            and record["avancement"] < 100
        ):
            issues.warn(
                raw.file,
                raw.name,
                row,
                "avancement",
                None,
                "action réalisée avec un avancement < 100 %",
            )
        if not record["service_pilote"] and record["statut"] not in DONE_STATUSES:
            issues.warn(
                raw.file, raw.name, row, "service_pilote", None, "action sans service pilote"
            )


def _check_not_future(frame, column, raw, issues, message, today: dt.date | None = None) -> None:
    """A date that records something done (an actual end, a note) cannot be after today."""
    today = today or dt.date.today()
    for row, value in zip(frame["_row"], frame[column], strict=True):
        if isinstance(value, dt.date) and value > today:
            issues.error(raw.file, raw.name, int(row), column, value.strftime("%d/%m/%Y"), message)


def _check_amount_order(frame, columns, raw, issues, message) -> None:
    for row, *values in zip(*(frame[name] for name in ["_row", *columns]), strict=True):
        for higher, lower in pairwise(values):
            if higher is not None and lower is not None and lower > higher + 0.005:
                issues.warn(raw.file, raw.name, int(row), None, None, message)
                break


def _parse_territory_row(raw: RawSheet, issues: IssueList, ref: ReferenceIndex) -> dict:
    frame = parse_sheet(raw, SHEETS_BY_NAME["territoire"], issues)
    if len(frame) != 1:
        if len(frame) > 1:
            issues.error(raw.file, raw.name, None, None, None, "une seule ligne attendue")
        return {}
    territory = frame.iloc[0].to_dict()
    territory["type"] = territory.get("type") or "EPCI"
    siren = territory.get("siren")
    region = territory.get("region")
    if region is not None:
        by_name = {parsing.fold(name): code for code, name in ref.region_names.items()}
        code = region.zfill(2) if region.isdigit() else by_name.get(parsing.fold(region))
        if code not in ref.region_names:
            issues.error(
                raw.file,
                raw.name,
                int(territory["_row"]),
                "region",
                region,
                "région inconnue du référentiel (code INSEE, ex. 32, ou nom, ex. Hauts-de-France)",
            )
        territory["region"] = code if code in ref.region_names else None
    if siren and territory["type"] == "EPCI" and siren not in ref.epci_names:
        issues.error(
            raw.file,
            raw.name,
            int(territory["_row"]),
            "siren",
            siren,
            "SIREN d'EPCI inconnu du référentiel",
        )
    return territory


def validate_territory(
    source: TerritorySource, ref: ReferenceIndex, issues: IssueList
) -> ParsedTerritory:
    """Parse and cross-check one territory's sheets."""
    folder_label = source.folder.name
    for spec in SHEETS_BY_NAME.values():
        if spec.required and spec.name not in source.sheets and source.files:
            issues.error(
                folder_label, spec.name, None, None, None, "feuille ou fichier obligatoire absent"
            )
    territory: dict = {}
    if "territoire" in source.sheets:
        territory = _parse_territory_row(source.sheets["territoire"], issues, ref)
    parsed = ParsedTerritory(source.territory_id, territory)
    if source.key_figures is not None:
        parsed.key_figures = parse_sheet(source.key_figures, KEY_FIGURES, issues)
    for name, raw in source.sheets.items():
        if name != "territoire":
            parsed.tables[name] = parse_sheet(raw, SHEETS_BY_NAME[name], issues)
    tables, sheets = parsed.tables, source.sheets
    plan_codes: set = set()
    if "plan" in tables:
        plan = tables["plan"]
        _check_unique(plan, "code", sheets["plan"], issues)
        _check_hierarchy(plan, sheets["plan"], issues)
        plan_codes = set(plan["code"].dropna())
    action_codes: set = set()
    if "actions" in tables:
        actions = tables["actions"]
        raw = sheets["actions"]
        _check_unique(actions, "code", raw, issues)
        _check_refs(
            actions, "code_parent", plan_codes, raw, issues, "élément du plan inconnu dans « plan »"
        )
        _check_actions(actions, raw, territory, ref, issues)
        action_codes = set(actions["code"].dropna())
        placed = any(bool(c) for c in actions["communes"]) or actions["epci"].notna().any()
        if territory.get("type") == "Portefeuille" and not placed:
            issues.error(
                raw.file,
                raw.name,
                None,
                "epci",
                None,
                "un portefeuille doit indiquer l'EPCI (colonne « epci ») ou les communes de ses "
                "actions : sans cela, le territoire n'a aucune commune",
            )
    contract_ids: set = set()
    if "contrats" in tables:
        contracts = tables["contrats"]
        _check_unique(contracts, "id", sheets["contrats"], issues)
        _check_dates(
            contracts,
            "debut",
            "fin",
            sheets["contrats"],
            issues,
            "fin du contrat antérieure à son début",
        )
        contract_ids = set(contracts["id"].dropna())
    if "etats_anterieurs" in tables:
        states, raw = tables["etats_anterieurs"], sheets["etats_anterieurs"]
        repeated = (
            states.duplicated(["date_etat", "action"], keep="first") & states["action"].notna()
        )
        for row, value in zip(
            states.loc[repeated, "_row"], states.loc[repeated, "action"], strict=True
        ):
            issues.error(
                raw.file,
                raw.name,
                int(row),
                "action",
                str(value),
                "action en double pour cette date",
            )
    if "suivi" in tables:
        _check_not_future(
            tables["suivi"], "date", sheets["suivi"], issues, "note de suivi datée dans le futur"
        )
        _check_note_targets(tables["suivi"], plan_codes, sheets["suivi"], issues)
    if "etats_anterieurs" in tables:
        _check_not_future(
            tables["etats_anterieurs"],
            "date_etat",
            sheets["etats_anterieurs"],
            issues,
            "état antérieur daté dans le futur",
        )
    for name in ("budget", "financements", "suivi", "etats_anterieurs"):
        if name in tables:
            _check_refs(
                tables[name],
                "action",
                action_codes,
                sheets[name],
                issues,
                "action inconnue dans « actions »",
            )
    from etl import results  # it reads this module's types

    results.check_territory(tables, sheets, plan_codes, action_codes, issues)
    if "financements" in tables:
        funding, raw = tables["financements"], sheets["financements"]
        _check_refs(
            funding, "contrat", contract_ids, raw, issues, "contrat inconnu dans « contrats »"
        )
        _check_amount_order(
            funding,
            ["demande", "accorde", "verse"],
            raw,
            issues,
            "montants incohérents : versé > accordé ou accordé > demandé",
        )
    if "budget" in tables:
        _check_amount_order(
            tables["budget"],
            ["prevu", "engage", "paye"],
            sheets["budget"],
            issues,
            "montants incohérents : payé > engagé ou engagé > prévu",
        )
    return parsed
