"""The neo4j driver wiring, around the real ``neo4j`` driver and a Bolt server stub.

No neo4j server runs here, so the tests start a tiny Bolt 5.0 server (below, about 200 lines
of PackStream and message handling) that the official driver connects to for real. It
records every message, so the tests see what the driver sends: the database name, the
statements and their batches, a retry after a transient error. It can refuse credentials or
a database, and a closed local port gives the driver's real "service unavailable".
"""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from core.cli.upload import main as upload_main
from core.config import Settings
from core.errors import ConfigError, InsightsError
from core.graph import cypher, graph_data, upload_graph
from core.graph.driver import connect, display_uri
from core.upload import publish
from testkit.generated import generated_model

PASSWORD = "pw-Ne04j-do-not-print"
TRANSIENT = "Neo.TransientError.Transaction.DeadlockDetected"

# ---- a Bolt 5.0 server stub ---------------------------------------------------------------
# ---- PackStream v1 ------------------------------------------------------------------------


@dataclass(frozen=True)
class Structure:
    tag: int
    fields: tuple[Any, ...]


def pack(value: Any) -> bytes:
    if value is None:
        return b"\xc0"
    if value is True:
        return b"\xc3"
    if value is False:
        return b"\xc2"
    if isinstance(value, int):
        if -16 <= value < 128:
            return struct.pack(">b", value)
        for marker, fmt, lo, hi in ((0xC8, ">b", -(2**7), 2**7), (0xC9, ">h", -(2**15), 2**15),
                                    (0xCA, ">i", -(2**31), 2**31), (0xCB, ">q", -(2**63), 2**63)):
            if lo <= value < hi:
                return bytes([marker]) + struct.pack(fmt, value)
        raise OverflowError(value)
    if isinstance(value, float):
        return b"\xc1" + struct.pack(">d", value)
    if isinstance(value, str):
        data = value.encode("utf-8")
        return _size(len(data), 0x80, 0xD0) + data
    if isinstance(value, list | tuple):
        return _size(len(value), 0x90, 0xD4) + b"".join(pack(v) for v in value)
    if isinstance(value, dict):
        return _size(len(value), 0xA0, 0xD8) + b"".join(pack(k) + pack(v) for k, v in value.items())
    if isinstance(value, Structure):
        return bytes([0xB0 | len(value.fields), value.tag]) + b"".join(pack(f) for f in value.fields)
    raise TypeError(type(value))


def _size(n: int, tiny: int, marker: int) -> bytes:
    if n < 16:
        return bytes([tiny | n])
    if n < 2**8:
        return bytes([marker]) + struct.pack(">B", n)
    if n < 2**16:
        return bytes([marker + 1]) + struct.pack(">H", n)
    return bytes([marker + 2]) + struct.pack(">I", n)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self) -> Any:
        m = self.take(1)[0]
        if m < 0x80:
            return m
        if m >= 0xF0:
            return m - 0x100
        hi, lo = m & 0xF0, m & 0x0F
        if hi == 0x80:
            return self.take(lo).decode("utf-8")
        if hi == 0x90:
            return [self.unpack() for _ in range(lo)]
        if hi == 0xA0:
            return {self.unpack(): self.unpack() for _ in range(lo)}
        if hi == 0xB0:
            tag = self.take(1)[0]
            return Structure(tag, tuple(self.unpack() for _ in range(lo)))
        simple = {0xC0: None, 0xC2: False, 0xC3: True}
        if m in simple:
            return simple[m]
        if m == 0xC1:
            return struct.unpack(">d", self.take(8))[0]
        ints = {0xC8: ">b", 0xC9: ">h", 0xCA: ">i", 0xCB: ">q"}
        if m in ints:
            fmt = ints[m]
            return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]
        sizes = {0: ">B", 1: ">H", 2: ">I"}
        for base, kind in ((0xD0, "str"), (0xD4, "list"), (0xD8, "dict"), (0xCC, "bytes")):
            if base <= m <= base + 2:
                fmt = sizes[m - base]
                n = struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]
                if kind == "str":
                    return self.take(n).decode("utf-8")
                if kind == "bytes":
                    return self.take(n)
                if kind == "list":
                    return [self.unpack() for _ in range(n)]
                return {self.unpack(): self.unpack() for _ in range(n)}
        raise ValueError(f"unknown marker {m:#x}")


def unpack(data: bytes) -> Any:
    return _Reader(data).unpack()


# ---- messages -----------------------------------------------------------------------------

HELLO, GOODBYE, RESET, RUN, BEGIN, COMMIT, ROLLBACK, DISCARD, PULL = (
    0x01, 0x02, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x2F, 0x3F)
SUCCESS, RECORD, IGNORED, FAILURE = 0x70, 0x71, 0x7E, 0x7F
NAMES = {HELLO: "HELLO", GOODBYE: "GOODBYE", RESET: "RESET", RUN: "RUN", BEGIN: "BEGIN",
         COMMIT: "COMMIT", ROLLBACK: "ROLLBACK", DISCARD: "DISCARD", PULL: "PULL"}


@dataclass
class Message:
    name: str
    fields: tuple[Any, ...]


@dataclass
class Script:
    """How the stub answers: the password it accepts, and failures to inject."""

    password: str
    #: FAILURE code for the first RUN of each query in here (once per query)
    fail_run_once: dict[str, str] = field(default_factory=dict)
    #: FAILURE code for every BEGIN (e.g. a database that does not exist)
    fail_begin: str | None = None


class BoltStub:
    """Accepts connections on 127.0.0.1; records every message the driver sends."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.messages: list[Message] = []
        self._failed_once: set[str] = set()
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen()
        self.port = self._sock.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._stop = False
        self._accept = threading.Thread(target=self._serve, daemon=True)
        self._accept.start()

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop = True
        self._sock.close()

    def __enter__(self) -> BoltStub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            t = threading.Thread(target=self._connection, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _connection(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms delayed-ACK stalls
        with conn:
            try:
                if _recv(conn, 4) != b"\x60\x60\xb0\x17":
                    return
                _recv(conn, 16)
                conn.sendall(b"\x00\x00\x00\x05")  # Bolt 5.0
                failed = False
                pending: list[list[Any]] = []
                fields: list[str] = []
                while True:
                    message = _read_message(conn)
                    if message is None:
                        return
                    if not message:
                        continue  # NOOP
                    s = unpack(message)
                    name = NAMES.get(s.tag, hex(s.tag))
                    with self._lock:
                        self.messages.append(Message(name, s.fields))
                    if s.tag == GOODBYE:
                        return
                    if s.tag == RESET:
                        failed = False
                        _send(conn, SUCCESS, {})
                        continue
                    if failed:
                        _send(conn, IGNORED)
                        continue
                    if s.tag == HELLO:
                        if s.fields[0].get("credentials") != self.script.password:
                            _send(conn, FAILURE, {"code": "Neo.ClientError.Security.Unauthorized",
                                                  "message": "The client is unauthorized due to "
                                                             "authentication failure."})
                            failed = True
                            continue
                        _send(conn, SUCCESS, {"server": "Neo4j/5.26.0", "connection_id": "bolt-1"})
                    elif s.tag == BEGIN:
                        if self.script.fail_begin:
                            _send(conn, FAILURE, {"code": self.script.fail_begin,
                                                  "message": "Database does not exist."})
                            failed = True
                            continue
                        _send(conn, SUCCESS, {})
                    elif s.tag == RUN:
                        query = s.fields[0]
                        code = self.script.fail_run_once.get(query)
                        with self._lock:
                            first = code is not None and query not in self._failed_once
                            if first:
                                self._failed_once.add(query)
                        if first:
                            _send(conn, FAILURE, {"code": code, "message": "injected by the stub"})
                            failed = True
                            continue
                        match = re.search(r"\bAS\s+(\w+)\s*$", query)
                        fields = [match.group(1)] if match else []
                        pending = [[0]] if match else []
                        _send(conn, SUCCESS, {"fields": fields, "t_first": 1})
                    elif s.tag == PULL:
                        for record in pending:
                            _send(conn, RECORD, record)
                        pending = []
                        _send(conn, SUCCESS, {"type": "w", "t_last": 1})
                    elif s.tag == DISCARD:
                        pending = []
                        _send(conn, SUCCESS, {"type": "w"})
                    elif s.tag == COMMIT:
                        _send(conn, SUCCESS, {"bookmark": "stub:1"})
                    elif s.tag == ROLLBACK:
                        _send(conn, SUCCESS, {})
                    else:
                        _send(conn, FAILURE, {"code": "Neo.ClientError.Request.Invalid",
                                              "message": f"stub does not know {name}"})
                        failed = True
            except (OSError, ConnectionError):
                return


def _recv(conn: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _read_message(conn: socket.socket) -> bytes | None:
    data = b""
    while True:
        header = _recv(conn, 2)
        if header is None:
            return None
        size = struct.unpack(">H", header)[0]
        if size == 0:
            return data
        chunk = _recv(conn, size)
        if chunk is None:
            return None
        data += chunk


def _send(conn: socket.socket, tag: int, *fields: Any) -> None:
    data = pack(Structure(tag, fields))
    out = b""
    for start in range(0, len(data), 0xFFFF):
        part = data[start : start + 0xFFFF]
        out += struct.pack(">H", len(part)) + part
    conn.sendall(out + b"\x00\x00")


# ---- tests ----------------------------------------------------------------------------------


@pytest.fixture
def stub() -> Iterator[BoltStub]:
    with BoltStub(Script(PASSWORD, fail_run_once={cypher.MERGE_ARTISTS: TRANSIENT})) as server:
        yield server


def settings_for(uri: str, **overrides: Any) -> Settings:
    values = {"neo4j_uri": uri, "neo4j_user": "ana", "neo4j_password": PASSWORD,
              "neo4j_database": "music"}
    return Settings(**(values | overrides))


def runs(stub: BoltStub) -> list[Message]:
    return [m for m in stub.messages if m.name == "RUN"]


def test_statements_batches_database_and_retry(stub: BoltStub) -> None:
    graph = graph_data(generated_model(23, seed=1), top_n=2)
    with connect(settings_for(stub.uri)) as runner:
        report = upload_graph(runner, graph, batch_size=5)

    sent = runs(stub)
    assert {m.fields[0] for m in sent} <= set(cypher.ALL_STATEMENTS)
    # every statement in its own transaction on the configured database
    begins = [m for m in stub.messages if m.name == "BEGIN"]
    assert len(begins) == len(sent) and all(m.fields[0]["db"] == "music" for m in begins)
    assert all(m.fields[0].get("mode", "w") == "w" for m in begins)  # routed as a write
    # constraints first, in Cypher, on the real driver path
    assert [m.fields[0] for m in sent[:3]] == [c.cypher for c in cypher.CONSTRAINTS]

    artist_batches = [m.fields[1] for m in sent if m.fields[0] == cypher.MERGE_ARTISTS]
    assert len(artist_batches) == 5 + 1  # 23 artists in 5 batches, the first one retried
    assert artist_batches[0] == artist_batches[1]  # the retry resends the same batch
    assert [len(p["rows"]) for p in artist_batches[1:]] == [5, 5, 5, 5, 3]
    assert all(p["model_version"] == graph.model_version and p["upload_id"] == report.upload_id
               for p in artist_batches)
    assert sorted(r["id"] for p in artist_batches[1:] for r in p["rows"]) == \
        sorted(graph.artists["id"])
    assert sum(1 for m in stub.messages if m.name == "RESET") >= 1  # the failed tx was reset
    similar = [m.fields[1] for m in sent if m.fields[0] == cypher.MERGE_SIMILAR_TO]
    assert [len(p["rows"]) for p in similar] == [5] * 9 + [1]
    assert report.batches == sum(-(-n // 5) for n in graph.counts().values())


def test_publish_connects_with_settings(stub: BoltStub, tmp_path: Path) -> None:
    settings = settings_for(stub.uri, model_dir=tmp_path)
    result = publish("neo4j", settings, generated_model(8, seed=2))
    assert result.target == "neo4j" and result.destination == f"neo4j {stub.uri} (music)"
    hello = next(m for m in stub.messages if m.name == "HELLO")
    assert hello.fields[0]["principal"] == "ana" and hello.fields[0]["scheme"] == "basic"
    assert cypher.MERGE_SIMILAR_TO in {m.fields[0] for m in runs(stub)}


def test_wrong_password_is_explained_without_the_password() -> None:
    with BoltStub(Script("another password")) as server, pytest.raises(ConfigError) as raised, \
            connect(settings_for(server.uri)):
        pass
    message = str(raised.value)
    assert "refused the credentials of user 'ana'" in message and "NEO4J_PASSWORD" in message
    assert PASSWORD not in message and PASSWORD not in repr(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert not [m for m in server.messages if m.name == "RUN"]  # nothing was sent


def test_unknown_database_is_named() -> None:
    script = Script(PASSWORD, fail_begin="Neo.ClientError.Database.DatabaseNotFound")
    with BoltStub(script) as server, pytest.raises(ConfigError, match="NEO4J_DATABASE"), \
            connect(settings_for(server.uri)) as runner:
        upload_graph(runner, graph_data(generated_model(3, seed=1)))


def test_client_errors_are_one_line_and_scrubbed(tmp_path: Path) -> None:
    code = "Neo.ClientError.Statement.SyntaxError"
    script = Script(PASSWORD, fail_run_once={cypher.CONSTRAINTS[0].cypher: code})
    with BoltStub(script) as server, \
            pytest.raises(InsightsError, match=re.escape(code)) as raised, \
            connect(settings_for(server.uri)) as runner:
        upload_graph(runner, graph_data(generated_model(3, seed=1)))
    assert "\n" not in str(raised.value) and PASSWORD not in str(raised.value)


def test_unreachable_server_fails_fast_and_clearly() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(ConfigError) as raised, connect(settings_for(f"bolt://127.0.0.1:{port}")):
        pass
    message = str(raised.value)
    assert f"could not reach neo4j bolt://127.0.0.1:{port} (music)" in message
    assert "neo4j-export" in message and "\n" not in message
    assert PASSWORD not in message
    assert time.monotonic() - started < 10  # not after the driver's 30 s of retries


def test_missing_settings_are_named() -> None:
    with pytest.raises(ConfigError) as raised, connect(Settings(neo4j_password=PASSWORD)):
        pass
    message = str(raised.value)
    assert "NEO4J_URI, NEO4J_USER;" in message  # the password is set, so it is not listed
    assert PASSWORD not in message


@pytest.mark.parametrize("uri", ["http://x:7474", "localhost:7687", "bolt://"])
def test_bad_uri_is_a_config_error(uri: str) -> None:
    with pytest.raises(ConfigError, match="NEO4J_URI"), connect(settings_for(uri)):
        pass


def test_uri_credentials_are_never_shown() -> None:
    assert display_uri(f"neo4j+s://ana:{PASSWORD}@db.example:7687/x") == "neo4j+s://db.example:7687/x"
    assert display_uri("bolt://db:7687") == "bolt://db:7687"


def test_cli_auth_failure_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str],
                                      demo_model_dir: Path) -> None:
    with BoltStub(Script("another password")) as server:
        for name, value in {"NEO4J_URI": server.uri, "NEO4J_USER": "ana",
                            "NEO4J_PASSWORD": PASSWORD, "MODEL_DIR": str(demo_model_dir)}.items():
            monkeypatch.setenv(name, value)
        assert upload_main(["neo4j"]) == 2
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1 and "refused the credentials" in lines[0]
    assert PASSWORD not in out + err and "Traceback" not in err
