"""Signing in to Snowflake the ways accounts require, from ``SNOWFLAKE_*`` settings.

Supported (each shown in ``.env.shadow`` and the README):

* a named connection from ``connections.toml`` (``SNOWFLAKE_CONNECTION_NAME``; the Snowflake
  CLI's file, ``~/.snowflake/connections.toml`` or ``$SNOWFLAKE_HOME/connections.toml``), read by
  the connector itself; ``SNOWFLAKE_*`` settings that are set override the file's values;
* key pair (``SNOWFLAKE_PRIVATE_KEY_FILE`` and, for an encrypted key,
  ``SNOWFLAKE_PRIVATE_KEY_FILE_PWD``);
* single sign-on in a browser (``SNOWFLAKE_AUTHENTICATOR=externalbrowser``);
* OAuth (``SNOWFLAKE_AUTHENTICATOR=oauth`` with ``SNOWFLAKE_TOKEN`` or
  ``SNOWFLAKE_TOKEN_FILE_PATH``) and programmatic access tokens
  (``SNOWFLAKE_AUTHENTICATOR=programmatic_access_token``, same token settings);
* a password (``SNOWFLAKE_PASSWORD``; Snowflake is phasing out password-only sign-in for
  people, so prefer the others).

Nothing here imports Snowpark, so the dashboard can say what is missing without the extra.
Secret values never enter a message: errors name settings, and connector messages are scrubbed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.config import Settings
from core.errors import ConfigError

#: ``SNOWFLAKE_AUTHENTICATOR`` values (lower case) and the connector's spelling of each
AUTHENTICATORS = {
    "snowflake": "SNOWFLAKE",  # password
    "username_password_mfa": "USERNAME_PASSWORD_MFA",
    "externalbrowser": "EXTERNALBROWSER",
    "snowflake_jwt": "SNOWFLAKE_JWT",  # key pair
    "oauth": "OAUTH",
    "programmatic_access_token": "PROGRAMMATIC_ACCESS_TOKEN",
}
#: authenticators that sign in with ``SNOWFLAKE_TOKEN`` / ``SNOWFLAKE_TOKEN_FILE_PATH``
TOKEN_AUTHENTICATORS = ("oauth", "programmatic_access_token")

#: what a session must have in use before any work starts: (connection attribute, setting)
CONTEXT = (
    ("warehouse", "SNOWFLAKE_WAREHOUSE"),
    ("role", "SNOWFLAKE_ROLE"),
    ("database", "SNOWFLAKE_DATABASE"),
    ("schema", "SNOWFLAKE_SCHEMA"),
)


def authenticator(settings: Settings) -> str | None:
    """The lower-case authenticator in effect: the setting, or implied by a key or a token."""
    value = (settings.snowflake_authenticator or "").strip().lower()
    if value:
        if value not in AUTHENTICATORS and not value.startswith("https://"):
            raise ConfigError(
                f"SNOWFLAKE_AUTHENTICATOR {value!r} is not known; use one of "
                + ", ".join(AUTHENTICATORS) + " (or an Okta URL)"
            )
        return value
    if settings.snowflake_private_key_file:
        return "snowflake_jwt"
    return None


def missing_settings(settings: Settings) -> list[str]:
    """Names of the settings still needed to sign in (never values).

    With ``SNOWFLAKE_CONNECTION_NAME`` the connection file supplies the rest, so nothing is
    demanded up front; what the session lacks is then reported at connect (``check_context``).
    """
    if settings.snowflake_connection_name:
        return []
    try:
        auth = authenticator(settings)
    except ConfigError:
        return ["SNOWFLAKE_AUTHENTICATOR"]
    needed = ["SNOWFLAKE_ACCOUNT"]
    if auth not in TOKEN_AUTHENTICATORS:
        needed.append("SNOWFLAKE_USER")
    needed += ["SNOWFLAKE_DATABASE", "SNOWFLAKE_SCHEMA"]
    missing = [name for name in needed if not getattr(settings, name.lower())]
    if auth in TOKEN_AUTHENTICATORS:
        if not (settings.snowflake_token or settings.snowflake_token_file_path):
            missing.append("SNOWFLAKE_TOKEN (or SNOWFLAKE_TOKEN_FILE_PATH)")
    elif auth == "snowflake_jwt":
        if not settings.snowflake_private_key_file:
            missing.append("SNOWFLAKE_PRIVATE_KEY_FILE")
    elif auth in (None, "snowflake", "username_password_mfa") and not settings.snowflake_password:
        missing.append("SNOWFLAKE_PASSWORD (or SNOWFLAKE_PRIVATE_KEY_FILE, "
                       "SNOWFLAKE_AUTHENTICATOR=externalbrowser, oauth or "
                       "programmatic_access_token)")
    return missing


def connection_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``Session.builder.configs`` (and so the connector)."""
    missing = missing_settings(settings)
    if missing:
        raise ConfigError(
            "WAREHOUSE=snowflake needs these settings (environment or .env): " + ", ".join(missing)
        )
    auth = authenticator(settings)
    options: dict[str, Any] = {
        "connection_name": settings.snowflake_connection_name,
        "account": settings.snowflake_account,
        "user": settings.snowflake_user,
        "role": settings.snowflake_role,
        "warehouse": settings.snowflake_warehouse,
        "database": settings.snowflake_database,
        "schema": settings.snowflake_schema,
        "authenticator": AUTHENTICATORS.get(auth, auth) if auth else None,
        "host": settings.snowflake_host,
        "port": settings.snowflake_port,
        "protocol": settings.snowflake_protocol,
    }
    if auth == "snowflake_jwt":
        options["private_key_file"] = settings.snowflake_private_key_file
        options["private_key_file_pwd"] = settings.snowflake_private_key_file_pwd
    elif auth in TOKEN_AUTHENTICATORS:
        options["token"] = settings.snowflake_token
        options["token_file_path"] = settings.snowflake_token_file_path
    elif auth != "externalbrowser":
        options["password"] = settings.snowflake_password
    return {k: v for k, v in options.items() if v is not None}


def describe(settings: Settings) -> str:
    """Where and as whom, for messages: account, user, host and connection name; no secret."""
    parts = []
    if settings.snowflake_connection_name:
        parts.append(f"connection {settings.snowflake_connection_name!r} of connections.toml")
    if settings.snowflake_account:
        parts.append(f"account {settings.snowflake_account}")
    if settings.snowflake_user:
        parts.append(f"as user {settings.snowflake_user}")
    if settings.snowflake_host:
        port = f":{settings.snowflake_port}" if settings.snowflake_port else ""
        parts.append(f"at {settings.snowflake_host}{port}")
    return " ".join(parts) or "Snowflake"


def check_context(current: Mapping[str, str | None], settings: Settings,
                  require: Sequence[str] = tuple(name for name, _ in CONTEXT)) -> None:
    """Fail now, naming the setting, when the session has no warehouse, role, database or
    schema in use.

    ``current`` holds what Snowflake reports for the new session (the connector keeps the
    login response's ``sessionInfo``): a name that was not set, does not exist, or that the
    role may not use comes back empty. Without this check a missing warehouse only fails at
    the first query that needs compute, in the middle of a training.
    """
    problems = []
    for attribute, setting in CONTEXT:
        if attribute not in require or current.get(attribute):
            continue
        asked = getattr(settings, setting.lower())
        if asked:
            problems.append(f"{setting} {asked!r} is not usable (it does not exist, or the role "
                            f"has no USAGE on it)")
        else:
            problems.append(f"no {attribute} is in use: set {setting}"
                            + (" (or give the connection one in connections.toml)"
                               if settings.snowflake_connection_name else "")
                            + (" or a default for the user" if attribute in ("warehouse", "role")
                               else ""))
    if problems:
        raise ConfigError(f"Snowflake {describe(settings)}: " + "; ".join(problems))
