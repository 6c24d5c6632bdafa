#!/usr/bin/env python3
"""Benchmark the whole workflow on a simulated MiSeq run, against the cost floor.

For each size: simulate a monitoring programme (``python -m riverfish.simulate``), run the
workflow from a cold start (fresh output folder, fresh classification cache) and build the
report, then time the unavoidable work on the same reads: ``vsearch --fastq_mergepairs``
over all read pairs at once. Records wall time, CPU time (user + system of every process
of the run) and peak memory (the largest single process, and the sum over the processes
alive at once, sampled every 0.2 s), the per-rule figures of Snakemake's benchmark files,
and whether the workflow's tallies and detections equal the simulated truth.

Results are appended to ``benchmarks/results/benchmarks.md`` (one table row per size) and
written to ``benchmarks/results/<date>-<pairs>.json``. Usage::

    ./.venv/bin/python benchmarks/run_benchmark.py --pairs 1000000 --samples 100
    ./.venv/bin/python benchmarks/run_benchmark.py --pairs 1000000 --samples 100 --scale 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks" / "results"

# Targets of the speed issue, on a 2-core machine.
TARGET_PAIRS_PER_S = 40_000
TARGET_EXAMPLE_S = 20.0
TARGET_PEAK_MB = 1024
TARGET_SCALING = 11.0  # time of 10x the reads, relative to 1x

# Runs a command and writes its resource use (the command and all its descendants) as JSON
# to the file given first; used so that each measured command gets clean counters.
_WRAPPER = r"""
import json, resource, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
rc = subprocess.call(cmd)
wall = time.perf_counter() - t0
r = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, "w") as fh:
    json.dump({"rc": rc, "wall_s": wall, "user_s": r.ru_utime, "sys_s": r.ru_stime,
               "max_rss_mb": r.ru_maxrss / 1024}, fh)
sys.exit(rc)
"""


# --------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------


class _TreeSampler(threading.Thread):
    """Samples the summed resident memory of a process and its descendants."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_mb = 0.0
        self.halt = threading.Event()

    def run(self) -> None:
        try:
            import psutil
        except ImportError:  # the figure is then left out
            return
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.halt.is_set():
            total = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self.halt.wait(self.interval)


def measure(cmd: list[str], log: Path, cwd: Path | None = None) -> dict:
    """Run ``cmd`` (output to ``log``); its wall, CPU and memory figures."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as tmp:
        stats_file = Path(tmp.name)
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRAPPER, str(stats_file), *cmd],
            stdout=fh,
            stderr=subprocess.STDOUT,
            cwd=cwd,
        )
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        proc.wait()
        sampler.halt.set()
        sampler.join()
    try:
        stats = json.loads(stats_file.read_text())
    finally:
        stats_file.unlink(missing_ok=True)
    stats["cpu_s"] = stats["user_s"] + stats["sys_s"]
    stats["peak_total_rss_mb"] = round(sampler.peak_mb, 1) or None
    if stats["rc"] != 0:
        tail = log.read_text(errors="replace")[-4000:]
        raise SystemExit(f"command failed ({stats['rc']}): {' '.join(cmd)}\n{tail}")
    return stats


# --------------------------------------------------------------------------------------
# Per-rule figures
# --------------------------------------------------------------------------------------


def rule_benchmarks(bench_dir: Path) -> dict[str, dict]:
    """Snakemake ``benchmark:`` files summed per rule (the rule is the first folder or the
    file name): jobs, s, cpu_time, max of max_rss."""
    rules: dict[str, dict] = {}
    for path in sorted(bench_dir.rglob("*.tsv")):
        rel = path.relative_to(bench_dir)
        rule = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        lines = path.read_text().splitlines()
        if len(lines) < 2:
            continue
        head, last = lines[0].split("\t"), lines[-1].split("\t")
        row = dict(zip(head, last, strict=False))

        def num(key, row=row):
            try:
                return float(row.get(key, "nan"))
            except ValueError:
                return float("nan")

        r = rules.setdefault(rule, {"jobs": 0, "s": 0.0, "cpu_time": 0.0, "max_rss_mb": 0.0})
        r["jobs"] += 1
        r["s"] += num("s")
        r["cpu_time"] += num("cpu_time")
        r["max_rss_mb"] = max(r["max_rss_mb"], num("max_rss"))
    return {
        k: {**v, "s": round(v["s"], 2), "cpu_time": round(v["cpu_time"], 2)}
        for k, v in rules.items()
    }


_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
_START = re.compile(r"^(?:local)?rule (\S+):$")
_JOBID = re.compile(r"^\s+jobid: (\d+)$")
_DONE = re.compile(r"^Finished jobid: (\d+) \(Rule: (\S+)\)$")


def rule_times_from_log(log: Path) -> dict[str, dict]:
    """Per rule: jobs and summed job wall time (1 s resolution) from a Snakemake log; the
    rules without a benchmark file are measured this way."""
    started: dict[str, tuple[str, float]] = {}
    stamp = None
    pending = None
    out: dict[str, dict] = defaultdict(lambda: {"jobs": 0, "s": 0.0})
    for line in log.read_text(errors="replace").splitlines():
        if m := _STAMP.match(line):
            stamp = dt.datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y").timestamp()
        elif (m := _START.match(line)) and stamp is not None:
            pending = (m.group(1), stamp)
        elif (m := _JOBID.match(line)) and pending is not None:
            started[m.group(1)] = pending
            pending = None
        elif (m := _DONE.match(line)) and stamp is not None and m.group(1) in started:
            rule, t0 = started.pop(m.group(1))
            out[rule]["jobs"] += 1
            out[rule]["s"] += stamp - t0
    return dict(out)


# --------------------------------------------------------------------------------------
# The truth
# --------------------------------------------------------------------------------------


def check_truth(data: Path, results: Path) -> dict:
    """Tallies, site richness and sample detections of a run against the simulated truth."""
    import pandas as pd

    def tsv(p):
        return pd.read_csv(p, sep="\t", keep_default_na=False)

    problems = []  # tallies first, then detections
    truth = tsv(data / "truth_tallies.tsv")
    keys = ["basin", "campaign"]
    per = truth[truth["campaign"] != "ALL"].sort_values(keys).reset_index(drop=True)
    got = tsv(results / "tallies" / "basin_campaign.tsv")
    got = got.sort_values(keys).reset_index(drop=True)[list(per.columns)]
    if not got.equals(per):
        problems.append(
            f"basin_campaign differs:\n{got.compare(per) if got.shape == per.shape else got}"
        )
    whole = truth[truth["campaign"] == "ALL"].drop(columns="campaign")
    whole = whole.sort_values("basin").reset_index(drop=True)
    basin = tsv(results / "tallies" / "basin.tsv").sort_values("basin").reset_index(drop=True)
    if not basin[list(whole.columns)].equals(whole):
        problems.append("basin tallies (all campaigns) differ")
    sites = tsv(data / "truth_sites.tsv")
    sk = ["basin", "site", "campaign"]
    gs = tsv(results / "tallies" / "site_campaign.tsv")[[*sk, "n_species"]]
    merged = sites.merge(gs, on=sk, how="outer", suffixes=("_truth", "_got"))
    bad = merged[merged["n_species_truth"] != merged["n_species_got"]]
    if len(bad):
        problems.append(f"{len(bad)} site x campaign richness differ:\n{bad.head(10)}")
    tallies_exact = not problems
    det = tsv(results / "tables" / "detections.tsv")
    comp = tsv(data / "truth_composition.tsv")
    found = set(zip(det["sample"], det["taxon"], det["rank"], strict=True))
    expected = set(zip(comp["sample"], comp["taxon"], comp["rank"], strict=True))
    tp = len(found & expected)
    precision = tp / len(found) if found else 0.0
    recall = tp / len(expected) if expected else 0.0
    if found != expected:
        problems.append(
            f"detections: {len(found - expected)} false, {len(expected - found)} missed, e.g. "
            f"{sorted(found - expected)[:3]} / {sorted(expected - found)[:3]}"
        )
    return {
        "exact": not problems,
        "tallies_exact": tallies_exact,
        "detections_exact": found == expected,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "detections": len(found),
        "expected": len(expected),
        "problems": problems,
    }


# --------------------------------------------------------------------------------------
# Machine and versions
# --------------------------------------------------------------------------------------


def _output(cmd: list[str]) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (proc.stderr + "\n" + proc.stdout).strip()


def _first_line(cmd: list[str]) -> str:
    text = _output(cmd)
    return text.splitlines()[0].strip() if text else "unavailable"


def machine() -> dict:
    cpu, mem = platform.processor() or platform.machine(), None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 2**20, 1)
                break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    return {"nproc": cores, "memory_gb": mem, "cpu": cpu, "os": platform.platform()}


def git_revision() -> tuple[str, bool]:
    """(short commit of the project, whether tracked files have uncommitted changes)."""
    commit = _first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    status = ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"]
    return commit, bool(_output(status))


def versions(vsearch: str) -> dict:
    vs = _output([vsearch, "--version"])
    m = re.search(r"vsearch v(\d+\.\d+\.\d+)", vs)
    commit, dirty = git_revision()
    return {
        "riverfish": commit + ("+changes" if dirty else ""),
        "snakemake": _first_line([str(BIN / "snakemake"), "--version"]),
        "vsearch": m.group(1) if m else "unavailable",
        "cutadapt": _first_line([str(BIN / "cutadapt"), "--version"]),
        "python": platform.python_version(),
    }


# --------------------------------------------------------------------------------------
# One size
# --------------------------------------------------------------------------------------


def snakemake(workdir: Path, configfile: Path, cores: int, *extra: str) -> list[str]:
    return [
        str(BIN / "snakemake"),
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(configfile),
        "--cores",
        str(cores),
        *extra,
    ]


def simulate(data: Path, pairs: int, samples: int, seed: int, cores: int, log: Path) -> dict:
    if data.exists():
        shutil.rmtree(data)
    cmd = [
        sys.executable,
        "-m",
        "riverfish.simulate",
        "--out",
        str(data),
        "--pairs",
        str(pairs),
        "--samples",
        str(samples),
        "--seed",
        str(seed),
        "--threads",
        str(cores),
    ]
    return measure(cmd, log)


def cold_run(run: Path, config: Path, cores: int, noop: bool = True) -> tuple[dict, dict, Path]:
    """The workflow and its report from nothing (fresh outputs, caches and metadata)."""
    if run.exists():
        shutil.rmtree(run)
    run.mkdir(parents=True)
    log = run.parent / f"{run.name}.snakemake.log"
    wf = measure(snakemake(run, config, cores), log)
    report = measure(
        snakemake(run, config, cores, "--report", str(run / "report.html")),
        run.parent / f"{run.name}.report.log",
    )
    if noop:  # nothing left to do: what any Snakemake invocation costs (start-up, DAG)
        idle = measure(snakemake(run, config, cores, "-n"), run.parent / f"{run.name}.noop.log")
        report["noop_s"] = idle["wall_s"]
        report["noop_cpu_s"] = idle["cpu_s"]
    return wf, report, log


def cost_floor(data: Path, work: Path, config: Path, cores: int, vsearch: str) -> dict:
    """vsearch --fastq_mergepairs over all pairs at once (the files concatenated first,
    untimed), with the workflow's merge settings."""
    import yaml

    cfg = yaml.safe_load(config.read_text())
    merge = cfg.get("merge", {})
    r1s = sorted((data / "reads").glob("*_R1_001.fastq.gz"))
    r1, r2 = work / "all_R1.fastq.gz", work / "all_R2.fastq.gz"
    for out, files in ((r1, r1s), (r2, [Path(str(f).replace("_R1_001", "_R2_001")) for f in r1s])):
        with open(out, "wb") as fh:
            for f in files:
                with open(f, "rb") as src:
                    shutil.copyfileobj(src, fh, 1 << 22)
    cmd = [
        vsearch,
        "--fastq_mergepairs",
        str(r1),
        "--reverse",
        str(r2),
        "--fastq_minovlen",
        str(merge.get("min_overlap", 10)),
        "--fastq_maxdiffs",
        str(merge.get("max_diffs", 10)),
        "--fastqout",
        str(work / "all_merged.fastq"),
        "--threads",
        str(cores),
        "--no_progress",
    ]
    stats = measure(cmd, work / "floor.log")
    for f in (r1, r2, work / "all_merged.fastq"):
        f.unlink(missing_ok=True)
    return stats


def bench_size(pairs: int, samples: int, args: argparse.Namespace, vsearch: str, say) -> dict:
    work = args.work / f"{pairs}"
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    load = _load()
    say(f"[{pairs:,} pairs, {samples} samples] simulating into {data} (load average {load})")
    sim = simulate(data, pairs, samples, args.seed, args.cores, work / "simulate.log")
    say(f"  simulated in {sim['wall_s']:.1f} s; workflow from a cold start ...")
    config = data / "config.yaml"
    wf, report, log = cold_run(work / "run", config, args.cores, not args.no_noop)
    say(f"  workflow {wf['wall_s']:.1f} s, report {report['wall_s']:.1f} s; cost floor ...")
    floor = cost_floor(data, work, config, args.cores, vsearch)
    results = work / "run" / "results"
    truth = check_truth(data, results)
    rules = rule_benchmarks(results / "benchmarks")
    from_log = rule_times_from_log(log)
    for rule, v in from_log.items():
        if rule not in rules and rule != "all":
            rules[rule] = {"jobs": v["jobs"], "s": round(v["s"], 1), "from": "log (1 s resolution)"}
    end_to_end = wf["wall_s"] + report["wall_s"]
    record = {
        "pairs": pairs,
        "samples": samples,
        "seed": args.seed,
        "cores": args.cores,
        "load_average_before": load,
        "load_average_after": _load(),
        "simulate": _round(sim),
        "workflow": _round(wf),
        "report": _round(report),
        "end_to_end_s": round(end_to_end, 2),
        "end_to_end_cpu_s": round(wf["cpu_s"] + report["cpu_s"], 2),
        "pairs_per_s": round(pairs / end_to_end),
        "peak_rss_mb": round(max(wf["max_rss_mb"], report["max_rss_mb"]), 1),
        "peak_total_rss_mb": max(wf["peak_total_rss_mb"] or 0, report["peak_total_rss_mb"] or 0)
        or None,
        "floor": _round(floor),
        "ratio_to_floor": round(end_to_end / floor["wall_s"], 2),
        "rules": dict(sorted(rules.items(), key=lambda kv: -kv[1]["s"])),
        "truth": truth,
    }
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return record


def _load() -> float | None:
    """1-minute load average: other work on the machine inflates the figures."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _round(stats: dict) -> dict:
    return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in stats.items()}


def example_run(args: argparse.Namespace, say) -> dict:
    """The bundled example configuration, end to end from a cold start."""
    run = args.work / "example"
    load = _load()
    say(f"[example] config/config.yaml from a cold start in {run} (load average {load})")
    wf, report, _ = cold_run(run, ROOT / "config" / "config.yaml", args.cores, noop=False)
    if not args.keep:
        shutil.rmtree(run, ignore_errors=True)
    return {
        "load_average_before": load,
        "workflow": _round(wf),
        "report": _round(report),
        "end_to_end_s": round(wf["wall_s"] + report["wall_s"], 2),
    }


# --------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------

TABLE_HEAD = (
    "| date | machine | pairs | samples | end to end (s) | pairs/s | CPU (s) | "
    "peak RSS, largest process / all (MB) | cost floor (s) | × floor | truth | "
    "example (s) | 10× time | load before | versions |\n"
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: "
    "| ---: | --- |\n"
)
MD_INTRO = (
    "# Benchmark results\n\n"
    "Appended by `benchmarks/run_benchmark.py` (see `benchmarks/README.md`): one row per data "
    "set size and run. *End to end* is the workflow from a cold start plus `snakemake "
    "--report`; *cost floor* is `vsearch --fastq_mergepairs` over the same read pairs at "
    "once; *truth* says whether the tallies (basin, basin x campaign, site x campaign) and "
    "the sample detections equal the simulated truth (precision/recall of the detections). "
    "Full figures, per rule too, are in the JSON file of each run.\n\n"
)


def markdown_row(rec: dict, host: dict, vers: dict) -> str:
    truth = rec["truth"]
    pr = f"{truth['precision']:.3f}/{truth['recall']:.3f}"
    if truth["exact"]:
        t = f"exact ({pr})"
    else:
        t = "tallies " + ("exact" if truth.get("tallies_exact") else "differ")
        t += f"; detections {pr}"
    ex = rec.get("example", {}).get("end_to_end_s")
    scale = rec.get("scaling", {}).get("time_ratio")
    peak_all = rec["peak_total_rss_mb"]
    cells = [
        rec["date"][:10],
        f"{host['nproc']} cores, {host['memory_gb']} GB, {host['cpu']}",
        f"{rec['pairs']:,}",
        str(rec["samples"]),
        f"{rec['end_to_end_s']:.1f}",
        f"{rec['pairs_per_s']:,}",
        f"{rec['end_to_end_cpu_s']:.1f}",
        f"{rec['peak_rss_mb']:.0f} / {peak_all:.0f}" if peak_all else f"{rec['peak_rss_mb']:.0f}",
        f"{rec['floor']['wall_s']:.1f}",
        f"{rec['ratio_to_floor']:.1f}",
        t,
        f"{ex:.1f}" if ex is not None else "",
        f"{scale:.2f}" if scale is not None else "",
        "" if rec.get("load_average_before") is None else f"{rec['load_average_before']:.2f}",
        f"riverfish {vers['riverfish']}, snakemake {vers['snakemake']}, vsearch "
        f"{vers['vsearch']}, cutadapt {vers['cutadapt']}",
    ]
    return "| " + " | ".join(cells) + " |\n"


def targets(rec: dict) -> list[str]:
    """Which targets the record meets, with the margin."""
    out = []
    ok = rec["pairs_per_s"] >= TARGET_PAIRS_PER_S
    verdict = ("met" if ok else "MISSED") if rec["pairs"] >= 1_000_000 else "n/a (< 1M pairs)"
    out.append(
        f"{verdict}: {rec['pairs_per_s']:,} pairs/s end to end "
        f"(target {TARGET_PAIRS_PER_S:,} from 1M pairs; "
        f"{rec['pairs_per_s'] / TARGET_PAIRS_PER_S:.2f}x)"
    )
    peak = max(rec["peak_rss_mb"], rec["peak_total_rss_mb"] or 0)
    out.append(
        f"{'met' if peak < TARGET_PEAK_MB else 'MISSED'}: peak memory {peak:.0f} MB "
        f"(target < {TARGET_PEAK_MB} MB)"
    )
    if "example" in rec:
        ex = rec["example"]["end_to_end_s"]
        out.append(
            f"{'met' if ex < TARGET_EXAMPLE_S else 'MISSED'}: example end to end {ex:.1f} s "
            f"(target < {TARGET_EXAMPLE_S:.0f} s)"
        )
    if "scaling" in rec:
        r = rec["scaling"]["time_ratio"]
        out.append(
            f"{'met' if r <= TARGET_SCALING else 'MISSED'}: {rec['scaling']['pairs_ratio']:g}x "
            f"the reads took {r:.2f}x the time (target <= {TARGET_SCALING:g}x)"
        )
    t = rec["truth"]
    out.append(
        f"{'met' if t['exact'] else 'MISSED'}: truth recovered exactly (tallies and site "
        f"richness {'exact' if t.get('tallies_exact') else 'DIFFER'}; sample detections "
        f"precision {t['precision']}, recall {t['recall']})"
    )
    return out


def write_record(rec: dict, results_dir: Path) -> tuple[Path, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    md = results_dir / "benchmarks.md"
    if not md.exists():
        md.write_text(MD_INTRO + TABLE_HEAD)
    with open(md, "a") as fh:
        fh.write(markdown_row(rec, rec["machine"], rec["versions"]))
    js = results_dir / f"{rec['date'][:10]}-{rec['pairs']}.json"
    js.write_text(json.dumps(rec, indent=1) + "\n")
    return md, js


# --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Simulate a MiSeq run, run the workflow on it from a cold start and "
        "record time, CPU and memory against the cost floor (vsearch --fastq_mergepairs).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    ap.add_argument("--pairs", type=int, default=1_000_000, help="read pairs of the data set")
    ap.add_argument("--samples", type=int, default=100, help="samples (blanks included)")
    ap.add_argument(
        "--scale", type=int, help="also run a data set this many times larger (same samples)"
    )
    ap.add_argument("--work", type=Path, default=Path("/tmp/riverfish-bench"), help="work folder")
    ap.add_argument("--keep", action="store_true", help="keep the data and the results")
    ap.add_argument("--cores", type=int, default=2, help="cores for Snakemake and vsearch")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-example", action="store_true", help="do not time the bundled example")
    ap.add_argument(
        "--no-noop",
        action="store_true",
        help="do not time a Snakemake invocation with nothing to do after the run",
    )
    ap.add_argument(
        "--results-dir", type=Path, default=RESULTS, help="where the record is appended"
    )
    args = ap.parse_args(argv)
    args.work = args.work.resolve()

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    vsearch = shutil.which("vsearch")
    if vsearch is None:
        say("error: vsearch is not on PATH (./run install, or apt-get install vsearch)")
        return 1
    if not (BIN / "snakemake").exists():
        say(f"error: no snakemake beside {sys.executable}; run with the project's .venv/bin/python")
        return 1
    host, vers = machine(), versions(vsearch)
    date = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    args.work.mkdir(parents=True, exist_ok=True)

    sizes = [args.pairs] + ([args.pairs * args.scale] if args.scale else [])
    records = []
    for pairs in sizes:
        rec = bench_size(pairs, args.samples, args, vsearch, say)
        rec.update(date=date, machine=host, versions=vers)
        records.append(rec)
    if not args.no_example:
        records[0]["example"] = example_run(args, say)
    if args.scale:
        records[-1]["scaling"] = {
            "pairs_ratio": args.scale,
            "time_ratio": round(records[-1]["end_to_end_s"] / records[0]["end_to_end_s"], 2),
        }
    status = 0
    for rec in records:
        md, js = write_record(rec, args.results_dir)
        say(f"\n== {rec['pairs']:,} read pairs, {rec['samples']} samples ==")
        if "noop_s" in rec["report"]:
            say(
                f"one Snakemake invocation with nothing to do (start-up, parsing, DAG): "
                f"{rec['report']['noop_s']:.1f} s wall, {rec['report']['noop_cpu_s']:.1f} s CPU"
            )
        say(
            f"end to end {rec['end_to_end_s']:.1f} s ({rec['pairs_per_s']:,} pairs/s), CPU "
            f"{rec['end_to_end_cpu_s']:.1f} s, peak RSS {rec['peak_rss_mb']:.0f} MB (one "
            f"process) / {rec['peak_total_rss_mb'] or 0:.0f} MB (all); cost floor "
            f"{rec['floor']['wall_s']:.1f} s -> {rec['ratio_to_floor']:.1f}x the floor"
        )
        say("per rule (summed over jobs): s / CPU s / max RSS MB")
        for rule, v in rec["rules"].items():
            extra = (
                f"{v.get('cpu_time', float('nan')):8.1f} {v.get('max_rss_mb', float('nan')):8.0f}"
                if "cpu_time" in v
                else f"  ({v['from']})"
            )
            say(f"  {rule:16s} {v['jobs']:4d} jobs {v['s']:9.1f} {extra}")
        for line in targets(rec):
            say("  " + line)
        for p in rec["truth"]["problems"]:
            say("  truth: " + p)
        if not rec["truth"]["exact"]:
            status = 1
        say(f"recorded in {md} and {js}")
    return status


if __name__ == "__main__":
    sys.exit(main())
