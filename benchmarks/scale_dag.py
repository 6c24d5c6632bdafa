"""How the workflow's start scales with the number of samples, and how many SLURM jobs a
large programme submits.

Generates a programme of N samples in C campaigns in a temporary folder (every sample's
fq1/fq2 are symlinks to one small read pair of the shared simulated data set), writes a
config (config/config.yaml with these campaigns), and measures, each several times (the
median is reported):

- ``snakemake -n`` (parse, sheet checks, DAG of every job): the start of a local run;
- ``snakemake -n --workflow-profile profiles/slurm``: the same with the SLURM profile
  (and its job groups, if it defines any);
- ``snakemake --list-rules``: parsing alone (sheets read and checked), which every SLURM
  job repeats when it starts;
- ``sheets.load_campaigns`` with and without the per-file FASTQ checks.

The jobs that would go to SLURM are counted from the dry runs: the jobs of rules that are
not local, with the per-sample jobs of a group counted once per group job. Results go to
benchmarks/results/scale_dag.md (``--out``). If a dry run takes longer than
``--profile-above`` seconds, one run is profiled (cProfile) and the functions that
dominate are listed.

    .venv/bin/python benchmarks/scale_dag.py [--samples 5000] [--campaigns 50] [--repeats 3]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from importlib import metadata
from pathlib import Path

import yaml
from run_benchmark import git_revision  # the script beside this one

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "data" / "dev-campaigns"
PROFILE = ROOT / "profiles" / "slurm"
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
ACTIONS = ("shell:", "script:", "run:", "notebook:", "wrapper:", "cwl:", "template_engine:")
BASINS = 5
SITES = ("up", "mine", "down")


# ------------------------------------------------------------------ the programme
def make_programme(dest: Path, n_samples: int, n_campaigns: int) -> tuple[Path, Path]:
    """Sheets, read symlinks and a config for n_samples in n_campaigns; (config, workdir)."""
    pairs = sorted(DEV.glob("reads/*_R1_001.fastq.gz"))
    if not pairs:
        sys.exit(f"the shared simulated data set is missing ({DEV})")
    r1 = pairs[0]
    r2 = Path(str(r1).replace("_R1_001", "_R2_001"))
    reads = dest / "reads"
    sheets = dest / "sheets"
    reads.mkdir(parents=True)
    sheets.mkdir()
    per_campaign = [n_samples // n_campaigns] * n_campaigns
    for i in range(n_samples % n_campaigns):
        per_campaign[i] += 1
    campaigns = {}
    cols = ["sample", "basin", "site", "site_role", "replicate", "type", "fq1", "fq2"]
    for c, n in enumerate(per_campaign):
        campaign = f"{2000 + c // 2}-{'spring' if c % 2 == 0 else 'autumn'}"
        rows = []
        for k in range(n):
            basin = f"Basin{k % BASINS + 1}"
            slot = k // BASINS
            if slot == 0:
                site, role, rep, kind = f"{basin}-blank", "", 1, "field_blank"
            else:
                site_no = (slot - 1) % len(SITES)
                rep = (slot - 1) // len(SITES) + 1
                site = f"{basin}-{SITES[site_no]}"
                role = "reference" if SITES[site_no] == "up" else ""
                kind = "sample"
            sample = f"{site}_{campaign}_r{rep}"
            fq = []
            for mate, target in (("R1", r1), ("R2", r2)):
                link = reads / f"{sample}_{mate}.fastq.gz"
                link.symlink_to(target)
                fq.append(str(link))
            rows.append([sample, basin, site, role, rep, kind, *fq])
        path = sheets / f"{campaign}.tsv"
        with open(path, "w", newline="") as fh:
            writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
            writer.writerow(cols)
            writer.writerows(rows)
        campaigns[campaign] = str(path)
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config["campaigns"] = campaigns
    config["output_dir"] = "results"
    cfg = dest / "config.yaml"
    cfg.write_text(yaml.safe_dump(config, sort_keys=False))
    work = dest / "work"
    work.mkdir()
    return cfg, work


# ------------------------------------------------------------------ measuring
def smk_cmd(cfg: Path, work: Path, *extra: str) -> list[str]:
    return [
        *SNAKEMAKE,
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(work),
        "--configfile",
        str(cfg),
        *extra,
    ]


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SBATCH_", "SLURM_"))}
    env.pop("SNAKEMAKE_PROFILE", None)
    return env


def timed(cmd: list[str], repeats: int, label: str) -> tuple[list[float], str]:
    """Wall times of `repeats` runs of cmd, and the output of the last one."""
    times = []
    out = ""
    for i in range(repeats):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(), check=False)
        times.append(time.perf_counter() - start)
        out = proc.stdout + proc.stderr
        if proc.returncode != 0:
            sys.exit(f"{label} failed ({proc.returncode}):\n{out[-4000:]}")
        print(f"  {label} [{i + 1}/{repeats}]: {times[-1]:.1f} s", file=sys.stderr)
    return times, out


def job_stats(out: str) -> Counter:
    """Rule -> jobs, from the 'Job stats' table of a dry run."""
    counts: Counter = Counter()
    block = out.split("Job stats:", 1)[1]
    for line in block.splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        counts[parts[0]] = int(parts[1])
    return counts


def group_jobs(out: str) -> list[int]:
    """Number of member jobs of every group job printed by a dry run."""
    sizes = []
    current = None
    for line in out.splitlines():
        if re.search(r"\] Group job \S+ \(jobs in lexicogr\. order\):", line):
            current = 0
            sizes.append(0)
        elif current is not None and re.match(r"\s+rule \w+:", line):
            sizes[-1] += 1
        elif current is not None and re.match(r"(\[.*\] )?(local)?rule \w+:", line):
            current = None
    return sizes


def local_rules() -> set[str]:
    """Rules that run on the submit host: `localrule: True`, or no action (e.g. all)."""
    local = set()
    files = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]
    for path in files:
        text = path.read_text()
        blocks = re.split(r"^(?=rule \w+:)", text, flags=re.M)
        for block in blocks:
            m = re.match(r"rule (\w+):", block)
            if not m:
                continue
            body = re.split(r"^\S", block.split("\n", 1)[1] if "\n" in block else "", flags=re.M)[0]
            if re.search(r"^\s+localrule:\s*True", body, re.M) or not any(
                re.search(rf"^\s+{a}", body, re.M) for a in ACTIONS
            ):
                local.add(m.group(1))
    return local


def profile_group_components() -> dict[str, int]:
    text = (PROFILE / "config.yaml").read_text()
    block = re.search(r"^group-components:\n((?:[ #].*\n)+)", text, re.M)
    found = {}
    if block:
        for m in re.finditer(r"^\s+(\w+):\s*(\d+)", block.group(1), re.M):
            found[m.group(1)] = int(m.group(2))
    return found


def sheet_timing(cfg: Path, repeats: int) -> dict[str, float]:
    """Median seconds of sheets.load_campaigns with and without the FASTQ checks."""
    sys.path.insert(0, str(ROOT / "workflow"))
    from riverfish import sheets

    config = yaml.safe_load(cfg.read_text())
    schema = sheets.load_schema(ROOT / "workflow" / "schemas" / "samples.schema.yaml")
    result = {}
    for check in (True, False):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            sheets.load_campaigns(config["campaigns"], schema, root=ROOT, check_files=check)
            times.append(time.perf_counter() - start)
        result["with FASTQ checks" if check else "without FASTQ checks"] = statistics.median(times)
    return result


def import_timing() -> dict[str, float]:
    """Seconds to import jsonschema in a fresh Python, as installed and without the
    optional rfc3987_syntax (whose grammars are compiled at import)."""
    result = {}
    for label, code in (
        ("import jsonschema", "import jsonschema"),
        (
            "import jsonschema, rfc3987_syntax hidden",
            "import sys; sys.modules['rfc3987_syntax'] = None; import jsonschema",
        ),
    ):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - start)
        result[label] = statistics.median(times)
    return result


def profile_dry_run(cfg: Path, work: Path, top: int = 25) -> str:
    """cProfile of one dry run; the functions with the most cumulative time."""
    prof = work.parent / "dry_run.prof"
    cmd = [
        sys.executable,
        "-m",
        "cProfile",
        "-o",
        str(prof),
        "-m",
        "snakemake",
        *smk_cmd(cfg, work, "-n", "--quiet", "--cores", "2")[3:],
    ]
    subprocess.run(cmd, capture_output=True, text=True, env=clean_env(), check=False)
    buf = io.StringIO()
    stats = pstats.Stats(str(prof), stream=buf)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(15)
    return buf.getvalue()


# ------------------------------------------------------------------ report
def machine() -> dict[str, str]:
    mem_kb = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    commit, dirty = git_revision()
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpus": f"{os.cpu_count()} ({cpu})",
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "snakemake": version("snakemake"),
        "snakemake-executor-plugin-slurm": version("snakemake-executor-plugin-slurm"),
        "riverfish commit": (commit or "?") + (" (with uncommitted changes)" if dirty else ""),
    }


def fmt_times(times: list[float]) -> str:
    return f"{statistics.median(times):.1f} s (runs: {', '.join(f'{t:.1f}' for t in times)})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=5000)
    ap.add_argument("--campaigns", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--profile-above", type=float, default=60.0, metavar="SECONDS")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "scale_dag.md")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="riverfish-scale-"))
    try:
        print(f"programme of {args.samples} samples in {tmp}", file=sys.stderr)
        cfg, work = make_programme(tmp, args.samples, args.campaigns)
        local_t, local_out = timed(
            smk_cmd(cfg, work, "-n", "--cores", "2"), args.repeats, "snakemake -n"
        )
        slurm_t, slurm_out = timed(
            smk_cmd(cfg, work, "-n", "--workflow-profile", str(PROFILE)),
            args.repeats,
            "snakemake -n --workflow-profile profiles/slurm",
        )
        parse_t, _ = timed(
            smk_cmd(cfg, work, "--list-rules"), args.repeats, "snakemake --list-rules"
        )
        sheet_t = sheet_timing(cfg, args.repeats)
        import_t = import_timing()
        profile = ""
        if statistics.median(local_t) > args.profile_above:
            print("  profiling one dry run", file=sys.stderr)
            profile = profile_dry_run(cfg, work)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    stats = job_stats(local_out)
    local = local_rules()
    remote_jobs = sum(n for rule, n in stats.items() if rule not in local)
    groups = group_jobs(slurm_out)
    grouped_members = sum(groups)
    with_groups = remote_jobs - grouped_members + len(groups)
    comps = profile_group_components()
    info = machine()

    lines = [
        "# Scale: DAG build and SLURM job count for a large programme",
        "",
        "Generated by `benchmarks/scale_dag.py` (re-run it to update this file):",
        f"{args.samples:,} samples in {args.campaigns} campaigns "
        f"({args.samples // args.campaigns} per campaign), every sample's reads a symlink to "
        "one small read pair of the simulated data set; config/config.yaml with these "
        "campaigns. Times are wall-clock medians of "
        f"{args.repeats} runs, one at a time.",
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        *[f"| {k} | {v} |" for k, v in info.items()],
        "",
        "## Start-up time",
        "",
        "| what | time |",
        "| --- | --- |",
        f"| `snakemake -n` (parse, sheet checks, DAG of all jobs) | {fmt_times(local_t)} |",
        f"| `snakemake -n --workflow-profile profiles/slurm` | {fmt_times(slurm_t)} |",
        f"| `snakemake --list-rules` (parse and sheet checks only; every SLURM job repeats "
        f"this) | {fmt_times(parse_t)} |",
        *[f"| `sheets.load_campaigns`, {label} | {t:.2f} s |" for label, t in sheet_t.items()],
        *[f"| `{label}` (fresh Python) | {t:.2f} s |" for label, t in import_t.items()],
        "",
        "## Jobs",
        "",
        "| rule | jobs |",
        "| --- | --- |",
        *[f"| {rule}{' (local)' if rule in local else ''} | {n:,} |" for rule, n in stats.items()],
        f"| total | {sum(stats.values()):,} |",
        "",
        "| submitted to SLURM | jobs |",
        "| --- | --- |",
        f"| one SLURM job per non-local job | {remote_jobs:,} |",
    ]
    if groups:
        sizes = ", ".join(f"{k}x{v}" for k, v in sorted(Counter(groups).items(), reverse=True))
        lines += [
            f"| with the profile's grouping (group-components "
            f"{', '.join(f'{k}={v}' for k, v in comps.items())}) | {with_groups:,} |",
            f"| of which group jobs | {len(groups):,} (sizes: {sizes}) |",
        ]
    lines.append("")
    if profile:
        lines += [
            "## Profile of one dry run (cProfile)",
            "",
            "```",
            *[ln.rstrip() for ln in profile.splitlines() if ln.strip()],
            "```",
            "",
        ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines)
    marker = "\n## Findings"
    if args.out.exists() and marker in args.out.read_text():
        # keep the hand-written findings below the generated part
        text += args.out.read_text()[args.out.read_text().index(marker) :]
    args.out.write_text(text + ("" if text.endswith("\n") else "\n"))
    print(text)


if __name__ == "__main__":
    main()
