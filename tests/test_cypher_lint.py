"""Every Cypher text the product can send or write, linted by Neo4j's own linter.

No neo4j server installs here, so the texts are checked with ``@neo4j-cypher/language-support``
(the linter of Neo4j's VS Code extension and Workspace, npm, pinned in tools/cypher-lint/) in
Cypher 5 and Cypher 25. Collected generically: every string in ``core.graph.cypher`` (plain
constants, tuples, the constraint/index/stale-delete objects), every piece of an exported
``graph.cypher`` and ``constraints.cypher`` built from names that need escaping, and every
statement an upload actually sent. Any error or warning (e.g. a deprecation) fails the test.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from core.config import PROJECT_ROOT
from core.graph import cypher, export_files, graph_data, upload_graph
from testkit.generated import generated_model

LINTER = PROJECT_ROOT / "tools" / "cypher-lint"
VERSIONS = ("5", "25")
NAMES = ["Guns N' Roses", 'say "hi"', "back\\slash\\", "坂本真綾", "🎸 and 𝄞", "cr\rlf\n",
         "control\x01\x1f\x7f", "line\u2028sep", "'; MATCH (n) DETACH DELETE n //", "", "$rows"]


#: the parameters the uploader and the script's ``:param`` lines define, so the linter knows them
PARAMETERS = {"rows": [{"id": 1}], "model_version": "v", "upload_id": 1, "limit": 10}


def lint(texts: dict[str, str], console_commands: bool = False) -> list[dict[str, Any]]:
    """The linter's findings for each named text, in every Cypher version."""
    node = shutil.which("node")
    assert node, "Node.js is needed to lint Cypher (.ci/run installs it)"
    assert (LINTER / "node_modules" / "@neo4j-cypher" / "language-support").is_dir(), (
        "the Cypher linter is not installed: run `npm ci` in tools/cypher-lint (make test does)")
    request = {"texts": [{"name": k, "cypher": v} for k, v in texts.items()],
               "versions": list(VERSIONS), "consoleCommands": console_commands,
               "parameters": PARAMETERS}
    done = subprocess.run([node, str(LINTER / "lint.mjs")], input=json.dumps(request), text=True,
                          capture_output=True, timeout=120, check=True)
    return json.loads(done.stdout)


def _strings(value: Any, name: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, tuple | list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{name}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{name}[{key}]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        # whole statements only (a StaleDelete's ``match`` is a fragment of its two forms)
        for attr in ("cypher", "batched", "in_transactions"):
            if hasattr(value, attr):
                yield f"{name}.{attr}", getattr(value, attr)


def _is_cypher(text: str) -> bool:
    return text.split(None, 1)[0].upper() in ("MATCH", "UNWIND", "CREATE", "MERGE", "RETURN")


def module_texts() -> dict[str, str]:
    """Every Cypher string reachable from ``core.graph.cypher``'s public names."""
    found = {}
    for attr in dir(cypher):
        if attr.startswith("_"):
            continue
        for name, text in _strings(getattr(cypher, attr), attr):
            if text.strip() and _is_cypher(text):
                found.setdefault(text, name)
    return {name: text for text, name in found.items()}


def script_pieces(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """A cypher-shell script as (statements, ``:param`` commands), each linted on its own."""
    statements, commands, current = {}, {}, []
    for number, line in enumerate(path.read_bytes().decode("utf-8").split("\n"), start=1):
        if line.startswith(":param "):
            commands[f"{path.name}:{number}"] = line
        elif line.startswith("//") or not line.strip():
            continue
        else:
            current.append(line)
            if line.endswith(";"):
                statements[f"{path.name}:{number}"] = "\n".join(current)
                current = []
    assert not current, f"{path.name} ends inside a statement"
    return statements, commands


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = generated_model(len(NAMES), seed=3, names=NAMES, version="v 'odd' \\ ü 🎸")
    model.artists["genre"] = NAMES[::-1]
    model.artists["countrylist"] = ["Côte d'Ivoire, São Tomé", *[None] * (len(NAMES) - 1)]
    out = tmp_path_factory.mktemp("export")
    export_files(graph_data(model, top_n=3), out, batch_size=4)
    return out


def assert_clean(findings: list[dict[str, Any]], texts: dict[str, str]) -> None:
    report = "\n".join(f"{f['name']} (Cypher {f['version']}, line {f['line']}:{f['column']}): "
                       f"{f['message']}\n    {texts[f['name']].splitlines()[f['line'] - 1]}"
                       for f in findings)
    assert not findings, "Neo4j's linter objects:\n" + report


def test_the_linter_catches_errors() -> None:
    """The harness itself: a broken statement and a deprecated form are reported."""
    texts = {"broken": "MATCH (n:Artist RETURN n", "deprecated":
             "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10 ROWS",
             "fine": cypher.COUNT_ARTISTS}
    findings = lint(texts)
    assert {(f["name"], f["version"]) for f in findings if f["severity"] == 1} == {
        ("broken", v) for v in VERSIONS}
    assert {f["name"] for f in findings} == {"broken", "deprecated"}
    commands = {"unclosed": ":param rows => [{id: 1}", "fine": ":param limit => 10"}
    assert {f["name"] for f in lint(commands, console_commands=True)} == {"unclosed"}


def test_every_uploader_statement_lints_clean() -> None:
    texts = module_texts()
    # the generic collection did find the statements the uploader sends
    assert set(cypher.ALL_STATEMENTS) | set(cypher.SCRIPT_STATEMENTS) <= set(texts.values())
    assert_clean(lint(texts), texts)


def test_every_statement_an_upload_sends_lints_clean(tmp_path: Path) -> None:
    pytest.importorskip("redislite.falkordb_client", reason="falkordblite is a dev dependency")
    from testkit.falkordb import open_falkordb

    with open_falkordb(tmp_path / "g.db") as runner:
        upload_graph(runner, graph_data(generated_model(20, seed=1), top_n=2), batch_size=7)
        upload_graph(runner, graph_data(generated_model(12, seed=2), top_n=2), batch_size=7)
        sent = {f"sent[{i}]": q for i, q in enumerate(dict.fromkeys(runner.statements))}
    assert len(sent) > 10
    assert_clean(lint(sent), sent)


def test_exported_scripts_lint_clean(exported: Path) -> None:
    statements, commands = script_pieces(exported / "graph.cypher")
    schema, none = script_pieces(exported / "constraints.cypher")
    assert not none and len(schema) == len(cypher.SCHEMA)
    assert len(commands) > 5 and len(statements) > 10
    texts = {**statements, **schema}
    assert_clean(lint(texts), texts)
    # each :param command on its own, as cypher-shell reads it (one line), literals included
    assert_clean(lint(commands, console_commands=True), commands)
    # and every literal as a Cypher expression
    literals = {k: "RETURN " + v.split(" => ", 1)[1] + " AS value" for k, v in commands.items()}
    assert_clean(lint(literals), literals)
