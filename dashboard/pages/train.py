"""Train & upload: what the current model is, train a new one, and upload its results.

Training runs inside this script run with a live progress bar fed by the training pipeline's
progress callback. The model folder's lock (``core.locking``) stops a second training from
another tab or from the CLI; that case gets a "please wait", not an error.
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from core.config import Settings
from core.errors import InsightsError
from core.model import Model, ModelStore
from core.model_history import compare_versions, history
from core.training import TrainingParams, train_and_save, training_plan
from core.training.mode import MODES
from core.training.summary import (
    changes_table,
    count_rows,
    format_seconds,
    history_table,
    how_trained,
    parameter_rows,
    plain,
    step_seconds,
    timing_rows,
)
from core.upload import TargetStatus, neo4j_export_zip, publish, targets
from dashboard import common

LOG_KEY = "training_log"
RESULT_KEY = "training_result"


def _table(rows: list[tuple[str, str]], name_label: str, value_label: str) -> pd.DataFrame:
    """A manifest section as a two-column table (values as text: they mix types)."""
    return pd.DataFrame(rows, columns=[name_label, value_label])


def _csv(frame: pd.DataFrame, name: str, key: str) -> None:
    """A small CSV download under a table (the same rows and headings as shown)."""
    common.csv_download(frame, "CSV", f"{name}.csv", key, type="tertiary")


def model_status(model: Model | None) -> None:
    """Everything the manifest says about the model in use, for "what am I looking at?"."""
    st.subheader("Current model")
    if model is None:
        common.empty_state()
        return
    manifest = model.manifest
    counts = manifest.get("counts", {})
    st.markdown(
        f"Version `{model.version}`, trained **{str(manifest.get('created_at', '?')).replace('T', ' ')}** "
        f"from **{common.md(manifest.get('warehouse', 'an unknown warehouse'))}** "
        f"(package {manifest.get('package_version', '?')}), {common.md(how_trained(manifest))}."
    )
    cols = st.columns(5)
    cols[0].metric("Artists modelled", f"{counts.get('artists', len(model.artists)):,}")
    cols[1].metric("Listeners", f"{counts.get('users', 0):,}")
    cols[2].metric("Listener–artist pairs", f"{counts.get('pairs', 0):,}")
    cols[3].metric("Artists left out", f"{counts.get('artists_excluded_min_listeners', 0):,}",
                   help="Fewer listeners than the minimum; searching them explains why")
    cols[4].metric("Artists with chart data", f"{counts.get('artists_with_market_data', 0):,}")
    # two columns, not three: at 1280 px a third one cut the labels of Input rows and Timings
    rows_box, params_box = st.columns(2)
    with rows_box:
        st.markdown("**Input rows**")
        rows = _table([(label, f"{n:,}") for label, n in count_rows(manifest)], "Count", "Rows")
        st.dataframe(rows, hide_index=True, width="stretch", height="content", key="input_rows",
                     column_config={"Rows": st.column_config.TextColumn(width=75)})
        _csv(rows, f"input-rows-{model.version}", "csv_input_rows")
    with params_box:
        st.markdown("**Parameters**")
        params = _table(parameter_rows(manifest), "Parameter", "Value")
        st.dataframe(params, hide_index=True, width="stretch", height="content", key="parameters",
                     column_config={"Value": st.column_config.TextColumn(width=75)})
        _csv(params, f"parameters-{model.version}", "csv_parameters")
        st.markdown("**Timings**")
        timings = _table(timing_rows(manifest), "Step", "Time")
        st.dataframe(timings, hide_index=True, width="stretch", height="content", key="timings",
                     column_config={"Time": st.column_config.TextColumn(width="small")})
        st.caption(f"Total {format_seconds(sum(step_seconds(manifest).values()))} · explained "
                   f"variance {float(manifest.get('explained_variance', 0)):.0%}")
        _csv(timings, f"timings-{model.version}", "csv_timings")


def training_form(config: Settings, model: Model | None) -> None:
    """Parameters, the Train button and a progress bar driven by the pipeline."""
    st.subheader("Train a new model")
    st.caption(f"Reads the three source tables from **{common.md(config.source_description)}**. "
               "The current model stays in use until the new one is saved.")
    defaults = TrainingParams.from_settings(config)
    if model is not None:
        used = model.manifest.get("params", {})
        defaults = TrainingParams.from_settings(
            config, num_features=used.get("num_features"), num_clusters=used.get("num_clusters"),
            min_listeners=used.get("min_listeners"),
        )
    features_box, clusters_box, minimum_box = st.columns(3)
    features = features_box.number_input("Features", 2, 512, defaults.num_features, key="train_features",
                               help="Size of each artist's listener profile (SVD components)")
    clusters = clusters_box.number_input("Clusters", 1, 100, defaults.num_clusters, key="train_clusters",
                               help="How many groups of artists to form")
    minimum = minimum_box.number_input("Minimum listeners", 1, 100_000, defaults.min_listeners,
                              key="train_min_listeners",
                              help="Artists with fewer listeners are left out (too little evidence)")
    plan = training_plan(config)
    mode = st.radio("Where to train", MODES, format_func=plan.label, horizontal=True,
                    key="train_mode",
                    help="In memory is faster; in the warehouse, the passes over the listens run "
                         "as SQL there and only artist-side numbers come back, so any table size "
                         "fits (the same similarity either way)")
    st.caption(plan.explain()[0].upper() + plan.explain()[1:] + ".")
    if not st.button("Train model", type="primary", icon=":material/play_arrow:", key="train_button"):
        _show_last_result()
        return
    params = TrainingParams.from_settings(
        config, num_features=int(features), num_clusters=int(clusters), min_listeners=int(minimum),
        mode=mode,
    )
    started = time.perf_counter()
    done, result, log = common.run_with_progress(
        lambda progress: train_and_save(config, params, progress), failure="Training failed",
        busy="Training is already running (another tab or the command line), please wait for it "
             "to finish and try again.")
    if not done:
        return
    version, trained = result
    seconds = time.perf_counter() - started
    common.clear_caches()
    st.session_state[LOG_KEY] = log
    st.session_state[RESULT_KEY] = {"version": version, "seconds": round(seconds, 1),
                                    "artists": len(trained.artists)}
    st.rerun()


def _show_last_result() -> None:
    result = st.session_state.get(RESULT_KEY)
    if not result:
        return
    st.success(f"Trained version `{result['version']}` in {format_seconds(result['seconds'])} "
               f"({result['artists']:,} artists). Every page now uses it.",
               icon=":material/check_circle:")
    with st.expander("Training log"):
        st.dataframe(pd.DataFrame(st.session_state.get(LOG_KEY, []), columns=["Step", "Progress"]),
                     hide_index=True, width="stretch",
                     column_config={"Progress": st.column_config.ProgressColumn(
                         "Progress", min_value=0.0, max_value=1.0, format="percent")})


@st.cache_data(max_entries=2, show_spinner="Preparing the neo4j import files…")
def export_zip(model_dir: str, version: str) -> bytes:
    """The graph's import files as a zip, built once per model version (about a second)."""
    return neo4j_export_zip(common.load_model(model_dir, version))


def run_upload(target: TargetStatus, config: Settings, model: Model) -> None:
    """One upload with a live progress bar; "busy" and configuration problems are messages."""
    done, result, _ = common.run_with_progress(
        lambda progress: publish(target.name, config, model, progress),
        start=f"Uploading to {target.label}…", failure=f"Upload to {target.label} failed",
        busy="An upload is already running (from another tab or the command line); please wait "
             "for it to finish and try again.")
    if not done:
        return
    counts = ", ".join(f"{name} {n:,}" for name, n in result.counts.items())
    st.success(f"Uploaded model `{result.model_version}` to {common.md(result.destination)} in "
               f"{format_seconds(result.seconds)}: {common.md(counts)}.", icon=":material/check_circle:")


def uploads_section(config: Settings, model: Model | None) -> None:
    """Publish the model's results: result tables to a warehouse, the graph to neo4j.

    Each target says whether it is configured and, when it is not, which ``.env`` variables
    it needs (names only: values, and above all passwords, are never shown).
    """
    st.subheader("Uploads")
    if model is None:
        st.info("Train a model first; its results can then be uploaded from here.")
        return
    st.caption("Publishes the current model's similar artists and market recommendations. "
               "Re-uploading replaces the previous results; an interrupted upload leaves them whole.")
    for target in targets(config):
        if target.name == "neo4j-export":
            continue
        left, right = st.columns([1, 2], vertical_alignment="center")  # the widest label fits at 1280 px
        clicked = left.button(f"Upload to {target.label}", key=f"upload_{target.name}",
                              disabled=not target.configured, icon=":material/upload:",
                              width="stretch")
        if target.configured:
            right.caption(common.md(target.description))
        else:
            right.caption("Not configured: set " + ", ".join(f"`{v}`" for v in target.missing)
                          + " in `.env` (see `.env.shadow`).")
        if clicked:
            run_upload(target, config, model)
    st.download_button(
        "Download neo4j import files (zip)", data=export_zip(*common.model_key(model)),
        file_name=f"neo4j-graph-{model.version}.zip", mime="application/zip",
        icon=":material/download:", key="download_neo4j",
        help="CSV files for neo4j-admin database import and a script for cypher-shell, "
             "for a neo4j server this machine cannot reach",
    )


def history_section(config: Settings) -> None:
    """The kept versions, and which artists' top 10 changed most between two of them."""
    st.subheader("Model history")
    store = ModelStore(config.model_dir)
    versions = history(store)
    if versions.empty:
        st.caption("No model versions yet.")
        return
    table = history_table(versions)
    # pixel widths that fit a 1280 px window; rows over 4rem let "Trained from" wrap
    st.dataframe(table, hide_index=True, width="stretch", key="history_table", row_height=66,
                 column_config={
                     "Version": st.column_config.TextColumn(width=238),
                     "In use": st.column_config.CheckboxColumn(width=55),
                     "Trained (UTC)": st.column_config.TextColumn(width=118),
                     "Trained from": st.column_config.TextColumn(width=150),
                     "Artists": st.column_config.NumberColumn(format="localized", width=62),
                     "Features": st.column_config.NumberColumn(width=68),
                     "Explained variance": st.column_config.NumberColumn(format="percent",
                                                                         width=118),
                 })
    _csv(table, "model-history", "csv_history")
    names = versions["version"].tolist()
    if len(names) < 2:
        st.caption("Train again to compare two versions.")
        return
    current = store.current_version() or names[-1]
    left, right = st.columns(2)
    old = left.selectbox("Compare", names, index=max(0, names.index(current) - 1), key="diff_old")
    new = right.selectbox("with", names, index=names.index(current), key="diff_new")
    diff = compare_versions(store, old, new)
    st.markdown(f"**{diff.mean_overlap:.1%}** of each artist's top {diff.top_n} similar artists "
                f"is unchanged on average ({len(diff.artists):,} artists in both; "
                f"{len(diff.added):,} added, {len(diff.removed):,} removed).")
    if diff.params:
        st.caption("Parameters changed: " + common.md(", ".join(
            f"{plain(k)} {a} → {b}" for k, (a, b) in diff.params.items())))
    changes = changes_table(diff.most_changed(20))
    # rows taller than 4rem let the grid wrap the entered / left lists instead of cutting them
    st.dataframe(changes, hide_index=True, width="stretch", key="diff_table", row_height=90,
                 height=560,
                 column_config={
                     "Artist": st.column_config.TextColumn(width="small"),
                     **{c: st.column_config.NumberColumn(format="localized", width=70)
                        for c in ("Listeners", "Unchanged", "Changed")},
                     "New in top list": st.column_config.TextColumn(width="medium"),
                     "Left top list": st.column_config.TextColumn(width="medium"),
                 })
    _csv(changes, f"changes-{old}-{new}", "csv_changes")


config = common.settings()
st.title("Train & upload")
try:
    current_model = common.get_model(config)
except InsightsError as exc:  # e.g. a model written by an older version: retraining fixes it
    st.error(f"The current model cannot be loaded: {common.message(exc)}")
    current_model = None
model_status(current_model)
st.divider()
training_form(config, current_model)
st.divider()
uploads_section(config, current_model)
st.divider()
history_section(config)
