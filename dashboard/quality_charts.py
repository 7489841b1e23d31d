"""The Model quality page's bar charts (Altair), drawn from ``core.evaluation.report``'s frames."""

from __future__ import annotations

import altair as alt
import pandas as pd

from core.evaluation.report import CHARTED, METRICS, EvaluationResult, method_role

ROLE_COLOURS = {"this model": "#f28e2b", "product default": "#f28e2b",
                "other method": "#4e79a7", "baseline": "#bab0ac"}


def metric_chart(frame: pd.DataFrame, metric: str) -> alt.LayerChart:
    """Horizontal bars of one metric, best first, the model's method in orange (other methods
    blue, baselines grey; the page says so once instead of a legend under every chart), values
    printed at the bar ends so nobody has to read them off an axis."""
    label = CHARTED.get(metric, (metric, ""))[0]
    number = ".2f" if metric == "fit_s" else ".3f"
    roles = [r for r in ROLE_COLOURS if r in set(frame["role"])]
    base = alt.Chart(frame).encode(
        y=alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=260)),
        # room to the right of the longest bar for its printed value
        x=alt.X("value:Q", title=None,
                scale=alt.Scale(domain=[0, max(float(frame["value"].max()) * 1.2, 1e-9)], nice=False)),
        tooltip=[alt.Tooltip("method:N", title="Method"), alt.Tooltip("value:Q", title=label,
                                                                          format=number)],
    )
    bars = base.mark_bar().encode(
        color=alt.Color("role:N", title=None, sort=roles,
                        scale=alt.Scale(domain=roles, range=[ROLE_COLOURS[r] for r in roles]),
                        legend=None))
    text = base.mark_text(align="left", dx=3).encode(text=alt.Text("value:Q", format=number))
    return alt.layer(bars, text, title=label).properties(height=alt.Step(22))


#: table headings short enough for six metric columns at 1280 px (the charts use METRICS' labels)
SHORT_LABELS = {"recall@10": "Recall@10", "ndcg@10": "nDCG@10", "tag@10": "Tags@10",
                "geo_ndcg@10": "Geo nDCG@10", "geo_spearman": "Spearman", "coverage@10": "Coverage@10"}


def metric_table(result: EvaluationResult) -> pd.DataFrame:
    """Methods x metrics as text for reading: "0.186 ± 0.003" (± one standard error, where the
    evaluation measured one), "—" where a method has no value, fit time in seconds; baselines
    say so after their name."""
    methods = result.methods
    rows = []
    for name, values in methods.iterrows():
        role = method_role(str(name), result.default_method)
        named = role != "baseline" or "baseline" in str(name)
        row = {"Method": str(name) + ("" if named else " (baseline)")}
        for metric in METRICS:
            label = SHORT_LABELS.get(metric, metric)
            value = values.get(metric, float("nan"))
            error = values.get(f"{metric}_se", float("nan"))
            row[label] = ("—" if pd.isna(value) else f"{value:.3f}"
                          + ("" if pd.isna(error) else f" ± {error:.3f}"))
        fit = values.get("fit_s", float("nan"))
        row["Fit s"] = "—" if pd.isna(fit) else f"{fit:.1f}"
        rows.append(row)
    return pd.DataFrame(rows)
