"""``python train.py``: train a named config on a corpus into a run directory."""

import os
import time

from mguv import configs
from mguv.cli import ArgumentParser, quiet_tensorflow
from mguv.errors import UsageError, cli_entry
from mguv.training.distribute import STRATEGIES

MODES = ("symbolic", "audio")


def build_parser():
    p = ArgumentParser(prog="train.py", description="Train a music VAE. Rerun the same command to "
                       "resume an interrupted run.")
    p.add_argument("--mode", choices=MODES,
                   help="symbolic (MIDI piano-rolls, the default) or audio (raw 3 kHz clips)")
    p.add_argument("--data", nargs="+", default=[], metavar="SPEC",
                   help="symbolic: folders of MIDI, score files, or named corpora (bach, nottingham, "
                        "nottingham/melody, nottingham=DIR); audio: folders of wav/au/flac/ogg/mp3. "
                        "Several are merged. Default: the Bach chorales (rendered to audio in audio mode)")
    p.add_argument("--genre", help="audio: keep only this genre of a GTZAN-style folder (genres/<genre>/)")
    p.add_argument("--config", help=f"named config (default lstm_vae, or conv_vae with --mode audio): "
                                    f"{', '.join(configs.names())}")
    p.add_argument("--model", choices=configs.FAMILIES, metavar="FAMILY",
                   help="model family; picks its default config (the config of the same name): "
                        f"{', '.join(configs.FAMILIES)}. With --config, the config must be of this family")
    p.add_argument("--epochs", type=int, help="override train.epochs")
    p.add_argument("--batch-size", type=int, help="override train.batch_size")
    p.add_argument("--seed", type=int, help="override train.seed (split, shuffling, init)")
    p.add_argument("--split", choices=("file", "segment"),
                   help="validation split by file (default) or by random segment (the paper's)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override any config field, e.g. --set beta=0.5 (beta-VAE), "
                        "--set model.latent_dim=128, --set representation.melody_only=true")
    p.add_argument("--init", metavar="RUN",
                   help="fine-tune: start from the weights of a trained run folder or of pretrained:NAME "
                        "(a model shipped with mguv). Its config is used unless --config names another "
                        "with the same representation and model")
    p.add_argument("--out", help="run directory (default runs/CONFIG-TIMESTAMP)")
    p.add_argument("--overwrite", action="store_true", help="replace a finished run in --out")
    p.add_argument("--samples", type=int, default=8, help="prior samples written as MIDI or WAV")
    p.add_argument("--cache-dir", help="parse cache (default $MGUV_CACHE_DIR or ~/.cache/mguv)")
    p.add_argument("--workers", type=int, help="parser processes (default: all cores)")
    p.add_argument("--strategy", choices=STRATEGIES,
                   help="tf.distribute: mirrored (local GPUs, or --cpu-replicas), multiworker "
                        "(cluster from TF_CONFIG), tpu (Colab TPU). Default: one device")
    p.add_argument("--cpu-replicas", type=int, default=0, metavar="N",
                   help="with --strategy mirrored: split the CPU into N logical devices")
    p.add_argument("--list-configs", action="store_true", help="print the named configs and exit")
    return p


def _init_run(spec):
    """(folder, config) of the run or pretrained model ``--init`` names; a bad one is a UsageError."""
    from mguv import pretrained
    from mguv.run_dir import RunPaths, read_run_config

    folder = pretrained.resolve(spec)
    paths = RunPaths(folder)
    if not (os.path.isfile(paths.model) or paths.exported):
        raise UsageError(f"--init {spec}: no model.keras or saved_model in {folder}; name a finished run "
                         "folder or pretrained:NAME")
    return folder, read_run_config(folder)[0]


# Settings of a piano-roll that only say how MIDI is written: fine-tuning may change them.
WRITING_ONLY = ("tempo", "program", "velocity", "track_name")


def _check_init(spec, init_config, config):
    """A UsageError unless ``config`` can start from the weights of ``init_config``: the same
    representation (the data must mean the same; how MIDI is written may differ) and the same
    model family."""
    old, new = init_config.representation.to_dict(), config.representation.to_dict()
    changed = [f"{k}: {old.get(k)} -> {new.get(k)}" for k in sorted(set(old) | set(new))
               if old.get(k) != new.get(k) and k not in WRITING_ONLY]
    if changed:
        raise UsageError(f"--init {spec} was trained on another representation than {config.name}'s "
                         f"({'; '.join(changed[:4])}); fine-tuning needs the same one: drop --config "
                         "and the representation settings")
    if config.model.family != init_config.model.family:
        raise UsageError(f"--init {spec} is a {init_config.model.family} model, but {config.name} is "
                         f"{config.model.family}; fine-tuning needs the same family")


@cli_entry
def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.list_configs:
        for name in configs.names():
            print(f"{name:20s} {configs.get(name).description}")
        return 0
    if args.model and args.config and configs.get(args.config).model.family != args.model:
        same = [n for n in configs.names() if configs.get(n).model.family == args.model]
        raise UsageError(f"--config {args.config} is a {configs.get(args.config).model.family} config but "
                         f"--model is {args.model}; {args.model} configs: {', '.join(same)}")
    init_dir, init_config = _init_run(args.init) if args.init else (None, None)
    mode = args.mode or (init_config.mode if init_config else "symbolic")
    default = configs.family_config(args.model) if args.model else (
        "conv_vae" if mode == "audio" else "lstm_vae")
    config = init_config if init_config and not (args.config or args.model) else configs.get(args.config or default)
    if config.mode != mode:
        what = f"--config {config.name}" if args.config or not args.model else f"--model {args.model}"
        if init_config and config is init_config:
            what = f"--init {args.init}"
        raise UsageError(f"{what} is a {config.mode} config but --mode is {mode}; "
                         f"{mode} configs: {', '.join(configs.names(mode))}")
    sets = list(args.set)
    for flag, key in (("epochs", "train.epochs"), ("batch_size", "train.batch_size"),
                      ("seed", "train.seed"), ("split", "train.split")):
        if getattr(args, flag) is not None:
            sets.append(f"{key}={getattr(args, flag)}")
    config = configs.override(config, sets)
    if init_config:
        _check_init(args.init, init_config, config)
    out = args.out or os.path.join("runs", f"{config.name}-{time.strftime('%Y%m%d-%H%M%S')}")
    if args.cpu_replicas < 0:
        raise UsageError("--cpu-replicas must be positive")
    quiet_tensorflow()
    from mguv.training.distribute import make_strategy
    from mguv.training.run import train

    strategy = make_strategy(args.strategy, args.cpu_replicas)
    train(config, args.data, out, overwrite=args.overwrite, cache_dir=args.cache_dir,
          workers=args.workers, num_samples=args.samples, genre=args.genre, strategy=strategy, init=init_dir)
    return 0


if __name__ == "__main__":
    main()
