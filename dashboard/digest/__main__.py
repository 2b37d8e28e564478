"""CLI for cron: `python -m dashboard.digest --territoire SIREN [--envoyer] [--destinataire …]
[--semaines N] [--pilotes | --direction] [--rapport-commission]`.

Without --envoyer it prints what it would send. With --envoyer it is quiet on success; any
failure is said in French on stderr with a non-zero exit (1: some messages not sent, 2: wrong
argument, setting or territory), never with a traceback."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys

from dashboard.digest import build, preferences, render, send  # quiets Streamlit first
from dashboard.digest.settings import MAX_WEEKS, SettingsError, load_settings
from dashboard.formatting import format_date, plural
from dashboard.territory import TerritoryNotFound, find_territory

RULE = "─" * 72


class UsageError(ValueError):
    """A wrong argument (French)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.digest",
        description="Résumés hebdomadaires par courriel (pilotes et direction d'un territoire).",
    )
    parser.add_argument("--territoire", required=True, help="SIREN ou identifiant du territoire")
    parser.add_argument(
        "--envoyer", action="store_true", help="envoyer (sans cette option : afficher seulement)"
    )
    parser.add_argument(
        "--destinataire",
        action="append",
        default=[],
        metavar="ADRESSE",
        help="seulement ce destinataire (répétable)",
    )
    parser.add_argument(
        "--semaines",
        type=int,
        default=None,
        help="semaines sans note de suivi avant de signaler une action (défaut : réglage, sinon 4)",
    )
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--pilotes", action="store_true", help="seulement les résumés des pilotes")
    who.add_argument("--direction", action="store_true", help="seulement ceux de la direction")
    parser.add_argument(
        "--rapport-commission",
        action="store_true",
        help="joindre le Rapport de commission (PDF) au résumé de la direction",
    )
    return parser.parse_args(argv)


def collect(args: argparse.Namespace, today: dt.date) -> tuple[list[build.Digest], list[str]]:
    """The digests to send and the warnings (French)."""
    settings = load_settings()  # read again: cheap, and collect() stands alone
    if args.semaines is not None and not 1 <= args.semaines <= MAX_WEEKS:
        raise UsageError(f"--semaines : attendu un nombre de 1 à {MAX_WEEKS}")
    territory = find_territory(args.territoire)
    kinds = (build.PILOT,) if args.pilotes else (build.DIRECTOR,) if args.direction else None
    digests = build.build_digests(
        territory,
        settings,
        today,
        preferences.load_preferences(),
        kinds=kinds or (build.PILOT, build.DIRECTOR),
        only=args.destinataire,
        weeks=args.semaines,
    )
    warnings = build.pilot_recipients(build.load_digest_actions(territory.territory_id))[1]
    missing = {a.strip().lower() for a in args.destinataire} - {
        d.recipient.address for d in digests
    }
    if missing:
        raise UsageError(
            f"aucun résumé pour {', '.join(sorted(missing))} dans {territory.name} "
            "(ni pilote d'une action, ni membre de la direction)"
        )
    if not any(d.kind == build.DIRECTOR for d in digests) and kinds != (build.PILOT,):
        warnings.append(
            f"aucun destinataire pour le résumé de la direction de {territory.name} : voir "
            "`[pilotage.digest.directors]` dans le README (« Résumés par courriel »)"
        )
    if args.rapport_commission:
        from dashboard.commission_report import build_report_pdf, report_filename
        from dashboard.commission_report.scope import ReportScope

        scope = ReportScope.parse("plan")
        pdf = None
        for index, digest in enumerate(digests):
            if digest.kind == build.DIRECTOR and not digest.opted_out:
                pdf = pdf or build_report_pdf(territory, scope, today)
                digests[index] = digest.with_attachment(
                    report_filename(territory, scope, today), pdf
                )
    return digests, warnings


def status_of(digest: build.Digest) -> str | None:
    """Why a digest is not sent (French), or None."""
    if digest.opted_out:
        return "désinscrit : non envoyé"
    if digest.is_empty:
        return "rien à signaler : non envoyé"
    return None


def show(digests: list[build.Digest], sender: str) -> None:
    """What --envoyer would send: a summary line, then each message's text part."""
    sendable = [d for d in digests if status_of(d) is None]
    print(
        f"{plural(len(sendable), 'message')} à envoyer sur {len(digests)} résumé(s) "
        f"(au {format_date(dt.date.today())}) ; ajoutez --envoyer pour les envoyer."
    )
    for digest in digests:
        reason = status_of(digest)
        print(RULE)
        print(f"À : {digest.recipient.label} ({build.KIND_LABELS[digest.kind]})")
        print(f"Objet : {digest.subject}")
        for name, content in digest.attachments:
            print(f"Pièce jointe : {name} ({len(content) // 1024} Ko)")
        if reason:
            print(f"({reason})")
            continue
        print()
        print(render.build_message(digest, sender).get_body(("plain",)).get_content().rstrip())


def run(args: argparse.Namespace) -> int:
    today = dt.date.today()
    settings = load_settings()
    smtp = settings.require_sending() if args.envoyer else None  # before any work
    digests, warnings = collect(args, today)
    for warning in warnings:
        print(f"Attention : {warning}", file=sys.stderr)
    if smtp is None:
        show(digests, settings.smtp.sender if settings.smtp else "Pilotage territorial")
        return 0
    messages = [
        (digest, render.build_message(digest, smtp.sender))
        for digest in digests
        if status_of(digest) is None
    ]
    results = send.send_messages(messages, smtp, who=_who())
    failed = [result for result in results if not result.ok]
    for result in failed:
        print(
            f"Erreur : résumé pour {result.digest.recipient.address} non envoyé : {result.error}",
            file=sys.stderr,
        )
    if failed:
        print(
            f"Erreur : {len(failed)} message(s) sur {len(results)} non envoyé(s).", file=sys.stderr
        )
        return 1
    return 0


def _who() -> str:
    try:
        return f"{getpass.getuser()} (python -m dashboard.digest)"
    except (KeyError, OSError):
        return "python -m dashboard.digest"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except FileNotFoundError as error:
        print(
            f"Erreur : base de données introuvable ({error.filename or error}) : construisez-la "
            "avec `python -m etl build`.",
            file=sys.stderr,
        )
    except (SettingsError, UsageError, TerritoryNotFound) as error:
        print(f"Erreur : {error}", file=sys.stderr)
    except ValueError as error:  # unreadable preferences file, a report that cannot be made
        print(f"Erreur : {error}", file=sys.stderr)
    except Exception as error:  # cron reads French, never a traceback
        print(f"Erreur inattendue : {type(error).__name__} : {error}", file=sys.stderr)
        return 3
    return 2


if __name__ == "__main__":
    sys.exit(main())
