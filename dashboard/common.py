"""What every page needs: settings, the cached model, the selected artist, the sidebar.

Kept out of the page files so each page reads top to bottom as "widgets, then core calls,
then charts". Nothing here computes an insight; it only loads, caches and remembers.

Caching: the model is a ``st.cache_resource`` keyed by (model folder, version). The version is
read from the ``CURRENT`` pointer on every run (one tiny file), so a retrain, from this
dashboard or from the CLI, is picked up on the next interaction without a restart. Derived
tables are ``st.cache_data`` with the same key plus their own arguments.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.config import Settings, load_dotenv_files
from core.errors import InsightsError
from core.failures import explain
from core.insights import clusters as cluster_insights
from core.insights.graph import similarity_graph
from core.insights.opportunities import MIN_PEERS, opportunity_table
from core.locking import BusyError
from core.model import Model, ModelStore
from core.progress import ProgressCallback
from core.secrets import install_log_scrubber, message
from dashboard.graph_page import graph_html

install_log_scrubber()  # every log line of the dashboard process goes through the scrubber

#: session key of the artist the analyst is looking at, shared by all pages
ARTIST_KEY = "artist"
TRAIN_PAGE = "dashboard/pages/train.py"


def csv_download(frame: pd.DataFrame, label: str, file_name: str, key: str, *, index: bool = False,
                 **button: Any) -> None:
    """A table as shown, unrounded, as a UTF-8 CSV download (``button``: more download_button
    options, e.g. ``type`` or ``on_click``)."""
    st.download_button(label, frame.to_csv(index=index).encode("utf-8"), file_name=file_name,
                       mime="text/csv", icon=":material/download:", key=key, **button)


def md(text: object) -> str:
    """``text`` safe inside Markdown: artist names such as "*NSYNC" or "Ke$ha" stay literal.

    Streamlit renders ``$...$`` as LaTeX and ``*``/``_`` as emphasis, so every name shown in a
    Markdown string goes through here.
    """
    return re.sub(r"([\\`*_{}\[\]#|~<>$])", r"\\\1", str(text))


@functools.cache
def _read_dotenv() -> None:
    """The ``.env`` files, once per process: every page calls ``settings`` several times a run."""
    load_dotenv_files()


def settings() -> Settings:
    """Settings from the environment; a broken setting stops the page with its message."""
    _read_dotenv()
    try:
        return Settings.from_env(os.environ)
    except InsightsError as exc:
        st.error(f"Configuration problem: {message(exc)}")
        st.stop()


def current_version(config: Settings) -> str | None:
    """The version ``CURRENT`` points to; read every run so a CLI retrain is seen at once."""
    return ModelStore(config.model_dir).current_version()


@st.cache_resource(max_entries=2, show_spinner="Loading the model…")
def load_model(model_dir: str, version: str) -> Model:
    """The model of one version; a new version is a new cache entry, the old one ages out.

    A damaged version gives way to the previous good one, with a warning (``model.warnings``).
    """
    return ModelStore(model_dir).load(version, fallback=True)


def get_model(config: Settings) -> Model | None:
    """The current model, or None when none has been trained yet."""
    version = current_version(config)
    if version is None:
        return None
    return load_model(str(config.model_dir), version)


def require_model() -> Model:
    """The current model, or an empty state that points to training, then stop the page."""
    config = settings()
    try:
        model = get_model(config)
    except InsightsError as exc:
        st.error(message(exc))
        st.page_link(TRAIN_PAGE, label="Retrain on the Train & upload page",
                     icon=":material/model_training:")
        st.stop()
    if model is None:
        empty_state()
        st.stop()
    for warning in model.warnings:
        st.warning(message(warning), icon=":material/warning:")
    return model


def empty_state() -> None:
    """What a first-time user sees instead of an error: what is missing and how to get it."""
    st.info(
        "**No trained model yet.** The dashboard needs a model built from your warehouse "
        "before it can find similar artists, markets and clusters. Train one on the "
        "**Train & upload** page (seconds on the demo data), or run `make model` "
        "in a terminal.",
        icon=":material/headphones:",
    )
    st.page_link(TRAIN_PAGE, label="Go to Train & upload", icon=":material/model_training:")


def model_folder(model: Model) -> Path:
    """The folder of the model in use (where its ``evaluation.json`` is stored)."""
    return Path(settings().model_dir) / model.version


def model_key(model: Model) -> tuple[str, str]:
    """(model folder, version): the cache key of everything derived from this model."""
    return str(settings().model_dir), model.version


# -- the selected artist -------------------------------------------------------------------------


#: the URL query parameter that carries the selection, so a shared link reproduces the view
ARTIST_PARAM = "artist"
#: session key: the value this session last put in (or took from) the URL
_URL_ARTIST_KEY = "_url_artist"


def _sync_url(model: Model) -> None:
    """Keep ``?artist=`` and the selection in step, so any page's link can be shared.

    A name in the URL that this session did not write (a pasted link) selects that artist;
    an unknown one is ignored with a toast. Otherwise the URL is set to the selection, which
    also restores it after a sidebar page switch (page links drop the query).
    """
    in_url = st.query_params.get(ARTIST_PARAM)
    if in_url and in_url != st.session_state.get(_URL_ARTIST_KEY):
        st.session_state[_URL_ARTIST_KEY] = in_url
        row = model.names.find(in_url)
        if row is None:
            st.toast(f"No artist called “{in_url}” in the model; the link's artist is ignored.",
                     icon=":material/warning:")
        else:
            st.session_state[ARTIST_KEY] = str(model.artists["artistname"].iat[row])
    name = st.session_state.get(ARTIST_KEY)
    if name and st.query_params.get(ARTIST_PARAM) != name:
        st.query_params[ARTIST_PARAM] = name
        st.session_state[_URL_ARTIST_KEY] = name


def selected_artist(model: Model) -> str | None:
    """The artist chosen on any page or named in the URL, if it exists in the current model."""
    _sync_url(model)
    name = st.session_state.get(ARTIST_KEY)
    if not name:
        return None
    row = model.names.find(name)
    return None if row is None else str(model.artists["artistname"].iat[row])


def select_artist(name: str | None) -> None:
    """Remember ``name`` as the artist every page follows (kept when switching pages, and
    written to the URL's ``?artist=`` so the link reproduces the view)."""
    if name:
        st.session_state[ARTIST_KEY] = name
        if st.query_params.get(ARTIST_PARAM) != name:
            st.query_params[ARTIST_PARAM] = name
        st.session_state[_URL_ARTIST_KEY] = name


@st.cache_data(max_entries=4, show_spinner=False)
def names_by_popularity(model_dir: str, version: str) -> list[str]:
    """All artist names, most listened first: the order a picker should offer them in."""
    return cluster_insights.by_popularity(load_model(model_dir, version))


#: how many artists a picker lists; any other artist can still be typed. Sending every name
#: (thousands) to the browser on each rerun made typing in the search box visibly slower.
PICKER_OPTIONS = 400


def picker_options(model: Model, include: Sequence[str] = ()) -> list[str]:
    """The ``include`` names first, then the most-listened artists."""
    popular = names_by_popularity(*model_key(model))[:PICKER_OPTIONS]
    return list(dict.fromkeys([*include, *popular]))


def canonical_name(model: Model, typed: str) -> str | None:
    """The model's spelling of a typed name ("beyonce" -> "Beyoncé"), or None if unknown."""
    row = model.names.find(typed)
    if row is None:
        rows = model.names.search(typed, limit=1)
        row = rows[0] if rows else None
    return None if row is None else str(model.artists["artistname"].iat[row])


def _normalize_pick(model: Model, key: str) -> None:
    """on_change of a picker: replace what was typed by the artist it names, and select it."""
    typed = st.session_state.get(key)
    name = canonical_name(model, typed) if typed else None
    if name is None:
        st.session_state[f"{key}_unknown"] = typed
        st.session_state[key] = selected_artist(model)
        return
    st.session_state[key] = name
    select_artist(name)


def artist_picker(model: Model, key: str, label: str = "Artist", prefer_markets: bool = False) -> str:
    """A selectbox that starts on (and updates) the shared selection.

    It lists the most-listened artists, and any other name can be typed (case, accents and
    typos forgiven, as in the search box). Without a selection it starts on the most-listened
    artist (with chart data when ``prefer_markets``) so the page is never empty.
    """
    current = selected_artist(model)
    if current is None:
        current = cluster_insights.default_artist(model, with_chart_data=prefer_markets,
                                                  among=PICKER_OPTIONS,
                                                  popular=names_by_popularity(*model_key(model)))
        select_artist(current)
    options = picker_options(model, [current])
    if st.session_state.get(key) not in (None, *options):
        del st.session_state[key]  # the selection changed on another page
    choice = st.selectbox(
        label, options, index=options.index(current), key=key, accept_new_options=True,
        on_change=_normalize_pick, args=(model, key),
        help="Pick from the list or type any artist's name. The choice is kept across pages.",
    )
    unknown = st.session_state.pop(f"{key}_unknown", None)
    if unknown:
        st.warning(f"No artist called **{md(unknown)}** in the model; still showing {md(current)}.")
    select_artist(choice)
    return str(choice)


# -- cached derived tables -----------------------------------------------------------------------


@st.cache_data(max_entries=4, show_spinner=False)
def cluster_summary(model_dir: str, version: str) -> pd.DataFrame:
    """``core.insights.clusters.cluster_summary``, computed once per model version."""
    return cluster_insights.cluster_summary(load_model(model_dir, version))


def cluster_names(model: Model) -> dict[int, str]:
    """Cluster number -> readable name, from the cached summary."""
    summary = cluster_summary(*model_key(model))
    return dict(zip(summary["cluster"].astype(int), summary["name"], strict=True))


@st.cache_data(max_entries=64, show_spinner=False)
def markets(model_dir: str, version: str, row: int, min_peers: int = MIN_PEERS) -> pd.DataFrame:
    """``opportunity_table`` for one artist (per store plus a "total" row per territory: actual,
    modeled, expected, gap, lift, evidence), cached: switching the map metric reuses it."""
    return opportunity_table(load_model(model_dir, version), row, min_peers)


@st.cache_data(max_entries=32, show_spinner="Drawing the graph…")
def graph_page(model_dir: str, version: str, focus: int | None, max_nodes: int,
               clusters: Sequence[int], edges_per_node: int, neighbourhood: bool
               ) -> tuple[str, pd.DataFrame, int]:
    """(pyvis HTML, the nodes shown, number of links) for one set of graph controls."""
    model = load_model(model_dir, version)
    graph = similarity_graph(
        model, focus, max_nodes=max_nodes, clusters=list(clusters),
        edges_per_node=edges_per_node, neighbourhood=neighbourhood,
    )
    names = cluster_names(model)
    return graph_html(graph, names), graph.nodes, len(graph.edges)


def clear_caches() -> None:
    """Forget every cached model and table, e.g. after training a new model."""
    st.cache_resource.clear()
    st.cache_data.clear()


# -- sidebar -------------------------------------------------------------------------------------


def sidebar() -> DeltaGenerator | None:
    """Data source and model version on every page, so a screenshot says what it shows.

    Returns a sidebar slot for the selected artist, filled by ``show_selection`` after the page
    ran (the page may change the selection; filling it earlier would show the previous one).
    """
    config = settings()
    with st.sidebar:
        st.caption("DATA SOURCE")
        st.markdown(f"**{md(config.source_description)}**")
        try:
            version = current_version(config)
        except (OSError, InsightsError):
            version = None
        st.caption("MODEL")
        if version is None:
            st.markdown("_no model trained yet_")
            return None
        try:
            model = load_model(str(config.model_dir), version)
        except InsightsError as exc:
            st.markdown(f"`{version}`")
            st.warning(message(exc))
            return None
        manifest = model.manifest
        trained = str(manifest.get("created_at", ""))[:16].replace("T", " ")
        st.markdown(f"`{version}`")
        st.caption(f"trained {trained} UTC · {len(model.artists):,} artists")
        slot = st.empty()
    _sync_url(model)  # every page, also those without a picker: the link keeps the artist
    return slot


def show_selection(slot: DeltaGenerator | None) -> None:
    """Fill the sidebar slot with the artist the pages follow."""
    if slot is None:
        return
    name = st.session_state.get(ARTIST_KEY)
    if name:
        with slot.container():
            st.caption("SELECTED ARTIST")
            st.markdown(f"**{md(name)}**")


def run_with_progress(
    work: Callable[[ProgressCallback], Any], *, busy: str, failure: str, start: str = "Starting…",
) -> tuple[bool, Any, list[tuple[str, float]]]:
    """Run a long core task (training, evaluation, upload) under a live progress bar.

    Returns ``(done, result, log)``. Another run holding the lock ("busy", from a second tab
    or the command line) becomes the ``busy`` warning and a failure the ``failure: reason``
    error: both are messages, not tracebacks. On success the bar stays, at 100%.
    """
    log: list[tuple[str, float]] = []
    bar = st.progress(0.0, text=start)

    def progress(message: str, fraction: float) -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        log.append((message, fraction))
        bar.progress(fraction, text=f"{message[:90]} · {fraction:.0%}")

    try:
        result = work(progress)
    except BusyError:
        bar.empty()
        st.warning(busy, icon=":material/hourglass_top:")
        return False, None, log
    except Exception as exc:  # every failure is a message here, never a traceback
        bar.empty()
        problem = explain(exc)
        if problem is None:
            st.error(f"{failure}: unexpected {type(exc).__name__}: {message(exc)}")
        else:
            st.error(f"{failure}: {message(problem)}")
        return False, None, log
    bar.progress(1.0, text="Done · 100%")
    return True, result, log

