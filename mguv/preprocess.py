"""``python -m mguv.preprocess``: build the parse cache of a large MIDI corpus in shards.

Each process takes every COUNT-th file starting at INDEX and writes its own shard file next to
the cache; processes need nothing from each other, so they can run on several machines sharing
the cache folder. Training finds a complete set of shards and merges them, parsing nothing:

    for i in 0 1 2 3; do python -m mguv.preprocess --data lmd_full/ --shard $i --num-shards 4 & done; wait
    python train.py --data lmd_full/
"""

from mguv.cli import ArgumentParser
from mguv.errors import UsageError, cli_entry


def build_parser():
    p = ArgumentParser(prog="python -m mguv.preprocess", description=__doc__.split("\n")[0])
    p.add_argument("--data", nargs="+", required=True, metavar="SPEC", help="as for train.py (symbolic)")
    p.add_argument("--shard", type=int, required=True, metavar="INDEX", help="this process's shard, 0-based")
    p.add_argument("--num-shards", type=int, required=True, metavar="COUNT", help="number of shards")
    p.add_argument("--steps-per-beat", type=int, default=4, help="the representation's grid (default 4; 24 for an adaptive_step representation)")
    p.add_argument("--cache-dir", help="parse cache (default $MGUV_CACHE_DIR or ~/.cache/mguv)")
    p.add_argument("--workers", type=int, help="parser processes on this machine (default: all cores)")
    return p


@cli_entry
def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.num_shards < 1 or not 0 <= args.shard < args.num_shards:
        raise UsageError(f"--shard must be in 0..{args.num_shards - 1} and --num-shards at least 1")
    from mguv.data.cache import parse_source
    from mguv.data.corpus import resolve

    for source in resolve(args.data):
        parsed = parse_source(source, args.steps_per_beat, cache_dir=args.cache_dir, workers=args.workers,
                              shard=(args.shard, args.num_shards))
        print(f"{source.label}: shard {args.shard}/{args.num_shards}: {len(parsed.names)} files parsed, "
              f"{len(parsed.bad)} skipped")
    return 0


if __name__ == "__main__":
    main()
