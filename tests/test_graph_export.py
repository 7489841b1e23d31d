"""The graph as files: neo4j-admin CSVs read back, Cypher literals, the zip, the CLI.

(The ``.cypher`` script is executed for real in test_graph_falkordb.py.)
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from pathlib import Path

import pytest

import core.graph.export as export
from core.cli.upload import main as upload_main
from core.graph import export_files, export_zip, graph_data
from core.graph.export import cypher_literal, cypher_script
from core.upload import neo4j_export_zip
from testkit.generated import generated_model

NAMES = ["Guns N' Roses", 'say "hi", then\nleave', "back\\slash\\", "坂本真綾", "🎸", "", " x ",
         "cr\rlf\r\n", "control \x01\x07\x1b\x1f\x7f end", "tab\there", '"', "\u2028\u0085"]

FILES = ["nodes_clusters.csv", "nodes_genres.csv", "nodes_artists.csv", "rels_in.csv",
         "rels_has_genre.csv", "rels_similar_to.csv", "constraints.cypher", "graph.cypher",
         "IMPORT.txt"]


def model_with_odd_names():
    model = generated_model(len(NAMES), seed=2, names=NAMES, version="v1")
    model.artists["countrylist"] = ["Côte d'Ivoire, Chile", None, "", "Japan",
                                    *[None] * (len(NAMES) - 4)]
    return model


def read_csv(text: str) -> tuple[list[str], list[list[str]]]:
    """Parse as neo4j-admin does by default: RFC 4180, ``"`` quotes doubled, no backslash
    escapes (``--legacy-style-quoting=false``), quoted line breaks kept."""
    rows = list(csv.reader(io.StringIO(text, newline=""), doublequote=True, escapechar=None,
                           strict=True))
    return rows[0], rows[1:]


def read_fields(text: str) -> list[list[str | None]]:
    """Data rows with the distinction neo4j-admin makes and ``csv`` hides: an empty unquoted
    field is no value (None), a quoted empty field ``""`` the empty string."""
    rows: list[list[str | None]] = []
    row: list[str | None] = []
    i = 0
    while i < len(text):
        if text[i] == '"':
            value, i = [], i + 1
            while True:
                end = text.index('"', i)
                value.append(text[i:end])
                if text[end + 1:end + 2] == '"':
                    value.append('"')
                    i = end + 2
                    continue
                i = end + 1
                break
            row.append("".join(value))
        else:
            end = min((j for j in (text.find(",", i), text.find("\n", i)) if j >= 0),
                      default=len(text))
            row.append(text[i:end] or None)
            i = end
        if i >= len(text) or text[i] == "\n":
            rows.append(row)
            row = []
        i += 1
    return rows[1:]


def test_csv_files_have_neo4j_headers_and_read_back(tmp_path: Path) -> None:
    model = model_with_odd_names()
    graph = graph_data(model, top_n=3)
    paths = export_files(graph, tmp_path / "out", batch_size=4, upload_id=11)
    assert [p.name for p in paths] == FILES
    assert not list((tmp_path / "out").glob(".*partial"))

    header, rows = read_csv((tmp_path / "out" / "nodes_artists.csv").read_bytes().decode("utf-8"))
    assert header == [":ID(Artist)", "id:long", "name", "genre", "countries:string[]",
                      "listeners:long", "model_version", "upload_id:long", ":LABEL"]
    assert [r[2] for r in rows] == NAMES  # quotes, commas, newlines, backslashes verbatim
    assert [int(r[0]) for r in rows] == model.artists["artistnum"].tolist()
    assert rows[0][4] == "Côte d'Ivoire;Chile" and rows[1][4] == "" and rows[2][4] == ""
    assert {r[8] for r in rows} == {"Artist"} and {r[6] for r in rows} == {"v1"}

    header, rows = read_csv((tmp_path / "out" / "rels_similar_to.csv").read_bytes().decode("utf-8"))
    assert header == [":START_ID(Artist)", ":END_ID(Artist)", "similarity:double", "rank:int",
                      "shared_listeners:long", "model_version", "upload_id:long", ":TYPE"]
    assert len(rows) == len(graph.similar_to) == 3 * len(NAMES)
    assert [(int(r[0]), int(r[1]), int(r[3])) for r in rows] == list(zip(
        graph.similar_to["source"], graph.similar_to["target"], graph.similar_to["rank"],
        strict=True))
    assert all(math.isclose(float(r[2]), s) for r, s in zip(rows, graph.similar_to["similarity"],
                                                            strict=True))
    assert {r[7] for r in rows} == {"SIMILAR_TO"}

    for name, start, end in (("rels_in.csv", "Artist", "Cluster"),
                             ("rels_has_genre.csv", "Artist", "Genre")):
        header, _ = read_csv((tmp_path / "out" / name).read_bytes().decode("utf-8"))
        assert header[:2] == [f":START_ID({start})", f":END_ID({end})"] and header[-1] == ":TYPE"
    header, rows = read_csv((tmp_path / "out" / "nodes_genres.csv").read_bytes().decode("utf-8"))
    assert header == [":ID(Genre)", "name", "model_version", "upload_id:long", ":LABEL"]
    assert sorted(r[1] for r in rows) == sorted(graph.genres["name"])

    instructions = (tmp_path / "out" / "IMPORT.txt").read_bytes().decode("utf-8")
    assert "neo4j-admin database import full" in instructions
    assert "--nodes=nodes_artists.csv" in instructions and "--relationships=rels_in.csv" in instructions
    assert "cypher-shell" in instructions
    assert "--overwrite-destination" in instructions and "neo4j stop" in instructions
    assert "--multiline-fields=true" in instructions  # a name holds a newline


def test_every_csv_round_trips_line_breaks_and_control_characters(tmp_path: Path) -> None:
    """Names, genres, cluster names, countries and the model version with CR, LF and other
    control characters read back exactly, and empty strings stay distinct from no value."""
    model = model_with_odd_names()
    model.artists["genre"] = [NAMES[(i + 1) % len(NAMES)] for i in range(len(NAMES))]
    model.artists["countrylist"] = ["a\r\nb, c\x01", *[None] * (len(NAMES) - 1)]
    model.manifest["version"] = "v\r\n\x02 'odd' \"version\""
    graph = graph_data(model, top_n=2)
    export_files(graph, tmp_path, upload_id=5)
    for name, frame, column in (("nodes_artists.csv", graph.artists, "name"),
                                ("nodes_genres.csv", graph.genres, "name"),
                                ("nodes_clusters.csv", graph.clusters, "name")):
        text = (tmp_path / name).read_bytes().decode("utf-8")
        header, rows = read_csv(text)
        position = header.index(column)
        assert [r[position] for r in rows] == frame[column].tolist()
        assert {r[header.index("model_version")] for r in rows} == {graph.model_version}
        assert {r[header.index("upload_id:long")] for r in rows} == {"5"}
    raw = (tmp_path / "nodes_artists.csv").read_bytes().decode("utf-8")
    header, rows = read_csv(raw)
    assert rows[0][header.index("countries:string[]")] == "a\r\nb;c\x01"
    # the empty name stays an empty string; missing countries are no value at all
    fields = read_fields(raw)
    assert [r[header.index("name")] for r in fields] == NAMES
    assert fields[NAMES.index("")][header.index("name")] == ""
    assert [r[header.index("countries:string[]")] for r in fields][1:] == [None] * (len(NAMES) - 1)
    assert [r[header.index("genre")] for r in fields] == graph.artists["genre"].tolist()
    for name in ("rels_in.csv", "rels_has_genre.csv", "rels_similar_to.csv"):
        header, rows = read_csv((tmp_path / name).read_bytes().decode("utf-8"))
        assert {r[header.index("model_version")] for r in rows} == {graph.model_version}


def test_multiline_fields_only_when_a_value_holds_a_line_break(tmp_path: Path) -> None:
    export_files(graph_data(generated_model(5, seed=1)), tmp_path)
    instructions = (tmp_path / "IMPORT.txt").read_bytes().decode("utf-8")
    assert "--multiline-fields" not in instructions
    assert "--overwrite-destination" in instructions
    model = generated_model(5, seed=1)
    model.artists.loc[2, "artistname"] = "only a\rcarriage return"
    export_files(graph_data(model), tmp_path / "cr")
    assert "--multiline-fields=true" in (tmp_path / "cr" / "IMPORT.txt").read_bytes().decode("utf-8")


def test_array_delimiter_avoids_characters_in_the_data(tmp_path: Path) -> None:
    model = generated_model(3, seed=1)
    model.artists["countrylist"] = ["Semi;colon Land, Chile", None, None]
    export_files(graph_data(model), tmp_path)
    _, rows = read_csv((tmp_path / "nodes_artists.csv").read_bytes().decode("utf-8"))
    assert rows[0][4] == "Semi;colon Land|Chile"
    assert "--array-delimiter='|'" in (tmp_path / "IMPORT.txt").read_bytes().decode("utf-8")


@pytest.mark.parametrize(("value", "literal"), [
    ("plain", "'plain'"),
    ("Guns N' Roses", "'Guns N\\' Roses'"),
    ('say "hi"', "'say \"hi\"'"),
    ("back\\slash", "'back\\\\slash'"),
    ("trailing\\", "'trailing\\\\'"),
    ("\\'", "'\\\\\\''"),  # a backslash then a quote: neither may swallow the other
    ("Beyoncé", "'Beyonc\\u00E9'"),
    ("🎸", "'\\uD83C\\uDFB8'"),  # a UTF-16 surrogate pair: Cypher has no \\U escape
    ("a\U0010FFFFz", "'a\\uDBFF\\uDFFFz'"),
    ("new\nline\ttab", "'new\\u000Aline\\u0009tab'"),
    ("line\u2028sep", "'line\\u2028sep'"),
    ("{x} $rows", "'{x} $rows'"),
    (None, "null"), (True, "true"), (False, "false"), (-7, "-7"), (0.1, "0.1"), (1e-05, "1e-05"),
    ([1, "a", None], "[1, 'a', null]"),
    ({"id": 3, "name": "x", "odd key": 1}, "{id: 3, name: 'x', `odd key`: 1}"),
])
def test_cypher_literals(value: object, literal: str) -> None:
    assert cypher_literal(value) == literal
    assert cypher_literal(value).isascii()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), object(), {"a`b": 1}])
def test_values_without_a_safe_literal_are_refused(bad: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        cypher_literal(bad)


def test_script_is_ascii_and_uses_the_upload_statements() -> None:
    graph = graph_data(model_with_odd_names(), top_n=2)
    script = "".join(cypher_script(graph, batch_size=3, upload_id=11))
    assert script.isascii()
    assert script.count(":param rows => ") == sum(-(-n // 3) for n in graph.counts().values())
    assert ":param upload_id => 11" in script
    assert "CREATE CONSTRAINT artist_id IF NOT EXISTS FOR (a:Artist) REQUIRE a.id IS UNIQUE;" in script
    assert "CREATE INDEX similar_to_upload_id IF NOT EXISTS" in script
    assert "\\U" not in script  # no 8-digit escapes: Neo4j knows only \\uXXXX
    # the stale-data deletes are batched by neo4j itself, one statement per kind of element
    assert script.count("IN TRANSACTIONS OF $limit ROWS;") == 6
    assert ":param limit => 10000" in script
    for line in script.splitlines():
        assert not line.startswith(":param") or line.count("\n") == 0  # one line per :param


def test_zip_holds_the_same_files(tmp_path: Path) -> None:
    graph = graph_data(model_with_odd_names(), top_n=2)
    paths = export_files(graph, tmp_path, batch_size=5, upload_id=7)
    data = export_zip(graph, batch_size=5, upload_id=7)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == FILES
        for path in paths:
            assert archive.read(path.name) == path.read_bytes()
    assert neo4j_export_zip(model_with_odd_names())[:2] == b"PK"


def test_interrupted_export_leaves_previous_files(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    graph = graph_data(generated_model(10, seed=1), top_n=2)
    export_files(graph, tmp_path, upload_id=1)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken_script(*args: object, **kwargs: object):
        yield "// starts fine\n"
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "cypher_script", broken_script)
    with pytest.raises(KeyboardInterrupt):
        export_files(graph_data(generated_model(12, seed=2), top_n=2), tmp_path, upload_id=2)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no partial file left


def test_cli_export(tmp_path: Path, demo_model_dir: Path, monkeypatch: pytest.MonkeyPatch,
                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MODEL_DIR", str(demo_model_dir))
    assert upload_main(["neo4j-export", "--out", str(tmp_path / "files"), "--quiet",
                        "--batch-size", "2000"]) == 0
    out = capsys.readouterr().out
    assert "SIMILAR_TO" in out and "graph.cypher" in out
    assert sorted(p.name for p in (tmp_path / "files").iterdir()) == sorted(FILES)
    script = (tmp_path / "files" / "graph.cypher").read_text("ascii")
    assert script.count(":param rows => ") > 40  # demo: about 70,000 relationships in 2000s
