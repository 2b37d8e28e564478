"""A synthetic national load written as template CSV files, to be built by the real ETL.

    python -m bench.synthetic OUTPUT_DIR [--territories 100 --actions 500 --funding 5]

Each territory is a real EPCI of the reference (so communes, maps and indicators are real); its
plan, actions, budget and funding lines are invented, flagged `demo = oui`, and seeded so that
every run writes the same files.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from pathlib import Path

from etl import pipeline
from etl.schema import FUNDER_TYPES, PRIORITIES, SHEETS_BY_NAME, STATUSES

THEMES = ("eau", "mobilité", "habitat", "énergie", "santé", "économie", "culture", "numérique")
FUNDERS = (
    ("État", "État", "DSIL"),
    ("Région", "Région", "Fonds régional"),
    ("Département", "Département", "Aide aux communes"),
    ("Union européenne", "Europe", "FEDER"),
    ("Banque des Territoires", "Autre public", ""),
)
CHALLENGES_PER_ISSUE = 5
ISSUES = 4
assert {kind for _, kind, _ in FUNDERS} <= set(FUNDER_TYPES)


def pick_epcis(count: int, reference_dir: Path = pipeline.REFERENCE_DIR) -> list[tuple]:
    """`count` EPCI (siren, name, communes) taken evenly across France, largest codes excluded."""
    ref = pipeline.Reference.read(reference_dir).index()
    by_epci: dict[str, list[str]] = {}
    for insee, siren in ref.commune_epci.items():
        if siren:
            by_epci.setdefault(siren, []).append(insee)
    sirens = sorted(s for s in by_epci if s in ref.epci_names)
    step = max(1, len(sirens) // count)
    chosen = sirens[::step][:count]
    return [(s, ref.epci_names[s], sorted(by_epci[s])) for s in chosen]


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)


def _date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def write_territory(folder: Path, index: int, epci: tuple, actions: int, funding: int) -> None:
    siren, name, communes = epci
    rng = random.Random(index)
    folder.mkdir(parents=True, exist_ok=True)
    _write(
        folder / "territoire.csv",
        ["siren", "nom", "type", "source", "description"],
        [[siren, f"{name} (charge synthétique {index:03d})", "EPCI", "banc d'essai", ""]],
    )
    plan = []
    for issue in range(1, ISSUES + 1):
        plan.append([f"E{issue}", "", "enjeu", f"Enjeu synthétique {issue}", "oui"])
        plan += [
            [f"E{issue}.D{c}", f"E{issue}", "défi", f"Défi synthétique {issue}.{c}", "oui"]
            for c in range(1, CHALLENGES_PER_ISSUE + 1)
        ]
    _write(folder / "plan.csv", ["code", "code_parent", "niveau", "intitule", "demo"], plan)
    _write(
        folder / "contrats.csv",
        ["id", "type", "nom", "debut", "fin", "enveloppe", "demo"],
        [
            ["CRTE", "CRTE", f"CRTE {name}", "01/07/2021", "31/12/2026", "5 000 000", "oui"],
            ["CPER", "CPER", "CPER 2021-2027", "01/01/2021", "31/12/2027", "", "oui"],
        ],
    )
    action_rows, budget_rows, funding_rows = [], [], []
    for number in range(1, actions + 1):
        code = f"A{number:04d}"
        status = rng.choice(STATUSES)
        start = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(1500))
        end = start + dt.timedelta(days=rng.randrange(90, 1500))
        progress = 100 if status == "Réalisé" else rng.randrange(0, 100, 5)
        places = ", ".join(rng.sample(communes, min(len(communes), rng.randint(1, 3))))
        action_rows.append(
            [
                code,
                f"E{rng.randint(1, ISSUES)}.D{rng.randint(1, CHALLENGES_PER_ISSUE)}",
                f"Action synthétique {index:03d}-{number}",
                status,
                f"{progress} %",
                _date(start),
                _date(end),
                _date(end) if status == "Réalisé" else "",
                f"Service {rng.choice(THEMES)}",
                places,
                "|".join(rng.sample(THEMES, 2)),
                rng.choice(PRIORITIES),
                "oui",
            ]
        )
        planned = rng.randrange(10_000, 5_000_000, 1000)
        budget_rows.append(
            [code, start.year, "Investissement", "Dépense", planned, planned // 2, planned // 4]
        )
        for line in range(funding):
            funder, kind, scheme = FUNDERS[line % len(FUNDERS)]
            requested = rng.randrange(1_000, planned // 2 + 2_000, 500)
            granted = requested * rng.choice((0, 50, 80, 100)) // 100
            funding_rows.append(
                [
                    code,
                    "CRTE" if line == 0 else "",
                    funder,
                    kind,
                    scheme,
                    f"{requested:,}".replace(",", " "),
                    granted or "",
                    granted // 2 or "",
                    _date(start),
                ]
            )
    _write(
        folder / "actions.csv",
        [
            "code",
            "code_parent",
            "intitule",
            "statut",
            "avancement",
            "debut_prevu",
            "fin_prevue",
            "fin_reelle",
            "service_pilote",
            "communes",
            "thematiques",
            "priorite",
            "demo",
        ],
        action_rows,
    )
    # Rows hold the template's first columns, in its order.
    for name, rows in (("budget", budget_rows), ("financements", funding_rows)):
        header = SHEETS_BY_NAME[name].column_names[: len(rows[0])]
        _write(folder / f"{name}.csv", header, rows)


def write_synthetic_sources(
    output: Path, territories: int = 100, actions: int = 500, funding: int = 5
) -> list[str]:
    """Write the territory folders under `output`; returns their EPCI SIREN."""
    epcis = pick_epcis(territories)
    for index, epci in enumerate(epcis, start=1):
        write_territory(output / f"synthetique-{index:03d}", index, epci, actions, funding)
    return [siren for siren, _, _ in epcis]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("output", type=Path)
    parser.add_argument("--territories", type=int, default=100)
    parser.add_argument("--actions", type=int, default=500)
    parser.add_argument("--funding", type=int, default=5)
    args = parser.parse_args()
    write_synthetic_sources(args.output, args.territories, args.actions, args.funding)


if __name__ == "__main__":
    main()
