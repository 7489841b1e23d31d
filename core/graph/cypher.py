"""Every Cypher statement the graph uploader sends, and nothing else.

The neo4j upload, the ``.cypher`` export script and the tests on FalkorDB all run these exact
strings, so what is tested is what ships. Rules they follow:

* one statement per string (FalkorDB and ``execute_query`` take one at a time);
* values only through parameters: ``$rows`` (a batch of maps), ``$model_version``,
  ``$upload_id`` (an integer, larger for every later upload), ``$limit``; labels and
  relationship types are fixed words, never data;
* ``MERGE`` on the unique key, then ``SET`` of everything else, so a re-run converges to the
  same graph instead of adding duplicates;
* every node and relationship written carries ``upload_id`` (a fresh id per upload) and
  ``model_version``; after all batches, what an older upload wrote is stale and is deleted
  in bounded batches (``$limit``) so one transaction never has to hold a whole graph.

Every text here (and the export script built from them) is linted with Neo4j's own linter in
Cypher 5 and Cypher 25 by ``tests/test_cypher_lint.py``. Constraints and indexes are the part
FalkorDB cannot run in neo4j's syntax; its runner creates the same ones (``UniqueConstraint``,
``UploadIndex``) in its own way, and the script's ``CALL { } IN TRANSACTIONS`` form is run
there as the uploader's batched form of the same ``StaleDelete``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UniqueConstraint:
    """A node key that ``MERGE`` relies on: unique, and indexed so each MERGE is a look-up."""

    label: str
    key: str
    cypher: str


CONSTRAINTS = (
    UniqueConstraint(
        "Artist", "id",
        "CREATE CONSTRAINT artist_id IF NOT EXISTS FOR (a:Artist) REQUIRE a.id IS UNIQUE",
    ),
    UniqueConstraint(
        "Cluster", "id",
        "CREATE CONSTRAINT cluster_id IF NOT EXISTS FOR (c:Cluster) REQUIRE c.id IS UNIQUE",
    ),
    UniqueConstraint(
        "Genre", "name",
        "CREATE CONSTRAINT genre_name IF NOT EXISTS FOR (g:Genre) REQUIRE g.name IS UNIQUE",
    ),
)



@dataclass(frozen=True)
class UploadIndex:
    """A range index on ``upload_id`` of one label or relationship type (``kind``: "node" or
    "relationship"), so the stale-data deletes find old elements without a full scan."""

    kind: str
    name: str
    cypher: str


INDEXES = (
    UploadIndex("node", "Artist",
                "CREATE INDEX artist_upload_id IF NOT EXISTS FOR (n:Artist) ON (n.upload_id)"),
    UploadIndex("node", "Cluster",
                "CREATE INDEX cluster_upload_id IF NOT EXISTS FOR (n:Cluster) ON (n.upload_id)"),
    UploadIndex("node", "Genre",
                "CREATE INDEX genre_upload_id IF NOT EXISTS FOR (n:Genre) ON (n.upload_id)"),
    UploadIndex("relationship", "SIMILAR_TO",
                "CREATE INDEX similar_to_upload_id IF NOT EXISTS "
                "FOR ()-[r:SIMILAR_TO]-() ON (r.upload_id)"),
    UploadIndex("relationship", "IN",
                "CREATE INDEX in_upload_id IF NOT EXISTS FOR ()-[r:IN]-() ON (r.upload_id)"),
    UploadIndex("relationship", "HAS_GENRE",
                "CREATE INDEX has_genre_upload_id IF NOT EXISTS "
                "FOR ()-[r:HAS_GENRE]-() ON (r.upload_id)"),
)

#: what the database needs before the first write: constraints, then the upload-id indexes
SCHEMA = (*(c.cypher for c in CONSTRAINTS), *(i.cypher for i in INDEXES))

# ---- nodes ----------------------------------------------------------------------------------

MERGE_CLUSTERS = """\
UNWIND $rows AS row
MERGE (c:Cluster {id: row.id})
SET c.name = row.name, c.size = row.size,
    c.model_version = $model_version, c.upload_id = $upload_id"""

MERGE_GENRES = """\
UNWIND $rows AS row
MERGE (g:Genre {name: row.name})
SET g.model_version = $model_version, g.upload_id = $upload_id"""

MERGE_ARTISTS = """\
UNWIND $rows AS row
MERGE (a:Artist {id: row.id})
SET a.name = row.name, a.genre = row.genre, a.countries = row.countries,
    a.listeners = row.listeners,
    a.model_version = $model_version, a.upload_id = $upload_id"""

# ---- relationships --------------------------------------------------------------------------

MERGE_IN = """\
UNWIND $rows AS row
MATCH (a:Artist {id: row.artist})
MATCH (c:Cluster {id: row.cluster})
MERGE (a)-[r:IN]->(c)
SET r.model_version = $model_version, r.upload_id = $upload_id"""

MERGE_HAS_GENRE = """\
UNWIND $rows AS row
MATCH (a:Artist {id: row.artist})
MATCH (g:Genre {name: row.genre})
MERGE (a)-[r:HAS_GENRE]->(g)
SET r.model_version = $model_version, r.upload_id = $upload_id"""

MERGE_SIMILAR_TO = """\
UNWIND $rows AS row
MATCH (a:Artist {id: row.source})
MATCH (b:Artist {id: row.target})
MERGE (a)-[r:SIMILAR_TO]->(b)
SET r.similarity = row.similarity, r.rank = row.rank, r.shared_listeners = row.shared_listeners,
    r.model_version = $model_version, r.upload_id = $upload_id"""

# ---- stale data: whatever this upload did not write ------------------------------------------
# Upload ids are integers that grow with every upload (``core.graph.upload.new_upload_id``), so
# what an older upload wrote is ``upload_id < $upload_id``: a range that the ``upload_id`` indexes
# below answer without scanning what this upload wrote (an inequality ``<>`` could not use them),
# and that never reaches a newer upload's data. Relationships go first, so that deleting stale
# nodes never has to detach current ones.


@dataclass(frozen=True)
class StaleDelete:
    """One kind of stale element, and the two ways the product deletes it.

    ``batched`` (the uploader) deletes at most ``$limit`` per statement and is repeated until
    it deletes fewer: each repetition is its own managed transaction of the driver.
    ``in_transactions`` (the ``cypher-shell`` script, which cannot loop) is one statement that
    neo4j commits every ``$limit`` rows (``CALL { ... } IN TRANSACTIONS``, Neo4j 5.23 or later;
    cypher-shell runs it in an implicit transaction, which that clause needs).
    """

    match: str
    variable: str
    delete: str

    @property
    def batched(self) -> str:
        v = self.variable
        return (f"{self.match}\nWHERE {v}.upload_id < $upload_id\nWITH {v} LIMIT $limit\n"
                f"{self.delete} {v}\nRETURN count(*) AS deleted")

    @property
    def in_transactions(self) -> str:
        v = self.variable
        return (f"{self.match}\nWHERE {v}.upload_id < $upload_id\n"
                f"CALL ({v}) {{\n  {self.delete} {v}\n}} IN TRANSACTIONS OF $limit ROWS")


STALE = (
    StaleDelete("MATCH ()-[r:SIMILAR_TO]->()", "r", "DELETE"),
    StaleDelete("MATCH ()-[r:IN]->()", "r", "DELETE"),
    StaleDelete("MATCH ()-[r:HAS_GENRE]->()", "r", "DELETE"),
    StaleDelete("MATCH (n:Artist)", "n", "DETACH DELETE"),
    StaleDelete("MATCH (n:Cluster)", "n", "DETACH DELETE"),
    StaleDelete("MATCH (n:Genre)", "n", "DETACH DELETE"),
)

DELETE_STALE = tuple(s.batched for s in STALE)
#: the script's stale deletes: the same elements as ``DELETE_STALE``, committed in batches
DELETE_STALE_IN_TRANSACTIONS = tuple(s.in_transactions for s in STALE)

# ---- counts (the upload's report, and the tests' check) --------------------------------------

COUNT_ARTISTS = "MATCH (n:Artist) RETURN count(n) AS n"
COUNT_CLUSTERS = "MATCH (n:Cluster) RETURN count(n) AS n"
COUNT_GENRES = "MATCH (n:Genre) RETURN count(n) AS n"
COUNT_IN = "MATCH (:Artist)-[r:IN]->(:Cluster) RETURN count(r) AS n"
COUNT_HAS_GENRE = "MATCH (:Artist)-[r:HAS_GENRE]->(:Genre) RETURN count(r) AS n"
COUNT_SIMILAR_TO = "MATCH (:Artist)-[r:SIMILAR_TO]->(:Artist) RETURN count(r) AS n"

COUNTS = {
    "Artist": COUNT_ARTISTS,
    "Cluster": COUNT_CLUSTERS,
    "Genre": COUNT_GENRES,
    "IN": COUNT_IN,
    "HAS_GENRE": COUNT_HAS_GENRE,
    "SIMILAR_TO": COUNT_SIMILAR_TO,
}

#: every statement above, for tests that check nothing else is ever sent
ALL_STATEMENTS = (
    *SCHEMA,
    MERGE_CLUSTERS, MERGE_GENRES, MERGE_ARTISTS, MERGE_IN, MERGE_HAS_GENRE, MERGE_SIMILAR_TO,
    *DELETE_STALE,
    *COUNTS.values(),
)

#: every statement the ``cypher-shell`` export script holds (besides its ``:param`` commands)
SCRIPT_STATEMENTS = (
    *SCHEMA,
    MERGE_CLUSTERS, MERGE_GENRES, MERGE_ARTISTS, MERGE_IN, MERGE_HAS_GENRE, MERGE_SIMILAR_TO,
    *DELETE_STALE_IN_TRANSACTIONS,
)
