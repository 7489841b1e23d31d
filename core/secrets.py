"""The one secret scrubber: every message shown or logged goes through ``scrub``.

Drivers quote what they were given (a password in ``NEO4J_URI``, a connection string in an
error), so messages are cleaned where they leave the program rather than trusted at their
source: the console scripts' error line, the dashboard's error boxes and every log record.
What is removed: the value of every secret setting (the ``Settings`` fields kept out of
``repr``), also as it appears percent-encoded inside a URI, and the user-info part of any URI
(``bolt://user:password@host`` -> ``bolt://********@host``).
"""

from __future__ import annotations

import logging
import os
import re
import traceback
from collections.abc import Iterable
from dataclasses import fields
from urllib.parse import quote, unquote, urlsplit

from core.config import Settings

#: what a secret is replaced by
SECRET = "********"

#: ``scheme://user-info@``; user-info cannot contain "/", "@" or white space
_URI_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<info>[^/@\s]+)@")


def secret_settings() -> tuple[str, ...]:
    """Names of the secret settings (upper case), e.g. ``NEO4J_PASSWORD``."""
    return tuple(f.name.upper() for f in fields(Settings) if not f.repr)


def configured_secrets(settings: Settings | None = None) -> list[str]:
    """Every secret value set in ``settings`` or the environment, longest first.

    The environment is read too, so a secret is scrubbed even when the settings failed to
    load (the error about that may quote it). Passwords inside a URI setting count as well.
    """
    values: set[str] = set()
    for name in secret_settings():
        values.add(os.environ.get(name, ""))
        if settings is not None:
            values.add(getattr(settings, name.lower()) or "")
    uris = [os.environ.get("NEO4J_URI", "")]
    if settings is not None:
        uris.append(settings.neo4j_uri or "")
    for uri in uris:
        try:
            password = urlsplit(uri).password
        except ValueError:
            password = None
        if password:
            values.update({password, unquote(password)})
    values = {v.strip() for v in values if v and v.strip()}
    return sorted(values | {quote(v, safe="") for v in values}, key=len, reverse=True)


def scrub(text: object, secrets: Iterable[str] | None = None) -> str:
    """``text`` without secrets: the given ones (default: every configured one) and URI user-info."""
    result = _URI_USERINFO.sub(lambda m: f"{m['scheme']}{SECRET}@", str(text))
    for secret in configured_secrets() if secrets is None else secrets:
        if secret:
            result = result.replace(secret, SECRET)
    return result


def message(exc: BaseException) -> str:
    """An exception as one scrubbed line, for an error box or the console."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return scrub(text)


_installed = False


def install_log_scrubber() -> None:
    """Scrub every log record (message, arguments and traceback) of this process, once.

    A record factory is the one hook every logger and handler goes through, so a driver's
    own log lines are covered too.
    """
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def scrubbed_record(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            text = record.getMessage()
        except Exception:  # a malformed record must still be logged, as the logging module does
            return record
        record.msg, record.args = scrub(text), ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)).rstrip())
        return record

    logging.setLogRecordFactory(scrubbed_record)
