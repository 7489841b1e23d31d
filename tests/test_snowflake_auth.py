"""Signing in to Snowflake: every supported way, run through the real connector.

Against a fakesnow server (which accepts any credentials) the connector still does its own
part for real: it reads ``connections.toml``, decrypts an encrypted private key with the
passphrase (a wrong one fails), and picks its authenticator class from the options, which is
what these tests check. What the session has in use (warehouse, role, ...) is checked at connect;
fakesnow reports no warehouse and no role at login, which exercises exactly that failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from snowflake.connector.connection import DEFAULT_CONFIGURATION

from core.config import Settings
from core.errors import ConfigError
from core.secrets import scrub
from core.upload import targets
from core.warehouse.snowflake import SnowparkWarehouse
from core.warehouse.snowflake_auth import (
    check_context,
    connection_options,
    missing_settings,
)
from tests.conftest import start_fakesnow

PASSPHRASE = "key-passphrase-Zq8"
TOKEN = "pat-or-oauth-token-Xy7"
PASSWORD = "pw-Secret-91"
#: what the fakesnow tests may check: fakesnow reports no warehouse or role at login
FAKESNOW_CONTEXT = ("database", "schema")


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, Any]]:
    with start_fakesnow() as kwargs:
        yield kwargs


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.BestAvailableEncryption(PASSPHRASE.encode()))
    path = tmp_path_factory.mktemp("keys") / "rsa_key.p8"
    path.write_bytes(pem)
    path.chmod(0o600)
    return path


def settings_for(server: dict[str, Any], **values: Any) -> Settings:
    base = {"warehouse": "snowflake", "snowflake_account": server["account"],
            "snowflake_user": server["user"], "snowflake_database": "AUTH_DB",
            "snowflake_schema": "PUBLIC", "snowflake_host": server["host"],
            "snowflake_port": server["port"], "snowflake_protocol": server["protocol"]}
    return Settings(**(base | values))


def connect(server: dict[str, Any], settings: Settings, **extra: Any) -> SnowparkWarehouse:
    return SnowparkWarehouse.from_settings(
        settings, {"session_parameters": server["session_parameters"],
                   "server_session_keep_alive": True, **extra},  # fakesnow cannot log out
        require=FAKESNOW_CONTEXT)


def auth_class(warehouse: SnowparkWarehouse) -> str:
    return type(warehouse.session.connection.auth_class).__name__


# ---- options, checked against the connector's own list -------------------------------------


@pytest.mark.parametrize(("values", "expected"), [
    ({"snowflake_password": PASSWORD}, {"password": PASSWORD}),
    ({"snowflake_private_key_file": "/k.p8", "snowflake_private_key_file_pwd": PASSPHRASE},
     {"authenticator": "SNOWFLAKE_JWT", "private_key_file": "/k.p8",
      "private_key_file_pwd": PASSPHRASE}),
    ({"snowflake_authenticator": "externalbrowser"}, {"authenticator": "EXTERNALBROWSER"}),
    ({"snowflake_authenticator": "OAuth", "snowflake_token": TOKEN},
     {"authenticator": "OAUTH", "token": TOKEN}),
    ({"snowflake_authenticator": "programmatic_access_token",
      "snowflake_token_file_path": "/run/secrets/pat"},
     {"authenticator": "PROGRAMMATIC_ACCESS_TOKEN", "token_file_path": "/run/secrets/pat"}),
])
def test_each_sign_in_becomes_the_connectors_options(values: dict[str, str],
                                                     expected: dict[str, str]) -> None:
    settings = Settings(snowflake_account="acme", snowflake_user="ana", snowflake_database="DB",
                        snowflake_schema="S", snowflake_warehouse="WH", **values)
    options = connection_options(settings)
    assert options == {"account": "acme", "user": "ana", "database": "DB", "schema": "S",
                       "warehouse": "WH", **expected}
    assert set(options) <= set(DEFAULT_CONFIGURATION)  # names the connector knows
    assert PASSWORD not in repr(settings) and TOKEN not in repr(settings)
    assert PASSPHRASE not in repr(settings)


def test_a_named_connection_needs_nothing_else() -> None:
    settings = Settings(warehouse="snowflake", snowflake_connection_name="prod")
    assert missing_settings(settings) == [] and settings.snowflake_configured
    assert connection_options(settings) == {"connection_name": "prod"}
    assert settings.source_description == "Snowflake connection prod"
    assert {t.name: t.configured for t in targets(settings)}["snowflake"]


@pytest.mark.parametrize(("values", "named"), [
    ({}, ["SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_DATABASE", "SNOWFLAKE_SCHEMA",
          "SNOWFLAKE_PASSWORD"]),
    ({"snowflake_authenticator": "oauth"}, ["SNOWFLAKE_TOKEN"]),
    ({"snowflake_authenticator": "snowflake_jwt"}, ["SNOWFLAKE_PRIVATE_KEY_FILE"]),
    ({"snowflake_authenticator": "kerberos"}, ["SNOWFLAKE_AUTHENTICATOR"]),
])
def test_missing_sign_in_settings_are_named(values: dict[str, str], named: list[str]) -> None:
    missing = missing_settings(Settings(**values))
    for name in named:
        assert any(m.startswith(name) for m in missing), missing
    with pytest.raises(ConfigError, match=named[0]):
        connection_options(Settings(**values))


def test_context_check_names_what_is_missing() -> None:
    settings = Settings(snowflake_warehouse="BIG_WH", snowflake_database="DB")
    with pytest.raises(ConfigError) as raised:
        check_context({"warehouse": None, "role": "ANALYST", "database": "DB", "schema": None},
                      settings)
    message = str(raised.value)
    assert "SNOWFLAKE_WAREHOUSE 'BIG_WH' is not usable" in message
    assert "no schema is in use: set SNOWFLAKE_SCHEMA" in message
    assert "ROLE" not in message and "DATABASE" not in message
    check_context({"warehouse": "W", "role": "R", "database": "D", "schema": "S"}, settings)


def test_scrub_hides_every_secret() -> None:
    assert scrub(f"a {TOKEN} b {PASSWORD}{PASSWORD}", [PASSWORD, TOKEN]) == \
        "a ******** b ****************"


# ---- the connector, for real, against fakesnow ---------------------------------------------


def test_encrypted_key_pair(server: dict[str, Any], key_file: Path) -> None:
    good = settings_for(server, snowflake_private_key_file=str(key_file),
                        snowflake_private_key_file_pwd=PASSPHRASE)
    warehouse = connect(server, good)
    try:
        assert auth_class(warehouse) == "AuthByKeyPair"
        assert warehouse.description == "Snowflake fakesnow/AUTH_DB.PUBLIC"
    finally:
        warehouse.close()
    bad = settings_for(server, snowflake_private_key_file=str(key_file),
                       snowflake_private_key_file_pwd="not-the-passphrase")
    # a wrong passphrase usually breaks the AES-CBC padding ("could not decrypt key"); about one
    # time in 256 the padding comes out valid and the garbage fails as ASN.1 instead
    with pytest.raises(ConfigError,
                       match=r"could not decrypt key|Could not deserialize key data") as raised:
        connect(server, bad)
    assert "not-the-passphrase" not in str(raised.value)


@pytest.mark.parametrize(("authenticator", "expected"), [
    ("programmatic_access_token", "AuthByPAT"), ("oauth", "AuthByOAuth"),
])
def test_token_sign_in(server: dict[str, Any], authenticator: str, expected: str,
                       tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    for values in ({"snowflake_token": TOKEN}, {"snowflake_token_file_path": str(token_file)}):
        warehouse = connect(server, settings_for(server, snowflake_authenticator=authenticator,
                                                 **values))
        try:
            assert auth_class(warehouse) == expected
            assert warehouse.session.connection._token == TOKEN
        finally:
            warehouse.close()


def test_named_connection_from_connections_toml(server: dict[str, Any], tmp_path: Path) -> None:
    toml = tmp_path / "connections.toml"
    toml.write_text(
        f'[dev]\naccount = "{server["account"]}"\nuser = "{server["user"]}"\n'
        f'password = "{PASSWORD}"\nhost = "{server["host"]}"\nport = {server["port"]}\n'
        f'protocol = "{server["protocol"]}"\ndatabase = "TOML_DB"\nschema = "PUBLIC"\n')
    toml.chmod(0o600)
    settings = Settings(warehouse="snowflake", snowflake_connection_name="dev")
    warehouse = connect(server, settings, connections_file_path=toml)
    try:
        assert warehouse.description == "Snowflake fakesnow/TOML_DB.PUBLIC"
    finally:
        warehouse.close()
    # a setting that is set wins over the file (the connector's rule)
    override = Settings(warehouse="snowflake", snowflake_connection_name="dev",
                        snowflake_database="OTHER_DB")
    warehouse = connect(server, override, connections_file_path=toml)
    try:
        assert warehouse.description == "Snowflake fakesnow/OTHER_DB.PUBLIC"
    finally:
        warehouse.close()
    with pytest.raises(ConfigError, match="Invalid connection_name 'nope'") as raised:
        connect(server, Settings(warehouse="snowflake", snowflake_connection_name="nope"),
                connections_file_path=toml)
    assert PASSWORD not in str(raised.value)


def test_missing_warehouse_and_role_fail_at_connect(server: dict[str, Any]) -> None:
    """fakesnow, like Snowflake for a name the role cannot use, reports no warehouse."""
    settings = settings_for(server, snowflake_password=PASSWORD, snowflake_warehouse="TRAIN_WH")
    with pytest.raises(ConfigError) as raised:
        SnowparkWarehouse.from_settings(settings, {"session_parameters": server["session_parameters"],
                                                   "server_session_keep_alive": True})
    message = str(raised.value)
    assert "SNOWFLAKE_WAREHOUSE 'TRAIN_WH' is not usable" in message
    assert "no role is in use: set SNOWFLAKE_ROLE" in message
    assert "SNOWFLAKE_DATABASE" not in message and PASSWORD not in message


def test_env_shadow_and_readme_show_every_snowflake_setting() -> None:
    import dataclasses

    from core.config import PROJECT_ROOT

    shadow = (PROJECT_ROOT / ".env.shadow").read_text("utf-8")
    readme = (PROJECT_ROOT / "README.md").read_text("utf-8")
    names = [f.name.upper() for f in dataclasses.fields(Settings)
             if f.name.startswith("snowflake_")]
    for name in names:
        assert f"\n{name}=" in shadow, name
    for name in (n for n in names if n not in
                 ("SNOWFLAKE_HOST", "SNOWFLAKE_PORT", "SNOWFLAKE_PROTOCOL")):
        assert f"`{name}" in readme, name
    for authenticator in ("externalbrowser", "oauth", "programmatic_access_token"):
        assert authenticator in shadow and authenticator in readme
