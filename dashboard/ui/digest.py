"""Streamlit pieces of Résumés par courriel: the unsubscribe link, who is looking, the digest
chosen, its preview (HTML, text, .eml), the choice to receive it and the list of recipients."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard import accounts, auth, sessions
from dashboard.digest import build, preferences, render, send
from dashboard.digest.settings import DigestSettings, SettingsError, is_email, load_settings
from dashboard.territory import Territory
from dashboard.ui.widgets import safe_text

UNSUBSCRIBE_PARAM, TOKEN_PARAM = "desinscription", "jeton"
# Test sends go through the real SMTP server: a few per person and per ten minutes.
TEST_SENDS, TEST_WINDOW_S = 3, 600.0


@dataclass(frozen=True)
class Viewer:
    user: auth.User | None
    address: str | None  # the person's own e-mail address, when known
    is_editor: bool  # editor of this territory: sees every digest


def get_settings() -> DigestSettings:
    try:
        return load_settings()
    except SettingsError as error:
        st.error(f"Réglages des résumés incorrects : {safe_text(error)}")
        st.stop()


def own_address(user: auth.User | None) -> str | None:
    """A signed-in person's e-mail: their OIDC login, or their local account's `email`."""
    if user is None:
        return None
    if is_email(user.login.strip().lower()):
        return user.login.strip().lower()
    account = accounts.load_accounts(accounts.accounts_path()).get(user.login, {})
    email = str(account.get("email") or "").strip().lower()
    return email if is_email(email) else None


def _record(user: auth.User | None, address: str, opted_out: bool, how: str, siren: str) -> None:
    preferences.set_opt_out(address, opted_out, user.login if user else how)
    who = None if user else address
    auth.record(
        "digest_preference",
        user,
        who=who,
        provider=None if user else how,
        territory=siren,
        recipient=address,
        opted_out=opted_out,
    )


def render_unsubscribe_link(territory: Territory, settings: DigestSettings) -> bool:
    """The signed link of a message (`?desinscription=…&jeton=…`): confirm, no sign-in needed.
    True when the URL carried such a link (the page shows nothing else)."""
    address = st.query_params.get(UNSUBSCRIBE_PARAM)
    if not address:
        return False
    address = address.strip().lower()
    if not preferences.check_token(
        address, st.query_params.get(TOKEN_PARAM, ""), settings.session_secret
    ):
        st.error(
            "Ce lien de désinscription est invalide ou incomplet : copiez-le en entier depuis le "
            "courriel, ou connectez-vous pour gérer vos résumés."
        )
        return True
    opted_out = preferences.is_opted_out(address, preferences.load_preferences())
    st.subheader("Désinscription")
    if opted_out:
        st.success(f"L'adresse {safe_text(address)} ne reçoit plus les résumés par courriel.")
        if st.button("Recevoir de nouveau les résumés", key="digest_resubscribe"):
            _record(None, address, False, "lien du courriel", territory.siren)
            st.rerun()
    else:
        st.write(f"Ne plus envoyer les résumés hebdomadaires à {safe_text(address)} ?")
        if st.button("Confirmer la désinscription", key="digest_unsubscribe", type="primary"):
            _record(None, address, True, "lien du courriel", territory.siren)
            st.rerun()
    return True


def get_viewer(territory: Territory) -> Viewer:
    """Who is looking; stops with a French explanation when nobody may see a digest here."""
    user = auth.current_user()
    if user is None:
        if not auth.is_configured():
            st.info(
                "Les aperçus des résumés sont réservés aux éditeurs du territoire et à leurs "
                "destinataires : aucun compte n'est configuré sur ce serveur (voir le README, "
                "« Accès » et « Résumés par courriel »)."
            )
        else:
            st.info("Connectez-vous pour voir vos résumés par courriel et choisir de les recevoir.")
        st.stop()
    rank = accounts.ROLE_RANK.get(auth.role_for(user, territory.siren) or "", 0)
    return Viewer(user, own_address(user), rank >= accounts.ROLE_RANK["editor"])


def load_digests(
    territory: Territory, settings: DigestSettings, viewer: Viewer
) -> list[build.Digest]:
    """Every digest of the territory for an editor; the viewer's own ones otherwise."""
    digests = build.build_digests(
        territory, settings, dt.date.today(), preferences.load_preferences()
    )
    if viewer.is_editor:
        return digests
    return [d for d in digests if d.recipient.address == viewer.address]


def _label(digest: build.Digest) -> str:
    parts = [digest.recipient.label, build.KIND_LABELS[digest.kind]]
    if digest.opted_out:
        parts.append("désinscrit")
    elif digest.is_empty:
        parts.append("rien à signaler")
    return " — ".join(parts)


def select_digest(digests: list[build.Digest], viewer: Viewer) -> build.Digest | None:
    if not digests:
        if viewer.is_editor:
            st.info(
                "Aucun destinataire dans ce territoire : aucune action n'a de pilote avec une "
                "adresse électronique et aucune direction n'est configurée."
            )
        else:
            st.info(
                "Aucun résumé ne vous est adressé dans ce territoire"
                + (f" ({safe_text(viewer.address)})." if viewer.address else ".")
            )
        return None
    index = st.selectbox(
        "Destinataire",
        range(len(digests)),
        format_func=lambda i: _label(digests[i]),
        key="digest_recipient",
    )
    return digests[index]


def render_preview(digest: build.Digest, settings: DigestSettings) -> None:
    sender = settings.smtp.sender if settings.smtp else "Pilotage territorial"
    message = render.build_message(digest, sender)
    st.markdown(f"**Objet :** {safe_text(digest.subject)}")
    st.caption(f"À : {safe_text(digest.recipient.label)} · De : {safe_text(sender)}")
    if digest.opted_out:
        st.warning("Cette personne s'est désinscrite : ce résumé ne lui est pas envoyé.")
    elif digest.is_empty:
        st.info("Rien à signaler : ce résumé n'est pas envoyé cette semaine.")
    html_tab, text_tab = st.tabs(["Message", "Texte brut"])
    with html_tab:
        st.html(render.render_html(digest))
    with text_tab:
        st.code(render.render_text(digest), language=None, wrap_lines=True)
    st.download_button(
        "Télécharger le message (.eml)",
        message.as_bytes(),
        file_name=f"resume-{digest.territory.territory_id}-{digest.kind}.eml",
        mime="message/rfc822",
        key="digest_eml",
    )


def addressed_to_viewer(
    digest: build.Digest, settings: DigestSettings, viewer: Viewer
) -> build.Digest:
    """The digest addressed to the viewer, subject marked « [Essai] », its links (preferences,
    unsubscribe) the viewer's own: a click in the test message never unsubscribes the pilot."""
    _app, preferences_url, unsubscribe_url = build.recipient_urls(
        settings, digest.territory, viewer.address
    )
    recipient = build.Recipient(viewer.address, viewer.user.name, digest.recipient.kind)
    return dataclasses.replace(
        digest,
        recipient=recipient,
        test_of=digest.recipient.label,
        preferences_url=preferences_url,
        unsubscribe_url=unsubscribe_url,
    )


def render_test_send(digest: build.Digest, settings: DigestSettings, viewer: Viewer) -> None:
    """Editors: send the digest shown to their own address, through the configured server."""
    if not viewer.is_editor:
        return
    if settings.smtp is None:
        st.caption(
            "Envoi d'essai indisponible : aucun serveur SMTP n'est configuré (voir le README, "
            "« Résumés par courriel »)."
        )
        return
    if not viewer.address:
        st.caption("Envoi d'essai indisponible : votre compte n'a pas d'adresse électronique.")
        return
    if not st.button(
        f"M'envoyer ce résumé pour essai ({viewer.address})",
        key="digest_test_send",
        icon=":material/send:",
        help="Le message tel que le destinataire le recevra, adressé à vous seul, objet "
        "« [Essai] ».",
    ):
        return
    wait = sessions.take_turn(f"digest-test:{viewer.user.login}", TEST_SENDS, TEST_WINDOW_S)
    if wait > 0:
        st.warning(
            f"Pas plus de {TEST_SENDS} envois d'essai en dix minutes : réessayez dans "
            f"{int(wait // 60) + 1} min."
        )
        return
    copy = addressed_to_viewer(digest, settings, viewer)
    message = render.build_message(copy, settings.smtp.sender)
    [result] = send.send_messages(
        [(copy, message)], settings.smtp, who=viewer.user.login, via="page"
    )
    if result.ok:
        st.success(f"Message d'essai envoyé à {safe_text(viewer.address)}.")
    else:
        st.error(f"Message d'essai non envoyé : {safe_text(result.error)}")


def render_receive_choice(address: str | None, viewer: Viewer, territory: Territory) -> None:
    """The person's choice to receive the digests (their own, or anyone's for an editor)."""
    if not address:
        return
    own = address == viewer.address
    if not (own or viewer.is_editor):
        return
    opted_out = preferences.is_opted_out(address, preferences.load_preferences())

    def changed() -> None:
        receive = st.session_state["digest_receive"]
        _record(viewer.user, address, not receive, "page", territory.siren)

    st.session_state["digest_receive"] = not opted_out  # the store leads, whoever is shown
    st.checkbox(
        "Recevoir les résumés par courriel" + ("" if own else f" ({address})"),
        key="digest_receive",
        on_change=changed,
        help="Vaut pour tous les territoires. Chaque courriel rappelle comment se désinscrire.",
    )


def render_recipients(digests: list[build.Digest]) -> None:
    """Editors: who receives what this week."""
    rows = [
        {
            "Destinataire": d.recipient.label,
            "Résumé": build.KIND_LABELS[d.kind],
            "Éléments": d.n_items,
            "Envoi": "non (désinscrit)"
            if d.opted_out
            else "non (rien à signaler)"
            if d.is_empty
            else "oui",
        }
        for d in digests
    ]
    st.subheader("Destinataires cette semaine")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(
        "Envoi par cron : `python -m dashboard.digest --territoire SIREN --envoyer` "
        "(voir le README, « Résumés par courriel »)."
    )
