"""Who may read and who may import: OIDC through `st.login`, or local accounts, or neither.

- `[auth]` in `.streamlit/secrets.toml`: Streamlit's OIDC login. Roles come from `[pilotage]`:
  `editors` / `hosts` (e-mail lists, every territory), `[pilotage.roles]` (e-mail -> roles per
  territory), a claim of the provider (`roles_claim`), and ProConnect's `siret` claim
  (`siret_role`: the agent's own organisation, SIREN = the SIRET's first nine digits).
- A local accounts file (`dashboard/accounts.py`): login + password, a role per territory or
  for all. A sign-in survives a reload (signed cookie, `dashboard/sessions.py`), ends after
  `PILOTAGE_SESSION_IDLE_MINUTES` without activity, and wrong passwords are slowed down.
- Reading is open unless `PILOTAGE_ACCESS=protected` (or `[pilotage] access = "protected"`).
- With neither provider configured, the demo reads openly and import is disabled.
Sign-ins, sign-outs and refusals are journalled (`dashboard/journal.py`), with `record` for
imports, restores and exports.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import streamlit as st

from dashboard import accounts, journal, sessions

EDITOR_PAGES = {"import_data"}
# Listed in the navigation for editors only, yet reachable by link by anyone: the page checks
# who may see what (the digests' unsubscribe and « manage » links open it).
EDITOR_LISTED_PAGES = {"digest"}
SESSION_KEY = "local_user"
COOKIE_OP_KEY = "pilotage_cookie_op"  # a cookie value to set, or DELETE, at the next run
NOTICE_KEY = "pilotage_auth_notice"
OIDC_SEEN_KEY = "pilotage_oidc_seen"
DELETE = "delete"
ALL = accounts.ALL_TERRITORIES
RANK = accounts.ROLE_RANK


@dataclass(frozen=True)
class User:
    login: str
    name: str
    role: str  # the highest role held, for display
    provider: str
    roles: Mapping[str, str] = field(default_factory=dict)  # SIREN or "*" -> role
    email: str = ""  # matched with an action's pilot e-mail (contributors)
    services: Mapping[str, str] = field(default_factory=dict)  # SIREN or "*" -> service

    @property
    def is_editor(self) -> bool:
        """Editor (or host) of at least one territory."""
        return any(RANK.get(role, 0) >= RANK["editor"] for role in self.roles.values()) or (
            self.role == "editor"
        )

    @property
    def is_host(self) -> bool:
        return self.roles.get(ALL) == accounts.HOST


def best_role(roles: Mapping[str, str]) -> str | None:
    return max(roles.values(), key=lambda role: RANK.get(role, 0), default=None)


def _merge(roles: dict[str, str], territory: str, role: str) -> None:
    """Keep the higher of two roles given for one territory; unknown roles are ignored."""
    if role in RANK and RANK[role] > RANK.get(roles.get(territory, ""), 0):
        if role == accounts.HOST and territory != ALL:
            return  # host is over every territory, never one
        roles[territory] = role


def role_for(user: User | None, territory_id: str) -> str | None:
    """The role of `user` on the territory of SIREN `territory_id`: reader, contributor, editor,
    host, or None (no access). Anyone reads when reading is open."""
    if user is None:
        return "reader" if access_mode() == "open" else None
    candidates = [user.roles.get(territory_id), user.roles.get(ALL)]
    role = max((r for r in candidates if r), key=lambda r: RANK.get(r, 0), default=None)
    if role is None and access_mode() == "open":
        return "reader"
    return role


def readable_territories(user: User | None) -> set[str] | None:
    """SIRENs `user` may read; None means every territory (open reading, or a role on "*")."""
    if access_mode() == "open":
        return None
    if user is None:
        return set()
    if ALL in user.roles:
        return None
    return set(user.roles)


def _plain(value: object) -> object:
    """st.secrets sections as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _secrets_section(name: str) -> dict:
    try:
        return _plain(st.secrets[name]) if name in st.secrets else {}
    except Exception:  # no secrets file, or one that does not parse: no configuration
        return {}


def oidc_roles(claims: Mapping[str, object], settings: Mapping[str, object]) -> dict[str, str]:
    """Roles of a person signed in by OIDC, from their claims and `[pilotage]` settings:
    `default_role` ("reader" unless set, "" for none) on every territory; `editors` and `hosts`
    (e-mail lists) on every territory; `[pilotage.roles]` e-mail -> {SIREN: role}; the claim
    named by `roles_claim` ({SIREN: role} or ["SIREN:role", …]); `siret_role` on the SIREN of
    the `siret` claim (ProConnect: the agent's organisation)."""
    email = str(claims.get("email") or "").strip().lower()
    roles: dict[str, str] = {}
    default = settings.get("default_role", "reader")
    if default:
        _merge(roles, ALL, str(default))
    if email and email in {str(e).lower() for e in settings.get("editors", [])}:
        _merge(roles, ALL, "editor")
    if email and email in {str(e).lower() for e in settings.get("hosts", [])}:
        _merge(roles, ALL, accounts.HOST)
    mapping = {str(k).lower(): v for k, v in dict(settings.get("roles") or {}).items()}
    granted: list[tuple[str, str]] = list(dict(mapping.get(email) or {}).items())
    claim = settings.get("roles_claim")
    value = claims.get(str(claim)) if claim else None
    if isinstance(value, Mapping):
        granted += [(str(k), str(v)) for k, v in value.items()]
    elif isinstance(value, list):
        granted += [tuple(str(item).split(":", 1)) for item in value if ":" in str(item)]
    siret = "".join(ch for ch in str(claims.get("siret") or "") if ch.isdigit())
    if settings.get("siret_role") and len(siret) == 14:
        granted.append((siret[:9], str(settings["siret_role"])))
    for territory, role in granted:
        territory = str(territory).strip()
        if territory == ALL or (territory.isdigit() and len(territory) == 9):
            _merge(roles, territory, str(role).strip())
    return roles


def oidc_services(claims: Mapping[str, object], settings: Mapping[str, object]) -> dict[str, str]:
    """The service a person signed in by OIDC belongs to, per territory: `[pilotage.services]`
    e-mail -> {SIREN: service}, and the claim named by `service_claim` (e.g. ProConnect's
    `organizational_unit`) on every territory. A contributor updates their service's actions."""
    email = str(claims.get("email") or "").strip().lower()
    services: dict[str, str] = {}
    claim = settings.get("service_claim")
    if claim and str(claims.get(str(claim)) or "").strip():
        services[ALL] = str(claims[str(claim)]).strip()
    mapping = {str(k).lower(): v for k, v in dict(settings.get("services") or {}).items()}
    for territory, service in dict(mapping.get(email) or {}).items():
        if str(service).strip():
            services[str(territory).strip()] = str(service).strip()
    return services


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


def behind_proxy() -> bool:
    """Set by `deploy/serve.py` (or `[pilotage] behind_proxy = true`): only then is nginx's
    X-Real-IP the client's address; without a proxy anyone could send that header."""
    setting = os.environ.get("PILOTAGE_BEHIND_PROXY") or _secrets_section("pilotage").get(
        "behind_proxy"
    )
    return str(setting).lower() in {"1", "true", "yes"}


def client_address() -> str | None:
    """The browser's address: nginx's X-Real-IP behind the proxy, else the connection's (None
    on localhost)."""
    if behind_proxy():
        real = st.context.headers.get("X-Real-IP")
        if real:
            return real.strip()
    return st.context.ip_address


def _secret() -> bytes:
    return sessions.session_secret(_secrets_section("pilotage").get("session_secret"))


def record(
    event: str,
    user: User | None = None,
    who: str | None = None,
    provider: str | None = None,
    **what: object,
) -> None:
    """Journal an event (who, when, from where, what): sign-ins here; imports, restores and
    exports from the pages, e.g. `auth.record("export", user, territory=tid, file="x.xlsx")`."""
    journal.record(
        event,
        user.login if user else who,
        user.provider if user else provider,
        client_address(),
        **what,
    )


def _oidc_user() -> User:
    email = str(st.user.get("email") or "")
    claims, settings = dict(st.user.to_dict()), _secrets_section("pilotage")
    roles = oidc_roles(claims, settings)
    name = str(st.user.get("name") or email)
    services = oidc_services(claims, settings)
    user = User(email, name, best_role(roles) or "", "oidc", roles, email.lower(), services)
    if not st.session_state.get(OIDC_SEEN_KEY):
        st.session_state[OIDC_SEEN_KEY] = True
        issued = str(st.user.get("iat") or "")
        if sessions.first_sight(f"oidc:{email}:{issued}"):  # once per sign-in, not per reload
            record("sign_in", user, roles=roles)
    return user


def _user_of(account: dict, provider: str = "local") -> User:
    roles = account.get("roles") or accounts.territory_roles(account)
    role = best_role(roles) or account.get("role") or "reader"
    login = account["login"]
    email = account.get("email") or (login if "@" in login else "")
    return User(
        login,
        account.get("name") or login,
        role,
        provider,
        roles,
        email.lower(),
        account.get("services") or {},
    )


def _expire(local: dict) -> None:
    st.session_state.pop(SESSION_KEY, None)
    st.session_state[COOKIE_OP_KEY] = DELETE
    minutes = sessions.idle_seconds() / 60
    st.session_state[NOTICE_KEY] = (
        f"Votre session a pris fin (après {minutes:g} min sans activité, ou une déconnexion) : "
        "reconnectez-vous."
    )
    record("session_expired", who=local.get("login"), provider="local")


def _local_account() -> dict | None:
    """The local sign-in of this session: kept in session state while it stays live in the
    store, or resumed from the browser's cookie after a reload."""
    local = st.session_state.get(SESSION_KEY)
    if local:
        if local.get("cookie") and sessions.resume(local["cookie"], _secret()) is None:
            _expire(local)
            return None
        return local
    cookie = st.context.cookies.get(sessions.COOKIE)
    if not isinstance(cookie, str) or not cookie or st.session_state.get(COOKIE_OP_KEY) == DELETE:
        return None
    login = sessions.resume(cookie, _secret())
    account = accounts.find_account(accounts.accounts_path(), login) if login else None
    if account is None:  # ended, idle, forged, or the account was removed: forget the cookie
        if not st.session_state.get("pilotage_cookie_cleared"):
            st.session_state["pilotage_cookie_cleared"] = True
            st.session_state[COOKIE_OP_KEY] = DELETE
        return None
    st.session_state[SESSION_KEY] = {**account, "cookie": cookie}
    return st.session_state[SESSION_KEY]


def current_user() -> User | None:
    if oidc_provider() is not None and st.user.get("is_logged_in"):
        return _oidc_user()
    local = _local_account()
    return _user_of(local) if local else None


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


def territory_import_refused(user: User | None, siren: str) -> str | None:
    """Why this person cannot import into the territory of SIREN `siren`; None when they can
    (editor of that territory, or host). Checked on the server before any upload is read."""
    reason = import_disabled_reason(user)
    if reason:
        return reason
    if RANK.get(role_for(user, siren) or "", 0) < RANK["editor"]:
        return (
            "Votre compte n'est pas éditeur de ce territoire : l'import y est réservé à ses "
            "éditeurs (et aux comptes hôtes)."
        )
    return None


def page_visible(page_file: str, user: User | None) -> bool:
    """Editor pages are hidden from readers; with no accounts at all they show why they are off."""
    if page_file not in EDITOR_PAGES:
        return True
    return not is_configured() or (user is not None and user.is_editor)


def page_listed(page_file: str, user: User | None) -> bool:
    """Whether the navigation lists the page (a hidden page still opens from its URL)."""
    return page_file not in EDITOR_LISTED_PAGES or (user is not None and user.is_editor)


def _sign_in(login: str, password: str) -> None:
    address = client_address()
    wait = sessions.retry_after(login, address)
    if wait > 0:
        record("sign_in_throttled", who=login.strip(), provider="local")
        st.error(
            "Trop de tentatives pour ce compte ou depuis cette adresse : "
            f"réessayez dans {math.ceil(wait)} s."
        )
        return
    account = accounts.authenticate(accounts.accounts_path(), login, password)
    if account is None:
        sessions.record_failure(login, address)
        record("sign_in_failed", who=login.strip(), provider="local")
        wait = sessions.retry_after(login, address)
        st.error(
            "Identifiant ou mot de passe incorrect."
            + (f" Prochain essai possible dans {math.ceil(wait)} s." if wait > 0 else "")
        )
        return
    sessions.record_success(account["login"])
    cookie = sessions.start(account["login"], _secret())
    st.session_state[SESSION_KEY] = {**account, "cookie": cookie}
    st.session_state[COOKIE_OP_KEY] = cookie
    st.session_state.pop("pilotage_cookie_cleared", None)
    record("sign_in", _user_of(account), roles=account["roles"])
    st.rerun()


def render_local_login(key: str) -> None:
    with st.form(key, border=False):
        login = st.text_input("Identifiant", key=f"{key}_login")
        password = st.text_input("Mot de passe", type="password", key=f"{key}_password")
        if st.form_submit_button("Se connecter"):
            _sign_in(login, password)


def render_login(key: str) -> None:
    provider = oidc_provider()
    if provider is not None and st.button("Se connecter (compte de la collectivité)", key=key):
        if provider:
            st.login(provider)
        else:
            st.login()
    if local_accounts_enabled():
        render_local_login(f"{key}_local")


def _cookie_is_secure() -> bool:
    if behind_proxy() and st.context.headers.get("X-Forwarded-Proto") == "https":
        return True
    return str(st.context.url or "").startswith("https://")


def render_cookie_update() -> None:
    """Set or delete the sign-in cookie in the browser, once, after a sign-in or a sign-out.

    Streamlit cannot send a Set-Cookie header from a script run, so a few lines of JavaScript
    do it (`st.html`): the cookie cannot be HttpOnly. SameSite=Strict keeps other sites' pages
    from sending it; Secure over HTTPS; no expiry date (it ends with the browser), and the
    server ends it after the idle time anyway."""
    operation = st.session_state.pop(COOKIE_OP_KEY, None)
    if operation is None:
        return
    secure = "; Secure" if _cookie_is_secure() else ""
    value = "" if operation == DELETE else operation
    expiry = "; Max-Age=0" if operation == DELETE else ""
    cookie = f"{sessions.COOKIE}={value}; Path=/; SameSite=Strict{expiry}{secure}"
    st.sidebar.html(
        f"<script>document.cookie = {json.dumps(cookie)};</script>", unsafe_allow_javascript=True
    )


def describe_roles(roles: Mapping[str, str]) -> str:
    """« éditeur », or « lecteur ; éditeur : 200068666 » for roles per territory."""
    labels = accounts.ROLE_LABELS
    parts = [labels.get(roles[ALL], roles[ALL])] if ALL in roles else []
    by_role: dict[str, list[str]] = {}
    for territory, role in sorted(roles.items()):
        if territory != ALL:
            by_role.setdefault(role, []).append(territory)
    parts += [f"{labels.get(role, role)} : {', '.join(t)}" for role, t in by_role.items()]
    return " ; ".join(parts)


def render_account(user: User | None) -> None:
    """Sidebar: who is signed in and a way out, or a way in."""
    render_cookie_update()
    if not is_configured():
        return
    if notice := st.session_state.pop(NOTICE_KEY, None):
        st.sidebar.warning(notice)
    if user is None:
        with st.sidebar.expander("Connexion"):
            render_login("sidebar_login")
        return
    st.sidebar.caption(f"Connecté : {user.name} ({describe_roles(user.roles) or user.role})")
    if st.sidebar.button("Se déconnecter", key="logout"):
        local = st.session_state.pop(SESSION_KEY, None)
        if local and local.get("cookie"):
            sessions.end(local["cookie"], _secret())
            st.session_state[COOKIE_OP_KEY] = DELETE
        record("sign_out", user)
        if user.provider == "oidc":
            st.logout()
        st.rerun()


def gate() -> User | None:
    """Stop here with a sign-in form when reading is protected and nobody is signed in."""
    user = current_user()
    if access_mode() == "protected" and user is None:
        render_cookie_update()
        st.title("Pilotage territorial")
        if not is_configured():
            st.error(
                "Lecture protégée mais aucun compte ni fournisseur d'identité n'est configuré."
            )
        else:
            if notice := st.session_state.pop(NOTICE_KEY, None):
                st.warning(notice)
            st.info("Connectez-vous pour consulter le tableau de bord.")
            render_login("gate_login")
        st.stop()
    return user
