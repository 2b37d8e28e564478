"""SCDL *Subventions* (OpenDataFrance, schema.data.gouv.fr `scdl/subventions` 2.1.1).

Export: the funding lines the territory itself awards (funder type « EPCI » for an EPCI, « Région »
for a Région's portfolio) with an amount granted, one SCDL row each. What the plan does not hold
(the beneficiary and its SIRET, payment conditions and dates, EU notification, the awarding
body's SIRET) comes from a complement table the user fills per action; a line still missing a
required value is listed as « à compléter », never filled with a guess.

Import: a funder's SCDL file, reconciled with the territory's funding lines of that funder:
the file's rows whose beneficiary SIRET belongs to the territory are paired with the lines by
object (action title or code) and date, then classed as concordant, different amounts, absent
from the file or absent from the plan."""

from __future__ import annotations

import datetime as dt
import difflib
import unicodedata
from dataclasses import dataclass

import pandas as pd

from dashboard.formats import upstream as up
from dashboard.formats.common import (
    FormatError,
    neutralise,
    read_upload,
    schema_fields,
    siret_is_valid,
    to_csv_bytes,
    validate_csv,
)

SCHEMA = "scdl-subventions"
AWARDING_TYPES = {"EPCI": "EPCI", "Portefeuille": "Région"}
NATURE = "aide en numéraire"  # a funding line is an amount in euros
COMPLEMENT_COLUMNS = [
    "action",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "referenceDecision",
    "dateConvention",
    "conditionsVersement",
    "datesPeriodeVersement",
    "notificationUE",
]
REQUIRED_FROM_COMPLEMENT = ("conditionsVersement", "datesPeriodeVersement", "notificationUE")
OBJECT_MAX = 256
DEMO_WITHHELD = "données de démonstration, non publiées"
MATCH_THRESHOLD = 0.6
AMOUNT_TOLERANCE = 0.5  # €: rounding of the funder's file
STATUSES = (
    "Concordant",
    "Montant différent",
    "Absent du fichier du financeur",
    "Absent du plan",
)
RECONCILE_COLUMNS = [
    ("statut", "Rapprochement", "text"),
    ("action_code", "Action", "text"),
    ("action_title", "Intitulé", "text"),
    ("funder", "Financeur (plan)", "text"),
    ("granted", "Accordé (plan)", "euros"),
    ("montant", "Montant (fichier)", "euros"),
    ("ecart", "Écart", "euros"),
    ("objet", "Objet (fichier)", "text"),
    ("dateConvention", "Date de convention", "date"),
    ("decision_date", "Date de décision (plan)", "date"),
    ("idBeneficiaire", "SIRET bénéficiaire", "text"),
    ("critere", "Critères de rapprochement", "text"),
]


@dataclass
class ScdlExport:
    rows: pd.DataFrame  # one SCDL row per awarded line, every value a string
    incomplete: pd.DataFrame  # awarded lines left out, with what is missing

    def to_csv(self) -> bytes:
        return to_csv_bytes(self.rows, schema_fields(SCHEMA))


def awarded_lines(territory: up.Territory, funding: pd.DataFrame) -> pd.DataFrame:
    """The territory's own funding lines with an amount granted (what SCDL publishes)."""
    own = AWARDING_TYPES.get(territory.territory_type, "EPCI")
    return funding[(funding["funder_type"] == own) & funding["granted"].notna()]


def build_complement_template(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per action of the awarded lines, the complement columns empty, for the user."""
    actions = lines.drop_duplicates("action_code")
    frame = pd.DataFrame({"action": actions["action_code"], "intitule": actions["action_title"]})
    for column in COMPLEMENT_COLUMNS[1:]:
        frame[column] = ""
    return frame.reset_index(drop=True)


def parse_date(text: str) -> dt.date | None:
    """`2026-03-23` or `23/03/2026`; None when empty; FormatError when unreadable."""
    text = (text or "").strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise FormatError(f"date « {text} » illisible (écrire 23/03/2026 ou 2026-03-23)")


def parse_period(text: str) -> str:
    """`datesPeriodeVersement`: one date or `début/fin`, French or ISO dates, as ISO 8601."""
    parts = [p for p in (text or "").replace(" au ", "/").split("/") if p.strip()]
    if len(parts) in (3, 6) and all(p.strip().isdigit() for p in parts):  # 23/03/2026[/…]
        parts = ["/".join(parts[i : i + 3]) for i in range(0, len(parts), 3)]
    dates = [parse_date(p) for p in parts]
    if not 1 <= len(dates) <= 2:
        raise FormatError(f"période « {text} » illisible (une date, ou début/fin)")
    return "/".join(d.isoformat() for d in dates)


def parse_yes_no(text: str) -> str:
    value = (text or "").strip().lower()
    if value in ("oui", "o", "true", "vrai", "1"):
        return "oui"
    if value in ("non", "n", "false", "faux", "0"):
        return "non"
    raise FormatError(f"« {text} » : écrire oui ou non")


def _complement_of(complements: pd.DataFrame | None, code: str) -> dict[str, str]:
    if complements is None or complements.empty:
        return {}
    match = complements[complements["action"].astype(str).str.strip() == code]
    if match.empty:
        return {}
    row = match.iloc[0]
    return {c: str(row[c]).strip() for c in COMPLEMENT_COLUMNS if c in row and not pd.isna(row[c])}


def build_scdl_row(
    line: pd.Series, territory: up.Territory, siret: str, extra: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """One SCDL row of an awarded line, and what is missing or wrong (empty: publishable)."""
    problems = []
    row = dict.fromkeys(schema_fields(SCHEMA), "")

    def take(name: str, convert=lambda v: v) -> None:
        value = extra.get(name, "")
        if not value:
            return
        try:
            row[name] = convert(value)
        except FormatError as error:
            problems.append(f"{name} : {error}")

    row["nomAttribuant"] = neutralise(territory.name)
    row["idAttribuant"] = siret
    take("dateConvention", lambda v: parse_date(v).isoformat())
    if not row["dateConvention"] and not pd.isna(line["decision_date"]):
        row["dateConvention"] = pd.Timestamp(line["decision_date"]).date().isoformat()
    take("referenceDecision", neutralise)
    take("nomBeneficiaire", neutralise)
    take("idBeneficiaire", lambda v: v.replace(" ", ""))
    take("rnaBeneficiaire", lambda v: v.replace(" ", "").upper())
    row["objet"] = neutralise(line["action_title"])[:OBJECT_MAX]
    row["montant"] = f"{float(line['granted']):.2f}"
    row["nature"] = NATURE
    take("conditionsVersement", lambda v: neutralise(v)[:OBJECT_MAX])
    take("datesPeriodeVersement", parse_period)
    take("notificationUE", parse_yes_no)
    row["pourcentageSubvention"] = "1"  # one beneficiary per funding line
    if not row["dateConvention"]:
        problems.append("dateConvention (ni date de décision ni date de convention)")
    if not row["nomBeneficiaire"]:
        problems.append("nomBeneficiaire")
    if not row["idBeneficiaire"] and not row["rnaBeneficiaire"]:
        problems.append("idBeneficiaire ou rnaBeneficiaire")
    if row["idBeneficiaire"] and not siret_is_valid(row["idBeneficiaire"]):
        problems.append(f"idBeneficiaire « {row['idBeneficiaire']} » n'est pas un SIRET valide")
    problems += [name for name in REQUIRED_FROM_COMPLEMENT if not row[name]]
    return row, problems


def check_attribuant_siret(siret: str, territory: up.Territory) -> str:
    siret = (siret or "").replace(" ", "")
    if not siret_is_valid(siret):
        raise FormatError(
            f"SIRET de l'attribuant « {siret} » invalide : 14 chiffres dont la clé de contrôle."
        )
    if not siret.startswith(str(territory.siren)):
        raise FormatError(
            f"Le SIRET {siret} n'est pas un établissement du SIREN {territory.siren} "
            f"({territory.name})."
        )
    return siret


def build_scdl_export(
    territory: up.Territory,
    funding: pd.DataFrame,
    attribuant_siret: str,
    complements: pd.DataFrame | None = None,
    include_demo: bool = False,
) -> ScdlExport:
    """SCDL rows of the lines the territory awards; the others listed with what they lack.

    SCDL has no provenance field: a line of invented (demo) amounts is withheld unless
    `include_demo` (a trial file, never one to publish)."""
    siret = check_attribuant_siret(attribuant_siret, territory)
    rows, missing = [], []
    for _, line in awarded_lines(territory, funding).iterrows():
        row, problems = build_scdl_row(
            line, territory, siret, _complement_of(complements, line["action_code"])
        )
        if bool(line["is_demo"]) and not include_demo:
            problems = [DEMO_WITHHELD, *problems]
        if problems:
            missing.append(
                {
                    "action": line["action_code"],
                    "intitule": line["action_title"],
                    "accorde": line["granted"],
                    "manque": ", ".join(dict.fromkeys(problems)),
                }
            )
        else:
            rows.append(row)
    return ScdlExport(
        pd.DataFrame(rows, columns=schema_fields(SCHEMA)),
        pd.DataFrame(missing, columns=["action", "intitule", "accorde", "manque"]),
    )


def validate_scdl(data: bytes) -> list[str]:
    """Errors against the published SCDL schema, plus its SIRET custom checks."""
    errors = validate_csv(data, SCHEMA)
    frame = read_upload(data, "subventions.csv")
    for column in ("idAttribuant", "idBeneficiaire"):
        if column not in frame:
            continue
        for index, value in frame[column].items():
            if value and not siret_is_valid(value):
                errors.append(f"ligne {index + 2}, colonne « {column} » : SIRET invalide ({value})")
    if {"idBeneficiaire", "rnaBeneficiaire"} <= set(frame.columns):
        for index, row in frame.iterrows():
            if not row["idBeneficiaire"] and not row["rnaBeneficiaire"]:
                errors.append(f"ligne {index + 2} : ni idBeneficiaire ni rnaBeneficiaire")
    return errors


def read_scdl(data: bytes, filename: str) -> tuple[pd.DataFrame, list[str]]:
    """A funder's SCDL file: its rows (text) and the schema errors found (French)."""
    frame = read_upload(data, filename)
    needed = ["nomAttribuant", "idBeneficiaire", "objet", "montant", "dateConvention"]
    absent = [c for c in needed if c not in frame.columns]
    if absent:
        raise FormatError(
            f"{filename} : colonnes SCDL absentes : {', '.join(absent)} "
            f"(colonnes lues : {', '.join(frame.columns)})."
        )
    errors = validate_scdl(data)
    return frame, errors


def _plain(text: object) -> str:
    value = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return " ".join("".join(c if c.isalnum() else " " for c in value.lower()).split())


def _amount(text: str) -> float | None:
    try:
        return float(str(text).replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except ValueError:
        return None


def _score(line: pd.Series, row: pd.Series) -> tuple[float, list[str]]:
    """How well a file row fits a plan line: object (title or code), then date."""
    reasons = []
    code = _plain(line["action_code"])
    text = _plain(f"{row.get('objet', '')} {row.get('referenceDecision', '')}")
    similarity = difflib.SequenceMatcher(None, _plain(line["action_title"]), _plain(row["objet"]))
    score = similarity.ratio()
    if code and f" {code} " in f" {text} ":
        score, reasons = max(score, 1.0), ["code de l'action"]
    elif score >= MATCH_THRESHOLD:
        reasons = ["objet"]
    try:
        convention = parse_date(row["dateConvention"])
    except FormatError:
        convention = None
    if convention and not pd.isna(line["decision_date"]):
        gap = abs((pd.Timestamp(line["decision_date"]).date() - convention).days)
        if gap == 0:
            score += 0.3
            reasons.append("date")
        elif gap <= 60:
            score += 0.15
            reasons.append("date proche")
    amount = _amount(row["montant"])
    granted = None if pd.isna(line["granted"]) else float(line["granted"])
    # Two lines of one action (two dispositifs) tie on the object: equal amounts pair first.
    if amount is not None and granted is not None and abs(granted - amount) < AMOUNT_TOLERANCE:
        score += 0.05
    return score, reasons


def reconcile(
    lines: pd.DataFrame, scdl_rows: pd.DataFrame, beneficiary_sirens: set[str]
) -> pd.DataFrame:
    """Pair the funder's file rows (those whose beneficiary SIRET starts with one of
    `beneficiary_sirens`) with the plan's lines of that funder, best pairs first, one to one."""
    ours = scdl_rows[
        scdl_rows["idBeneficiaire"]
        .astype(str)
        .str.replace(" ", "")
        .str[:9]
        .isin(beneficiary_sirens)
    ]
    pairs = []
    for li, line in lines.iterrows():
        for ri, row in ours.iterrows():
            score, reasons = _score(line, row)
            if reasons and reasons[0] in ("code de l'action", "objet"):
                pairs.append((score, li, ri, reasons))
    used_lines, used_rows, records = set(), set(), []
    for _score_value, li, ri, reasons in sorted(pairs, key=lambda p: -p[0]):
        if li in used_lines or ri in used_rows:
            continue
        used_lines.add(li)
        used_rows.add(ri)
        records.append(_record(lines.loc[li], ours.loc[ri], ["SIRET", *reasons]))
    records += [_record(line, None, []) for li, line in lines.iterrows() if li not in used_lines]
    records += [_record(None, row, ["SIRET"]) for ri, row in ours.iterrows() if ri not in used_rows]
    frame = pd.DataFrame(records, columns=[c for c, _, _ in RECONCILE_COLUMNS])
    order = {s: i for i, s in enumerate(STATUSES)}
    return frame.sort_values("statut", key=lambda s: s.map(order), kind="stable").reset_index(
        drop=True
    )


def _record(line: pd.Series | None, row: pd.Series | None, reasons: list[str]) -> dict:
    amount = None if row is None else _amount(row["montant"])
    granted = None if line is None or pd.isna(line["granted"]) else float(line["granted"])
    if line is None:
        status = "Absent du plan"
    elif row is None:
        status = "Absent du fichier du financeur"
    elif granted is not None and amount is not None and abs(granted - amount) < AMOUNT_TOLERANCE:
        status = "Concordant"
    else:
        status = "Montant différent"
    try:
        convention = None if row is None else parse_date(row["dateConvention"])
    except FormatError:
        convention = None
    both = amount is not None and granted is not None
    return {
        "statut": status,
        "action_code": None if line is None else line["action_code"],
        "action_title": None if line is None else line["action_title"],
        "funder": None if line is None else line["funder"],
        "granted": granted,
        "montant": amount,
        "ecart": amount - granted if both and row is not None and line is not None else None,
        "objet": None if row is None else row["objet"],
        "dateConvention": convention,
        "decision_date": None if line is None else line["decision_date"],
        "idBeneficiaire": None if row is None else row["idBeneficiaire"],
        "critere": ", ".join(reasons),
    }


def funder_choices(funding: pd.DataFrame, territory: up.Territory) -> list[str]:
    """Funders of the plan's lines other than the territory itself, most granted first."""
    own = AWARDING_TYPES.get(territory.territory_type, "EPCI")
    others = funding[funding["funder_type"] != own]
    totals = others.groupby("funder")["granted"].sum(min_count=1).sort_values(ascending=False)
    return list(totals.index)


def guess_funder(choices: list[str], scdl_rows: pd.DataFrame) -> str | None:
    """The plan's funder whose name is closest to the file's nomAttribuant."""
    names = scdl_rows["nomAttribuant"].dropna().astype(str)
    if names.empty or not choices:
        return None
    name = _plain(names.mode().iloc[0])
    best = max(choices, key=lambda c: difflib.SequenceMatcher(None, _plain(c), name).ratio())
    return best


def load_funding(territory_key: str) -> tuple[up.Territory, pd.DataFrame]:
    """The territory (SIREN or id) and its funding lines, from the warehouse."""
    territory = up.find_territory(territory_key)
    return territory, up.queries.load_funding_lines(territory.territory_id)


def reconcile_file(
    territory_key: str, data: bytes, filename: str, funder: str | None = None
) -> tuple[pd.DataFrame, list[str], str | None]:
    """Reconciliation table of a funder's SCDL file with the plan, the file's schema errors and
    the plan funder it was compared with."""
    territory, funding = load_funding(territory_key)
    rows, errors = read_scdl(data, filename)
    funder = funder or guess_funder(funder_choices(funding, territory), rows)
    lines = funding[(funding["funder"] == funder) & funding["granted"].notna()]
    return reconcile(lines, rows, beneficiary_sirens(territory)), errors, funder


def beneficiary_sirens(territory: up.Territory) -> set[str]:
    """The territory's SIREN and, for a portfolio, those of the EPCI its actions are in."""
    found = up.run_sql("scdl_beneficiaries", territory=territory.territory_id)
    return {str(siren) for siren in found["siren"]}


def summarise(table: pd.DataFrame) -> dict[str, int]:
    return {status: int((table["statut"] == status).sum()) for status in STATUSES}
