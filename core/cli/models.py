"""``artist_listener_models``: the kept model versions, and what changed between two of them.

    artist_listener_models history              every kept version (the current one marked)
    artist_listener_models diff [OLD] [NEW]     artists whose top 10 similar artists changed most
                                                (default: previous -> current)
"""

from __future__ import annotations

import argparse
import json

from core.cli.common import run
from core.config import Settings
from core.model import ModelStore
from core.model_history import TOP_N, ModelComparison, compare_versions, history


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="artist_listener_models", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    h = sub.add_parser("history", help="list the kept model versions")
    h.add_argument("--json", action="store_true", help="print JSON")
    d = sub.add_parser("diff", help="what changed between two versions")
    d.add_argument("old", nargs="?", default="previous",
                   help="a version (or a unique prefix), 'previous' or 'current'; default previous")
    d.add_argument("new", nargs="?", default="current", help="default current")
    d.add_argument("--top-n", type=int, default=TOP_N, help="similar artists compared per artist")
    d.add_argument("--limit", type=int, default=20, help="artists listed (most changed first)")
    d.add_argument("--json", action="store_true", help="print JSON")
    return p


def format_comparison(diff: ModelComparison, limit: int) -> str:
    lines = [f"{diff.old} -> {diff.new}: {len(diff.artists):,} artists in both, "
             f"{diff.mean_overlap:.1%} of each top {diff.top_n} unchanged on average"]
    lines.append(f"artists added {len(diff.added):,}, removed {len(diff.removed):,}")
    for name, (was, now) in diff.params.items():
        lines.append(f"parameter {name}: {was} -> {now}")
    changed = diff.most_changed(limit)
    if len(changed):
        lines.append(f"most changed (new in top {diff.top_n} / left it):")
        for row in changed.itertuples():
            lines.append(f"  {row.artist}: {row.changed} changed; + {row.entered or '-'}; "
                         f"- {row.left or '-'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    def go() -> int:
        store = ModelStore(Settings.from_env().model_dir)
        if args.command == "history":
            table = history(store)
            if args.json:
                print(table.to_json(orient="records", indent=2))
            elif table.empty:
                print(f"no model versions in {store.root}")
            else:
                print(table.to_string(index=False))
            return 0
        diff = compare_versions(store, args.old, args.new, args.top_n)
        if args.json:
            print(json.dumps({"old": diff.old, "new": diff.new, "top_n": diff.top_n,
                              "mean_overlap": diff.mean_overlap, "added": diff.added,
                              "removed": diff.removed,
                              "params": {k: list(v) for k, v in diff.params.items()},
                              "most_changed": diff.most_changed(args.limit).to_dict("records")},
                             indent=2, default=str))
        else:
            print(format_comparison(diff, args.limit))
        return 0

    return run(go)


if __name__ == "__main__":
    raise SystemExit(main())
