"""Sending the digests with smtplib: STARTTLS, SSL or plain, login when configured, a timeout on
every network step. One refused message does not stop the others; each outcome is journalled
and any failure described in French."""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage

from dashboard import journal
from dashboard.digest.build import KIND_LABELS, Digest
from dashboard.digest.settings import SmtpSettings


@dataclass(frozen=True)
class SendResult:
    digest: Digest
    error: str | None  # French; None when the server accepted the message

    @property
    def ok(self) -> bool:
        return self.error is None


def connect(smtp: SmtpSettings) -> smtplib.SMTP:
    """An open, secured and authenticated SMTP session."""
    context = ssl.create_default_context(cafile=smtp.ca_file)  # hostname and chain checked
    if smtp.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout, context=context
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        client.ehlo()
        if smtp.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
    except BaseException:
        client.close()
        raise
    return client


def describe_error(error: BaseException, smtp: SmtpSettings) -> str:
    """What went wrong, in French, for the person reading cron's mail."""
    server = f"{smtp.host}:{smtp.port}"
    if isinstance(error, ConnectionRefusedError):
        return f"connexion refusée par le serveur SMTP {server} (serveur arrêté ou mauvais port ?)"
    if isinstance(error, TimeoutError | socket.timeout):
        return f"le serveur SMTP {server} ne répond pas (délai de {smtp.timeout:g} s dépassé)"
    if isinstance(error, socket.gaierror):
        return f"serveur SMTP « {smtp.host} » introuvable (nom inconnu)"
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"certificat du serveur SMTP {server} refusé ({error.verify_message}) : s'il est "
            "signé par une autorité interne, indiquez-la (`ca_file` sous [pilotage.smtp] ou "
            "PILOTAGE_SMTP_CA_FILE)"
        )
    if isinstance(error, ssl.SSLError):
        return f"échec de la connexion chiffrée avec {server} ({error.reason or error})"
    if isinstance(error, smtplib.SMTPNotSupportedError) and "AUTH" in str(error):
        return (
            f"le serveur {server} ne propose pas d'authentification sur cette connexion : "
            "vérifiez la sécurité (starttls ou ssl), ou retirez l'utilisateur SMTP"
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return (
            f"le serveur {server} ne propose pas STARTTLS : réglez la sécurité sur « ssl » "
            "ou « none »"
        )
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"identifiant ou mot de passe SMTP refusé par {server} (code {error.smtp_code})"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(
            f"{address} ({code} {_reply(reply)})"
            for address, (code, reply) in error.recipients.items()
        )
        return f"destinataire refusé par le serveur : {refused}"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return (
            f"expéditeur « {error.sender} » refusé ({error.smtp_code} {_reply(error.smtp_error)})"
        )
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"le serveur SMTP {server} a coupé la connexion"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"le serveur SMTP a répondu {error.smtp_code} {_reply(error.smtp_error)}"
    if isinstance(error, OSError):
        return f"erreur réseau avec {server} : {error.strerror or error}"
    return f"erreur SMTP : {error}"


def _reply(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())


def _journal(digest: Digest, error: str | None, who: str | None, via: str) -> None:
    journal.record(
        "digest_sent" if error is None else "digest_failed",
        who,
        via,
        territory=digest.territory.siren,
        recipient=digest.recipient.address,
        kind=KIND_LABELS[digest.kind],
        test_of=digest.test_of,
        items=digest.n_items,
        attachments=[name for name, _content in digest.attachments],
        error=error,
    )


def send_messages(
    messages: Iterable[tuple[Digest, EmailMessage]],
    smtp: SmtpSettings,
    who: str | None = None,
    via: str = "cli",
) -> list[SendResult]:
    """Send each message over one session, reconnecting after a failed message; when the
    server cannot be reached at all, the remaining messages fail with that reason. Journalled
    as sent `via` the CLI (cron) or the preview page (a test)."""
    results: list[SendResult] = []
    client: smtplib.SMTP | None = None
    unreachable: str | None = None
    try:
        for digest, message in messages:
            error = unreachable
            if error is None:
                try:
                    if client is None:
                        try:
                            client = connect(smtp)
                        except (OSError, smtplib.SMTPException) as failure:
                            unreachable = describe_error(failure, smtp)
                            raise
                    client.send_message(message)
                except (OSError, smtplib.SMTPException) as failure:
                    error = unreachable or describe_error(failure, smtp)
                    client = _drop(client)
            _journal(digest, error, who, via)
            results.append(SendResult(digest, error))
    finally:
        if client is not None:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
    return results


def _drop(client: smtplib.SMTP | None) -> None:
    """Forget a session after a failure (the next message opens a new one)."""
    if client is not None:
        try:
            client.rset()
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
