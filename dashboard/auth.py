"""Who may read and who may import: OIDC through `st.login`, or local accounts, or neither.

- `[auth]` in `.streamlit/secrets.toml`: Streamlit's OIDC login; editors are the e-mail addresses
  listed in `[pilotage] editors`, every other signed-in person reads.
- A local accounts file (`dashboard/accounts.py`): login + password, role reader or editor.
- Reading is open unless `PILOTAGE_ACCESS=protected` (or `[pilotage] access = "protected"`).
- With neither provider configured, the demo reads openly and import is disabled.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

from dashboard import accounts

EDITOR_PAGES = {"import_data"}
SESSION_KEY = "local_user"


@dataclass(frozen=True)
class User:
    login: str
    name: str
    role: str
    provider: str

    @property
    def is_editor(self) -> bool:
        return self.role == "editor"


def _secrets_section(name: str) -> dict:
    try:
        return dict(st.secrets[name]) if name in st.secrets else {}
    except Exception:  # no secrets file, or one that does not parse: no configuration
        return {}


def oidc_provider() -> str | None:
    """None without `[auth]`; "" for a single provider, else the first named provider."""
    auth = _secrets_section("auth")
    if not auth:
        return None
    named = [key for key, value in auth.items() if isinstance(value, dict)]
    return named[0] if named else ""


def local_accounts_enabled() -> bool:
    return bool(accounts.load_accounts(accounts.accounts_path()))


def access_mode() -> str:
    """ "protected" (sign in to read) or "open"."""
    setting = os.environ.get("PILOTAGE_ACCESS") or _secrets_section("pilotage").get("access")
    return "protected" if setting == "protected" else "open"


def is_configured() -> bool:
    return oidc_provider() is not None or local_accounts_enabled()


def current_user() -> User | None:
    if oidc_provider() is not None and st.user.get("is_logged_in"):
        email = str(st.user.get("email") or "")
        editors = {e.lower() for e in _secrets_section("pilotage").get("editors", [])}
        role = "editor" if email.lower() in editors else "reader"
        return User(email, str(st.user.get("name") or email), role, "oidc")
    local = st.session_state.get(SESSION_KEY)
    if local:
        return User(local["login"], local.get("name") or local["login"], local["role"], "local")
    return None


def import_disabled_reason(user: User | None) -> str | None:
    """Why this person cannot import, in French; None when they can."""
    if not is_configured():
        return (
            "L'import est désactivé : aucun compte n'est configuré sur ce serveur. "
            "Un administrateur peut créer un compte éditeur "
            "(`python -m dashboard.accounts add-user LOGIN --role editor`) ou configurer "
            "un fournisseur d'identité OIDC dans `.streamlit/secrets.toml` "
            "(voir le README, « Accès »)."
        )
    if user is None:
        return "Connectez-vous avec un compte éditeur pour importer des données."
    if not user.is_editor:
        return "Votre compte est en lecture seule : l'import est réservé aux éditeurs."
    return None


def page_visible(page_file: str, user: User | None) -> bool:
    """Editor pages are hidden from readers; with no accounts at all they show why they are off."""
    if page_file not in EDITOR_PAGES:
        return True
    return not is_configured() or (user is not None and user.is_editor)


def render_local_login(key: str) -> None:
    with st.form(key, border=False):
        login = st.text_input("Identifiant", key=f"{key}_login")
        password = st.text_input("Mot de passe", type="password", key=f"{key}_password")
        if st.form_submit_button("Se connecter"):
            account = accounts.authenticate(accounts.accounts_path(), login, password)
            if account is None:
                st.error("Identifiant ou mot de passe incorrect.")
            else:
                st.session_state[SESSION_KEY] = account
                st.rerun()


def render_login(key: str) -> None:
    provider = oidc_provider()
    if provider is not None and st.button("Se connecter (compte de la collectivité)", key=key):
        if provider:
            st.login(provider)
        else:
            st.login()
    if local_accounts_enabled():
        render_local_login(f"{key}_local")


def render_account(user: User | None) -> None:
    """Sidebar: who is signed in and a way out, or a way in."""
    if not is_configured():
        return
    if user is None:
        with st.sidebar.expander("Connexion"):
            render_login("sidebar_login")
        return
    role = accounts.ROLE_LABELS.get(user.role, user.role)
    st.sidebar.caption(f"Connecté : {user.name} ({role})")
    if st.sidebar.button("Se déconnecter", key="logout"):
        st.session_state.pop(SESSION_KEY, None)
        if user.provider == "oidc":
            st.logout()
        st.rerun()


def gate() -> User | None:
    """Stop here with a sign-in form when reading is protected and nobody is signed in."""
    user = current_user()
    if access_mode() == "protected" and user is None:
        st.title("Pilotage territorial")
        if not is_configured():
            st.error(
                "Lecture protégée mais aucun compte ni fournisseur d'identité n'est configuré."
            )
        else:
            st.info("Connectez-vous pour consulter le tableau de bord.")
            render_login("gate_login")
        st.stop()
    return user
