"""Every Cypher statement the graph uploader sends, and nothing else.

The neo4j upload, the ``.cypher`` export script and the tests on FalkorDB all run these exact
strings, so what is tested is what ships. Rules they follow:

* one statement per string (FalkorDB and ``execute_query`` take one at a time);
* values only through parameters: ``$rows`` (a batch of maps), ``$model_version``,
  ``$upload_id``, ``$limit``; labels and relationship types are fixed words, never data;
* ``MERGE`` on the unique key, then ``SET`` of everything else, so a re-run converges to the
  same graph instead of adding duplicates;
* every node and relationship written carries ``upload_id`` (a fresh id per upload) and
  ``model_version``; after all batches, what the upload did not touch is stale and is deleted
  in bounded batches (``$limit``) so one transaction never has to hold a whole graph.

Uniqueness constraints are the one part FalkorDB cannot run as Cypher; its runner creates the
same constraints (``UniqueConstraint.label``/``.key``) through its client API instead.
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
# Relationships go first, so that deleting stale nodes never has to detach current ones.

DELETE_STALE_SIMILAR_TO = """\
MATCH ()-[r:SIMILAR_TO]->()
WHERE r.upload_id IS NULL OR r.upload_id <> $upload_id
WITH r LIMIT $limit
DELETE r
RETURN count(*) AS deleted"""

DELETE_STALE_IN = """\
MATCH ()-[r:IN]->()
WHERE r.upload_id IS NULL OR r.upload_id <> $upload_id
WITH r LIMIT $limit
DELETE r
RETURN count(*) AS deleted"""

DELETE_STALE_HAS_GENRE = """\
MATCH ()-[r:HAS_GENRE]->()
WHERE r.upload_id IS NULL OR r.upload_id <> $upload_id
WITH r LIMIT $limit
DELETE r
RETURN count(*) AS deleted"""

DELETE_STALE_ARTISTS = """\
MATCH (n:Artist)
WHERE n.upload_id IS NULL OR n.upload_id <> $upload_id
WITH n LIMIT $limit
DETACH DELETE n
RETURN count(*) AS deleted"""

DELETE_STALE_CLUSTERS = """\
MATCH (n:Cluster)
WHERE n.upload_id IS NULL OR n.upload_id <> $upload_id
WITH n LIMIT $limit
DETACH DELETE n
RETURN count(*) AS deleted"""

DELETE_STALE_GENRES = """\
MATCH (n:Genre)
WHERE n.upload_id IS NULL OR n.upload_id <> $upload_id
WITH n LIMIT $limit
DETACH DELETE n
RETURN count(*) AS deleted"""

DELETE_STALE = (
    DELETE_STALE_SIMILAR_TO, DELETE_STALE_IN, DELETE_STALE_HAS_GENRE,
    DELETE_STALE_ARTISTS, DELETE_STALE_CLUSTERS, DELETE_STALE_GENRES,
)

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
    *(c.cypher for c in CONSTRAINTS),
    MERGE_CLUSTERS, MERGE_GENRES, MERGE_ARTISTS, MERGE_IN, MERGE_HAS_GENRE, MERGE_SIMILAR_TO,
    *DELETE_STALE,
    *COUNTS.values(),
)
