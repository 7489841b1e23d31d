"""Train & upload: what the current model is, train a new one, and (soon) upload results.

Training runs inside this script run with a live progress bar fed by the training pipeline's
progress callback. The model folder's lock (``core.locking``) stops a second training from
another tab or from the CLI; that case gets a "please wait", not an error.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from core.config import Settings
from core.errors import InsightsError
from core.locking import BusyError
from core.model import Model
from core.training import TrainingParams, train_and_save
from core.training.pipeline import STEPS
from pages import common

LOG_KEY = "training_log"
RESULT_KEY = "training_result"


def _table(values: Mapping[str, Any], name_label: str, value_label: str) -> pd.DataFrame:
    """A manifest section as a two-column table (values as text: they mix types)."""
    return pd.DataFrame({name_label: list(values), value_label: [str(v) for v in values.values()]})


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
        f"(package {manifest.get('package_version', '?')})."
    )
    cols = st.columns(5)
    cols[0].metric("Artists modelled", f"{counts.get('artists', len(model.artists)):,}")
    cols[1].metric("Listeners", f"{counts.get('users', 0):,}")
    cols[2].metric("Listener–artist pairs", f"{counts.get('pairs', 0):,}")
    cols[3].metric("Artists left out", f"{counts.get('artists_excluded_min_listeners', 0):,}",
                   help="Fewer listeners than the minimum; searching them explains why")
    cols[4].metric("Artists with chart data", f"{counts.get('artists_with_market_data', 0):,}")
    left, middle, right = st.columns(3)
    with left:
        st.markdown("**Parameters**")
        st.dataframe(_table(manifest.get("params", {}), "Parameter", "Value"), hide_index=True,
                     width="stretch")
    with middle:
        st.markdown("**Timings (seconds)**")
        timings = manifest.get("timings_seconds", {})
        in_order = {step: timings[step] for step in [*STEPS, *timings] if step in timings}
        st.dataframe(_table(in_order, "Step", "Seconds"), hide_index=True, width="stretch")
        st.caption(f"Total {sum(float(v) for v in timings.values()):.1f} s · explained variance "
                   f"{float(manifest.get('explained_variance', 0)):.0%}")
    with right:
        st.markdown("**Input rows**")
        st.dataframe(_table({k: f"{v:,}" for k, v in counts.items()}, "Count", "Rows"),
                     hide_index=True, width="stretch")


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
    c1, c2, c3 = st.columns(3)
    features = c1.number_input("Features", 2, 512, defaults.num_features, key="train_features",
                               help="Size of each artist's listener profile (SVD components)")
    clusters = c2.number_input("Clusters", 1, 100, defaults.num_clusters, key="train_clusters",
                               help="How many groups of artists to form")
    minimum = c3.number_input("Minimum listeners", 1, 100_000, defaults.min_listeners,
                              key="train_min_listeners",
                              help="Artists with fewer listeners are left out (too little evidence)")
    if not st.button("Train model", type="primary", icon=":material/play_arrow:", key="train_button"):
        _show_last_result()
        return
    params = TrainingParams.from_settings(
        config, num_features=int(features), num_clusters=int(clusters), min_listeners=int(minimum),
    )
    log: list[tuple[str, float]] = []
    bar = st.progress(0.0, text="Starting…")

    def progress(message: str, fraction: float) -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        log.append((message, fraction))
        bar.progress(fraction, text=f"{message} · {fraction:.0%}")

    started = time.perf_counter()
    try:
        version, trained = train_and_save(config, params, progress)
    except BusyError:
        bar.empty()
        st.warning("Training is already running (another tab or the command line), please wait "
                   "for it to finish and try again.", icon=":material/hourglass_top:")
        return
    except InsightsError as exc:
        bar.empty()
        st.error(f"Training failed: {exc}")
        return
    seconds = time.perf_counter() - started
    bar.progress(1.0, text="Done · 100%")
    common.clear_caches()
    st.session_state[LOG_KEY] = log
    st.session_state[RESULT_KEY] = {"version": version, "seconds": round(seconds, 1),
                                    "artists": len(trained.artists)}
    st.rerun()


def _show_last_result() -> None:
    result = st.session_state.get(RESULT_KEY)
    if not result:
        return
    st.success(f"Trained version `{result['version']}` in {result['seconds']} s "
               f"({result['artists']:,} artists). Every page now uses it.",
               icon=":material/check_circle:")
    with st.expander("Training log"):
        st.dataframe(pd.DataFrame(st.session_state.get(LOG_KEY, []), columns=["step", "progress"]),
                     hide_index=True, width="stretch",
                     column_config={"progress": st.column_config.ProgressColumn(
                         "Progress", min_value=0.0, max_value=1.0, format="percent")})


def uploads_section(config: Settings, model: Model | None) -> None:
    """Uploads of result tables to the warehouse / graph database.

    UPLOADS: the upload feature plugs in here (one function call per upload button).
    """
    st.subheader("Uploads")
    st.info("Uploads arrive with the upload feature: result tables to the warehouse and the "
            "graph to neo4j will be started from here.", icon=":material/upload:")


config = common.settings()
st.title("Train & upload")
try:
    current_model = common.get_model(config)
except InsightsError as exc:  # e.g. a model written by an older version: retraining fixes it
    st.error(f"The current model cannot be loaded: {exc}")
    current_model = None
model_status(current_model)
st.divider()
training_form(config, current_model)
st.divider()
uploads_section(config, current_model)
