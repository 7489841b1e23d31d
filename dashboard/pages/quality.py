"""Model quality: how well the current model's similar artists hold up, beside baselines.

Shows the model folder's ``evaluation.json``, written by ``artist_listener_evaluate`` or by the
button here; both call ``core.evaluation.report.evaluate_and_store``, so the numbers are the same.
The evaluation takes about a minute on the demo data, so it is stored with the model and run
once, not on every visit. The lock in the model folder keeps two runs (two tabs, or a tab and
the command line) from competing; the second is told to wait.
"""

from __future__ import annotations

import math
import time

import streamlit as st

from core.errors import InsightsError
from core.evaluation.clusters import SILHOUETTE_SAMPLE
from core.evaluation.report import (
    CHARTED,
    FIT_SECONDS,
    METRICS,
    EvaluationResult,
    data_judged,
    evaluate_and_store,
    headline,
    metric_frame,
    read_evaluation,
)
from core.model import Model
from core.progress import ProgressCallback
from dashboard import common
from dashboard.quality_charts import SHORT_LABELS, metric_chart, metric_table

LOG_KEY = "evaluation_log"


def evaluate(model: Model) -> bool:
    """Run the evaluation with a progress bar and store it with the model; True when stored."""

    def work(progress: ProgressCallback) -> None:
        evaluate_and_store(common.settings(), version=model.version, progress=progress)

    started = time.perf_counter()
    done, _, log = common.run_with_progress(
        work, failure="Evaluation failed",
        busy="An evaluation is already running (another tab or the command line). Wait for it "
             "to finish, then reload this page to see its results.")
    st.session_state[LOG_KEY] = log
    if not done:
        return False
    st.success(f"Evaluated in {time.perf_counter() - started:.0f} s and stored with model "
               f"`{model.version}`.", icon=":material/check_circle:")
    return True


def not_evaluated(model: Model) -> bool:
    """What the page says before the first evaluation, and the button that runs it; True when
    the evaluation ran and was stored (the page then goes on to show it, and the offer is
    cleared so no "not evaluated yet" stays above the results)."""
    offer = st.empty()
    with offer.container():
        clicked = _offer(model)
    if clicked and evaluate(model):
        offer.empty()
        return True
    return False


def _offer(model: Model) -> bool:
    """The banner explaining the evaluation, and its button."""
    st.info(
        "**This model has not been evaluated yet.** The evaluation checks the similar artists "
        "against things the model never trained on: a fifth of every listener's artists is "
        "hidden and should be found again, similar artists should share tags, and an artist's "
        "countries should be predictable from its similar artists' countries. The model's "
        "method is measured beside simple baselines (popularity, random, and other "
        "similarity methods), and its clusters are measured too.\n\n"
        "It takes about a minute on the demo data and is stored with the model, so it runs "
        "once per model. From a terminal: `artist_listener_evaluate`.",
        icon=":material/query_stats:",
    )
    return st.button("Run evaluation", type="primary", icon=":material/play_arrow:",
                     key="evaluate_button")


def summary_line(result: EvaluationResult) -> str:
    when = str(result.meta.get("created_at", "?"))[:16].replace("T", " ")
    return (f"Evaluated {when} UTC on **{common.md(result.meta.get('warehouse', '?'))}**: "
            f"{data_judged(result)}. "
            f"In the charts, the model's method (**{common.md(result.default_method)}**) is "
            "orange, other methods blue and baselines grey.")


def headline_metrics(result: EvaluationResult) -> None:
    """The model's five numbers, each with how far it is from the best other row."""
    # three a row: six in one row cut their labels at 1280 px
    columns = [c for _ in range(0, len(METRICS), 3) for c in st.columns(3)]
    for column, row in zip(columns, headline(result).itertuples(), strict=False):
        delta = None
        if not (math.isnan(row.value) or math.isnan(row.best_other_value)):
            delta = f"{row.value - row.best_other_value:+.3f} vs next best"
        column.metric(row.label, "—" if math.isnan(row.value) else f"{row.value:.3f}", delta=delta,
                      help=f"{METRICS[row.metric][1]} Next best: {row.best_other}.")


def charts(result: EvaluationResult) -> None:
    """One bar chart per metric (two per row), each with its meaning under it."""
    shown = list(CHARTED)
    for start in range(0, len(shown), 2):
        for column, metric in zip(st.columns(2, gap="large"), shown[start:start + 2], strict=False):
            with column:
                frame = metric_frame(result, metric)
                if frame.empty:
                    st.caption(f"{CHARTED[metric][0]}: not measured on this data.")
                    continue
                st.altair_chart(metric_chart(frame, metric), width="stretch", key=f"chart_{metric}")
                st.caption(CHARTED[metric][1])


def clusters(result: EvaluationResult) -> None:
    st.subheader("Clusters")
    st.caption("The groups on the Clusters page. **Silhouette** (-1 to 1): how much closer an "
               "artist is to its own cluster than to the next one (cosine, on a fixed sample of at "
               f"most {SILHOUETTE_SAMPLE:,} artists). **Tag NMI** (0 to 1): how much knowing the "
               "cluster tells about an artist's top tag. **Tag purity**: in an average cluster, the "
               "share of tagged artists with its most common tag. Sizes show whether one cluster "
               "swallows the rest.")
    # fit seconds are empty for the model's own clusters (judged as saved): no empty column
    table = result.clusters.dropna(axis=1, how="all").reset_index().rename(
        columns={"index": "clustering"})
    st.dataframe(
        table, hide_index=True, width="stretch", key="cluster_quality",
        column_config={
            "clustering": st.column_config.TextColumn("Clustering"),
            "clusters": st.column_config.NumberColumn("Clusters", format="%d"),
            "size_min": st.column_config.NumberColumn("Smallest", format="%d"),
            "size_median": st.column_config.NumberColumn("Median size", format="%.0f"),
            "size_max": st.column_config.NumberColumn("Largest", format="%d"),
            "largest_share": st.column_config.NumberColumn("Largest share", format="percent"),
            "silhouette": st.column_config.NumberColumn("Silhouette", format="%.3f"),
            "tag_nmi": st.column_config.NumberColumn("Tag NMI", format="%.3f"),
            "tag_purity": st.column_config.NumberColumn("Tag purity", format="%.3f"),
            "tagged_artists": st.column_config.NumberColumn("Tagged artists", format="localized"),
            "fit_s": st.column_config.NumberColumn(
                "Fit seconds", format="%.1f", help="Empty: the model's own clusters, as saved"),
        },
    )
    if len(result.clusters) < 2:
        st.caption("To compare with the seed's Bayesian Gaussian mixture on the same features, run "
                   "`artist_listener_evaluate --with-seed` (about 3 minutes more on the demo).")


def results(result: EvaluationResult, model: Model) -> None:
    st.markdown(summary_line(result))
    headline_metrics(result)
    charts(result)
    clusters(result)
    st.subheader("All numbers")
    # pixel widths that fit a 1280 px window; rows over 4rem let long method names wrap
    st.dataframe(metric_table(result), hide_index=True, width="stretch", key="evaluation_table",
                 row_height=84,
                 column_config={
                     "Method": st.column_config.TextColumn(width=180),
                     **{SHORT_LABELS[m]: st.column_config.TextColumn(width=92, help=label)
                        for m, (label, _) in METRICS.items() if m in SHORT_LABELS},
                     "Fit s": st.column_config.TextColumn(width=50, help=FIT_SECONDS[1]),
                 })
    st.caption("± one standard error of the mean (listeners or artists as the units); "
               "— : not measured for that method. The download has every column the "
               "evaluation stored, unrounded (the same as `evaluation.csv` in the model folder).")
    common.csv_download(result.methods.rename_axis("method"), "Download all numbers (CSV)",
                        f"evaluation-{model.version}.csv", "download_evaluation", index=True)
    if st.button("Evaluate again", icon=":material/refresh:", key="evaluate_again",
                 help="Runs the whole evaluation again (about a minute on the demo data) and "
                      "replaces the stored results") and evaluate(model):
        st.rerun()


model = common.require_model()
st.title("Model quality")
st.caption("How well this model's similar artists and clusters hold up against outside checks, "
           "beside simple baselines.")

# No st.stop() below: after st.stop() Streamlit drops what app.py writes after the page (the
# sidebar's selected artist), so the page simply ends when there is nothing more to show.
try:
    stored = read_evaluation(common.model_folder(model))
except InsightsError as exc:
    st.error(common.message(exc))
    stored = None
if stored is None and not_evaluated(model):
    stored = read_evaluation(common.model_folder(model))
if stored is not None:
    results(stored, model)
