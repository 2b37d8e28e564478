"""Command line: python -m etl build | check | template | reference."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from etl import pipeline
from etl.issues import ERROR, WARNING, IssueList, ValidationError, french_count
from etl.load import LoadCheckError


def _print_issues(issues: IssueList, limit: int = 200, warnings: bool = True) -> None:
    """The first `limit` errors (stderr) and warnings, then how many more there are."""
    for severity, found, total, stream in (
        (ERROR, issues.errors, issues.error_count, sys.stderr),
        (WARNING, issues.warnings if warnings else [], issues.warning_count, sys.stdout),
    ):
        for issue in found[:limit]:
            print(issue, file=stream)
        if found and total > min(limit, len(found)):
            more = total - min(limit, len(found))
            kind = "erreur(s)" if severity == ERROR else "avertissement(s)"
            print(f"… et {french_count(more)} autre(s) {kind}", file=stream)


def main(argv: list[str] | None = None) -> int:
    """The command line; never a traceback: an unexpected failure is one French sentence."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("Interrompu ; la base existante n'a pas été modifiée.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug or a damaged file met where none was expected
        print(
            f"Échec inattendu ({type(exc).__name__}) ; la base existante n'a pas été modifiée. "
            "Signalez-le avec la commande lancée et les fichiers concernés.",
            file=sys.stderr,
        )
        return 2


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m etl", description="Pilotage territorial — ETL")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("build", "valider puis construire la base"),
        ("check", "valider sans écrire"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--sources", type=Path, default=pipeline.SOURCES_DIR)
        cmd.add_argument("--reference", type=Path, default=pipeline.REFERENCE_DIR)
        if name == "build":
            cmd.add_argument("--output", type=Path, default=pipeline.WAREHOUSE)
        cmd.add_argument("--quiet", action="store_true", help="ne pas afficher les avertissements")
    template = sub.add_parser("template", help="écrire le modèle Excel vide")
    template.add_argument("--output", type=Path, default=Path("modele_plan_territorial.xlsx"))
    reference = sub.add_parser("reference", help="rafraîchir le référentiel depuis PyPI et npm")
    reference.add_argument("--dest", type=Path, default=pipeline.REFERENCE_DIR)
    args = parser.parse_args(argv)

    if args.command == "template":
        from etl.template import write_template

        write_template(args.output)
        print(f"Modèle écrit : {args.output}")
        return 0
    if args.command == "reference":
        from etl.reference import refresh_reference

        print(refresh_reference(args.dest))
        return 0
    started = time.perf_counter()
    if args.command == "check":
        result = pipeline.run_check(args.sources, args.reference)
    else:
        try:
            result = pipeline.run_build(args.sources, args.reference, args.output)
        except LoadCheckError as exc:
            print(f"Échec : {exc} ; la base existante n'a pas été modifiée.", file=sys.stderr)
            return 1
        except ValidationError as exc:
            _print_issues(exc.issues, warnings=not args.quiet)
            print(
                f"Échec : {french_count(exc.issues.error_count)} erreur(s) ; "
                "la base existante n'a pas été modifiée.",
                file=sys.stderr,
            )
            return 1
    _print_issues(result.issues, warnings=not args.quiet)
    if result.issues.errors:
        print(f"Échec : {french_count(result.issues.error_count)} erreur(s).", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    done = "Base construite" if args.command == "build" else "Sources valides"
    print(
        f"{done} : {len(result.territories)} territoire(s), "
        f"{french_count(result.issues.warning_count)} avertissement(s), {elapsed:.1f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
