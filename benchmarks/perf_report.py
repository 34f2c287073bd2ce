"""docs/results/perf.md from the results of ``benchmarks/perf.py``."""

SECTION_TITLES = {
    "midi": "1. MIDI ingestion (Nottingham)",
    "audio": "2. Audio ingestion",
    "train_lstm": "3a. Training throughput: symbolic",
    "train_conv": "3b. Training throughput: audio",
    "generate": "4a. Generation: symbolic",
    "decode_audio": "4b. Generation: audio",
}


def _num(v, digits=3):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def _rows_table(rows, extra=()):
    """Markdown table of result rows; ``extra`` adds (header, key, format) columns."""
    head = "| measurement | median | unit | spread | repeats | ratio | reference |" + "".join(
        f" {h} |" for h, _, _ in extra)
    lines = [head, "|" + "---|" * (7 + len(extra))]
    for r in rows:
        lo, hi = r["spread"]
        kind = "IQR " if r.get("spread_kind") == "iqr" else ""
        ratio = f"{r['ratio']:.2f}x" if r.get("ratio") is not None else ""
        cells = [r["name"], _num(r["value"]), r["unit"], f"{kind}{_num(lo)}-{_num(hi)}", str(r["repeats"]), ratio,
                 r.get("reference", "")]
        cells += [fmt(r.get(key)) if r.get(key) is not None else "" for _, key, fmt in extra]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _targets_table(targets):
    lines = ["| target | value | goal | met | detail |", "|---|---|---|---|---|"]
    for t in targets:
        met = "skipped" if t["met"] is None else ("**met**" if t["met"] else "**NOT met**")
        value = "-" if t["value"] is None else f"{_num(t['value'])} {t['unit']}"
        detail = t.get("skipped") or t["detail"]
        lines.append(f"| {t['name']} | {value} | {t['target']} {t['unit']} | {met} | {detail} |")
    return lines


def _section(name, s):
    lines = ["", f"## {SECTION_TITLES[name]}", ""]
    if "skipped" in s or "error" in s:
        return lines + [f"Not measured: {s.get('skipped') or s.get('error')}"]
    if name == "midi":
        lines += [f"{s['files']} files, {s['segments']} segments (4 steps per beat, 32-step segments, pitches "
                  f"48..83), {s['workers']} parser processes; the cached and re-parsed epochs give identical "
                  f"segments: {s['identical_segments']}.", ""]
        lines += _rows_table(s["rows"])
        lines += ["", f"Cache on disk: {s['cache_mb']:.2f} MB ({s['parse_cache_mb']:.2f} MB of note lists, "
                      f"{s['segment_cache_mb']:.2f} MB of segments). Peak RSS: {s['peak_rss_mb']:.0f} MB in the "
                      f"main process, {s['worker_peak_rss_mb']:.0f} MB in the largest parser process."]
    elif name == "audio":
        lines += [f"{s['files']} WAV files at {s['source_rate']} Hz, {s['clips']} clips of {s['clip_seconds']:g} s "
                  f"at {s['sample_rate']} Hz.", ""]
        lines += _rows_table(s["rows"])
        lines += ["", f"First decode: {s['first_x_real_time']:.0f}x real time; from the cache "
                      f"{s['cached_x_real_time']:.0f}x. Cache: {s['cache_mb']:.1f} MB. Peak RSS "
                      f"{s['peak_rss_mb']:.0f} MB."]
    elif name in ("train_lstm", "train_conv"):
        p = s["params"]
        lines += [f"`{s['config']}`, batch {s['batch_size']}, {s['steps']} steps per variant in turns of "
                  f"{s['chunk']}; data: {s['data']}. Parameters: mguv {p['mguv']:,}, plain {p['plain']:,} "
                  f"({p['weights_matched']} weight tensors matched by name and copied, so every variant starts "
                  f"from the same weights).", ""]
        lines += _rows_table(s["rows"], extra=(
            ("val loss", "val_loss", lambda v: f"{v:.5g}"),
            ("paired ratio", "paired_ratio", lambda v: f"{v:.2f}x"),
            ("first step s", "first_step_s", lambda v: f"{v:.1f}"),
            ("FLOP util.", "flop_utilisation", lambda v: f"{100 * v:.0f}%")))
        gf = s["matmul_gflops"]
        lines += ["", "The paired ratio is the median, over the turns, of the reference's median step time "
                      "in a turn over this variant's in the turn next to it; unlike the ratio of the "
                      "medians it is not swayed by load that comes and goes between turns.",
                  "", f"Validation loss at step 0: {s['val_loss']['step 0 (all)']:.4g}; after {s['steps']} steps "
                      f"mguv and the reference differ by {100 * s['val_loss_rel_diff']:.2f}% "
                      f"({s['val_examples']} validation examples). FLOPs per training step (matmuls and "
                      f"convolutions, 3x forward): {s['flops_per_step'] / 1e9:.1f} GFLOP; fp32 matmul on this "
                      f"machine in the same process: {gf[0]:.0f} GFLOP/s before and {gf[1]:.0f} after training "
                      f"(utilisation uses the higher). Peak RSS of the section: {s['peak_rss_mb']:.0f} MB."]
    elif name == "generate":
        lines += [f"`{s['config']}`, greedy 2-bar samples. Export {s['export_s']:.1f} s, SavedModel "
                  f"{s['saved_model_mb']:.1f} MB. Fraction of cells equal to the in-graph decode: "
                  + ", ".join(f"{k} {v:.4f}" for k, v in s["checks"].items()) + ".", ""]
        lines += _rows_table(s["rows"], extra=(("vs naive loop", "ratio_vs_naive_loop", lambda v: f"{v:.0f}x"),))
        cold = [r for r in s["rows"] if "cold start" in r["name"]][-1]
        lines += ["", "Cold start phases (median s, with fast_start): " + ", ".join(
            f"{k[:-2].replace('_', ' ')} {v:.2f}" for k, v in cold["phases_median_s"].items()) + ".",
                  "First calls (tracing, XLA compiling) in s: " + ", ".join(
                      f"{k} {v:.2f}" for k, v in s["first_call_s"].items()) + "."]
    elif name == "decode_audio":
        lines += [f"`{s['config']}` decoder (the SavedModel's `decode`), {s['sample_rate']} Hz output.", ""]
        lines += _rows_table(s["rows"], extra=(("x real time", "x_real_time", lambda v: f"{v:.0f}x"),))
        lines += ["", "For scale, RAVE reports about 985 kHz of 48 kHz audio on a laptop CPU."]
    return lines


def write_markdown(result, path, optimisations=()):
    """Writes perf.md; returns its text. ``optimisations``: lines for the closing note."""
    m = result["machine"]
    c = result["parallel_ceiling"]
    lines = [
        "# Performance: data, training and generation on a 2-core CPU",
        "",
        f"Made by `{result['command']}` on {result['date']} in {result['wall_s'] / 60:.1f} minutes. Machine: "
        f"{m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}. Load average "
        f"(1/5/15 min) {'/'.join(map(str, result['load_before']))} before and "
        f"{'/'.join(map(str, result['load_after']))} after: this machine is shared, so other jobs ran "
        f"alongside. Two processes of pure Python ran {c['ratio']:.2f}x faster than one at the start, the "
        "best a process pool could do at that moment.",
        "",
        "Every row is the median of its repeats with the spread (min-max, or the interquartile range of "
        "per-step times); ratios are against a reference measured in the same run, in turns, so that "
        "load changes hit both sides.",
        "",
        "## Targets",
        "",
    ]
    lines += _targets_table(result["targets"])
    for name in SECTION_TITLES:
        if name in result["sections"]:
            lines += _section(name, result["sections"][name])
    if optimisations:
        lines += ["", "## What was optimised, and what it gained (measured in this run)", ""] + list(optimisations)
    text = "\n".join(lines) + "\n"
    with open(path, "w") as f:
        f.write(text)
    return text


def _find(section, suffix):
    return next((r for r in section.get("rows", []) if r["name"].endswith(suffix)), None)


def optimisations(result):
    """The closing note: each change made for a target, with its gain measured in this run, then what
    was measured and not adopted."""
    s = result["sections"]
    lines = []
    midi = s.get("midi", {})
    spawned, pool = _find(midi, "(before: every worker imports again)"), _find(midi, " processes")
    if spawned and pool:
        lines.append(
            f"- **Forked parser workers** (`mguv/data/cache.py`, `_start_method`): workers were always "
            f"spawned, so each imported numpy, pretty_midi and mguv again before parsing. They are now "
            f"forked when that is safe (Linux, no TensorFlow or other threads in the parent; else "
            f"spawned as before). First parse on {midi['workers']} processes: {spawned['value']:.0f} -> "
            f"{pool['value']:.0f} files/s ({midi['start_method_gain']:.2f}x); against one process "
            f"{spawned['ratio']:.2f}x -> {pool['ratio']:.2f}x.")
    notes, both = _find(midi, "rasterized again)"), _find(midi, "(note lists + segments)")
    if notes and both:
        lines.append(
            f"- **Segment cache** (`mguv/data/segment_cache.py`, read and written by `corpus.load_segments`): "
            f"the parse cache kept note lists, so every load still rasterized and cut every tune. Now the "
            f"segments for a representation are cached too (keyed by the files' contents, the representation "
            f"and the code that makes segments). An epoch from the cache: {notes['value']:.3f} s -> "
            f"{both['value']:.3f} s ({midi['segment_cache_gain']:.1f}x), so the cached epoch went from "
            f"{notes['ratio']:.0f}x to {both['ratio']:.0f}x faster than re-parsing; it costs "
            f"{midi['segment_cache_mb']:.2f} MB on disk.")
    gen = s.get("generate", {})
    base = _find(gen, "without fast_start")
    cold = _find(gen, "the first MIDI file")
    if base and cold:
        b, c = base["phases_median_s"], cold["phases_median_s"]
        lines.append(
            f"- **`fast_start` in `python -m mguv.generate`** (`mguv/generate.py`): a symbolic SavedModel's "
            f"first call spent most of its time in TensorFlow's graph optimizer (grappler) on the unrolled "
            f"decoder; the CLI process now turns it off (later calls are as fast). After the imports "
            f"(load, first sample, MIDI file): {base['after_imports_s']:.2f} s -> {cold['after_imports_s']:.2f} s "
            f"(medians; {gen['after_imports_gain']:.2f}x as the median over pairs of neighbouring runs); "
            f"the first sample alone: {b['first_sample_s']:.2f} s -> "
            f"{c['first_sample_s']:.2f} s. The whole cold start went {base['value']:.2f} s -> "
            f"{cold['value']:.2f} s, but most of it is importing TensorFlow ({c['imports_s']:.1f} s), "
            "which varies with the machine's load far more than this gain.")
    tried = []
    for key in ("train_lstm", "train_conv"):
        sec = s.get(key, {})
        for r in sec.get("rows", [])[2:]:
            tried.append(f"{r['name']}: {r['ratio']:.2f}x the plain reference (mguv as shipped: "
                         f"{sec['speedup']:.2f}x), first step {r['first_step_s']:.0f} s")
    b1, b256 = _find(gen, "b1: in-graph, XLA"), _find(gen, "b256: in-graph, XLA")
    g1, g256 = _find(gen, "b1: in-graph (tf.function)"), _find(gen, "b256: in-graph (tf.function)")
    if b1 and g1 and b256 and g256:
        tried.append(f"XLA for free-running decoding: {b1['value'] / g1['value']:.2f}x the tf.function at "
                     f"batch 1 and {b256['value'] / g256['value']:.2f}x at batch 256; the SavedModel keeps "
                     "the plain graph, since compiling at load time would add to every cold start")
    if tried:
        lines.append("- Measured and not adopted (no default changed): " + "; ".join(tried) + ".")
    return lines
