"""``artist_listener_insights KIND "<a,b,...>"``: answers as JSON on stdout.

  similarity   the most similar artists (--explain: shared listeners and both shares)
  geographic   top markets, modeled recommendations and market opportunities
  emerging     smaller artists (--max-listeners) whose audience sits inside this one's
  targeting    "fans of" lists for ads: similar artists ranked by similarity x their
               streams in --country
  roster       a label's roster (--names-file: one name per line, or a CSV with an
               artist/artistname/name column): each artist's top opportunities and the
               roster's territories summed by gap

Unknown names are reported on stderr with the closest known names, after the answers for the
other names are printed, and the exit code is then 3 so scripts notice.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.cli.common import EXIT_PARTIAL, run
from core.config import Settings
from core.errors import InsightsError
from core.insights import geographic_answers, scouting, similarity_answers, targeting
from core.insights.batch import AnswersByName
from core.insights.markets import MIN_PEERS
from core.insights.roster import decode_names, parse_names, roster_answers
from core.model import Model, ModelStore


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="artist_listener_insights", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=KINDS)
    p.add_argument("names", nargs="?", default="", help='comma-separated artist names, "a,b,c"')
    p.add_argument("--name", action="append", default=[], metavar="NAME",
                   help="one artist name, taken whole (for names containing commas); repeatable")
    p.add_argument("--names-file", type=Path,
                   help="a UTF-8 file with one artist name per line; for roster also a CSV whose "
                        "header has an artist, artistname or name column")
    p.add_argument("--top-n", type=int, help="answers per artist (default 10 similar, emerging "
                                             "and targeting; 5 markets and roster opportunities)")
    p.add_argument("--explain", action="store_true",
                   help="similarity: add shared listeners and listener shares to every pair")
    p.add_argument("--min-peers", type=int, default=MIN_PEERS,
                   help="geographic: market peers that must stream in a territory before it is "
                        f"called an opportunity (default {MIN_PEERS}); fewer go to thin_evidence")
    p.add_argument("--max-listeners", type=int, default=scouting.MAX_LISTENERS,
                   help="emerging: the most listeners an emerging artist may have "
                        f"(default {scouting.MAX_LISTENERS})")
    p.add_argument("--min-shared", type=int, default=scouting.MIN_SHARED,
                   help="emerging: listeners an emerging artist must share with the artist "
                        f"(default {scouting.MIN_SHARED})")
    p.add_argument("--country", help='targeting: the country to advertise in, e.g. "Germany"')
    p.add_argument("--seed-only", action="store_true",
                   help="geographic: print only the seed's keys (top_markets, recommendations)")
    p.add_argument("--model-version", help="a model version other than the current one")
    p.add_argument("--compact", action="store_true", help="one-line JSON")
    return p


KINDS = ["similarity", "geographic", "emerging", "targeting", "roster"]


def collect_names(args: argparse.Namespace) -> list[str]:
    names = [n for n in args.names.split(",")] if args.names else []
    names += args.name
    if args.names_file:
        try:
            data = args.names_file.read_bytes()
        except OSError as exc:
            raise InsightsError(f"cannot read names file {args.names_file}: {exc.strerror}") from None
        text = decode_names(data, f"names file {args.names_file}")  # the dashboard's rule too
        names += parse_names(text) if args.kind == "roster" else text.splitlines()
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise InsightsError('give at least one artist name, e.g. "Coldplay,Muse" or --names-file')
    return names


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    def go() -> int:
        if args.top_n is not None and args.top_n < 1:
            raise InsightsError("--top-n must be at least 1")
        if args.min_peers < 1:
            raise InsightsError("--min-peers must be at least 1")
        if args.max_listeners < 1 or args.min_shared < 1:
            raise InsightsError("--max-listeners and --min-shared must be at least 1")
        if args.kind == "targeting" and not (args.country or "").strip():
            raise InsightsError('targeting needs --country, e.g. --country "Germany"')
        names = collect_names(args)
        model = ModelStore(Settings.from_env().model_dir).load(args.model_version)
        for warning in model.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if args.kind == "roster":
            roster = roster_answers(model, names, top_n=args.top_n or 5, min_peers=args.min_peers)
            answers: object = roster.as_json()
            unknown = roster.unknown
        else:
            by_name = _answers(args, model, names)
            answers, unknown = by_name.answers, by_name.unknown
        indent = None if args.compact else 2
        print(json.dumps(answers, indent=indent, ensure_ascii=False))
        for problem in unknown:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_PARTIAL if unknown else 0

    return run(go)


def _answers(args: argparse.Namespace, model: Model, names: list[str]) -> AnswersByName:
    """The answer of ``args.kind`` for every name, through the core function the pages use."""
    if args.kind == "similarity":
        return similarity_answers(model, names, args.top_n or 10, explain=args.explain)
    if args.kind == "emerging":
        return scouting.emerging_answers(model, names, max_listeners=args.max_listeners,
                                         min_shared=args.min_shared,
                                         top_n=args.top_n or scouting.TOP_N)
    if args.kind == "targeting":
        return targeting.targeting_answers(model, names, args.country,
                                           top_n=args.top_n or targeting.TOP_N)
    return geographic_answers(model, names, args.top_n or 5,
                              opportunities=not args.seed_only, min_peers=args.min_peers)


if __name__ == "__main__":
    raise SystemExit(main())
