"""A digest as an e-mail: HTML and plain text in French from dashboard/templates/digest/, and
the MIME message (both parts, optional PDF attachment, unsubscribe headers)."""

from __future__ import annotations

import email.policy
import email.utils
from email.message import EmailMessage

from dashboard.digest.build import PILOT, Digest
from dashboard.formatting import DEMO_LABEL, format_date, plural
from dashboard.templates import get_environment, render_template

HTML_TEMPLATE = "digest/message.html"
TEXT_TEMPLATE = "digest/message.txt"
# RFC 5322's line limit: a long unsubscribe link stays one plain header, not encoded words.
POLICY = email.policy.SMTP.clone(max_line_length=998)


def wording(digest: Digest) -> dict[str, str | None]:
    """The French sentences around the lists, for one digest."""
    name = digest.recipient.name
    greeting = f"Bonjour {name}," if name else "Bonjour,"
    if digest.kind == PILOT:
        title = f"Vos actions au {format_date(digest.today)}"
        intro = (
            "Voici les actions que vous pilotez et qui demandent votre attention cette semaine : "
            f"en retard, arrivant à échéance dans les 30 jours, ou sans note de suivi depuis "
            f"{plural(digest.weeks, 'semaine')}. Chaque titre mène à la fiche de l'action."
        )
        why = "Vous recevez ce résumé parce que vous êtes pilote d'actions de ce territoire."
    else:
        title = f"La semaine du plan au {format_date(digest.today)}"
        intro = (
            "Voici les chiffres clés du plan, ce qui a changé cette semaine et ce qui peut "
            "demander une décision."
        )
        why = "Vous recevez ce résumé en tant que membre de la direction de ce territoire."
    as_of_note = None
    if digest.as_of != digest.today:
        as_of_note = (
            f"Retards et échéances jugés au {format_date(digest.as_of)}, date des données du "
            "territoire."
        )
    test_note = None
    if digest.test_of:
        test_note = (
            f"Message d'essai, envoyé depuis la page « Résumés par courriel » : le résumé "
            f"de {digest.test_of}."
        )
    return {
        "title": title,
        "test_note": test_note,
        "greeting": greeting,
        "intro": intro,
        "as_of_note": as_of_note,
        "demo_note": (
            f"Les valeurs marquées [démo] sont des {DEMO_LABEL} : elles ne décrivent pas "
            "la situation réelle du territoire."
        ),
        "footer": (
            f"{why} Pour ne plus le recevoir, suivez le lien ci-dessous, ou décochez « Recevoir "
            "les résumés par courriel » sur la page « Résumés par courriel » de l'application "
            "(un éditeur du territoire peut aussi le faire pour vous)."
        ),
    }


def render_html(digest: Digest) -> str:
    return render_template(HTML_TEMPLATE, digest=digest, **wording(digest))


def render_text(digest: Digest) -> str:
    template = get_environment(autoescape=False).get_template(TEXT_TEMPLATE)
    return template.render(digest=digest, **wording(digest))


def _header_text(text: str) -> str:
    """A header value on one line: a loaded name never adds a header."""
    return " ".join(str(text).split())


def build_message(digest: Digest, sender: str) -> EmailMessage:
    """The MIME message: text and HTML alternatives, attachments, unsubscribe headers."""
    message = EmailMessage(policy=POLICY)
    message["Subject"] = _header_text(digest.subject)
    message["From"] = _header_text(sender)
    name = _header_text(digest.recipient.name or "")
    message["To"] = email.utils.formataddr((name, digest.recipient.address))
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = email.utils.make_msgid(domain="pilotage-territorial")
    message["List-Unsubscribe"] = f"<{digest.unsubscribe_url}>"
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = "fr"
    message.set_content(render_text(digest), subtype="plain", charset="utf-8")
    message.add_alternative(render_html(digest), subtype="html", charset="utf-8")
    for filename, content in digest.attachments:
        message.add_attachment(content, maintype="application", subtype="pdf", filename=filename)
    return message
