"""The bundled example on a real single-node SLURM cluster, through Snakemake's SLURM
executor plugin and the shipped profile (profiles/slurm).

tests/slurm/start_slurm.sh installs (Debian packages) and starts munge, slurmdbd on a
local MariaDB, slurmctld and one slurmd (node ``localhost``). The test runs the example
with ``--workflow-profile profiles/slurm`` and checks that the contract tables equal the
local run's byte for byte, that every job Snakemake submitted is known to the controller
and ran on node localhost in the test partition, and that the reads of each campaign went to
SLURM as one job with the CPUs asked for.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = [pytest.mark.slurm, pytest.mark.workflow]

SCRIPTS = ROOT / "tests" / "slurm"
CONFIG = ROOT / "config" / "config.yaml"
PROFILE = ROOT / "profiles" / "slurm"
# the tables every run writes, and the folders whose text tables are compared when both
# runs have them
CONTRACT = [
    "asv/asvs.fasta",
    "asv/asv_counts.tsv",
    "qc/read_tracking.tsv",
    "taxonomy/asv_taxonomy.tsv",
]
TABLE_DIRS = ["tables", "tallies", "trends", "controls"]
TEXT_SUFFIXES = {".tsv", ".csv", ".fasta", ".txt"}
SUBMITTED = re.compile(r"Job (\S+) has been submitted with SLURM jobid (\d+) \(log: ([^)]*)\)")
RUN_ID = re.compile(r"SLURM run ID: (\S+)")


def _slurm_env() -> dict[str, str]:
    """The environment with SLURM's own configuration: ./run points SLURM_CONF at
    /dev/null so that local runs do not wait for a controller (README, cluster)."""
    env = dict(os.environ)
    if env.get("SLURM_CONF") == "/dev/null":
        del env["SLURM_CONF"]
    return env


def _run(cmd: list[str], timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("env", _slurm_env())
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )


def _cluster_up() -> bool:
    return shutil.which("scontrol") is not None and _run(["scontrol", "ping"]).returncode == 0


@pytest.fixture(scope="session")
def slurm_cluster():
    """A running single-node SLURM: {'partition': name, 'accounting': bool}.

    Skips where SLURM cannot be had (not root, no apt-get, packages not installable);
    fails if SLURM is installed but does not start.
    """
    if not sys.platform.startswith("linux"):
        pytest.skip("the SLURM test runs on Linux only")
    if os.geteuid() != 0:
        pytest.skip("the SLURM test needs root (it installs and starts slurmctld and slurmd)")
    if shutil.which("apt-get") is None and shutil.which("slurmctld") is None:
        pytest.skip("SLURM is not installed and apt-get is not available to install it")
    was_up = _cluster_up()
    try:
        proc = _run(["bash", str(SCRIPTS / "start_slurm.sh")], timeout=900)
    except subprocess.TimeoutExpired:
        pytest.fail("tests/slurm/start_slurm.sh did not finish within 15 minutes")
    if proc.returncode == 3:
        reason = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
        pytest.skip(f"SLURM cannot be set up here: {reason}")
    if proc.returncode != 0:
        pytest.fail(
            f"SLURM is installed but did not start (start_slurm.sh exit {proc.returncode}):\n"
            f"{proc.stdout[-2000:]}\n{proc.stderr[-6000:]}"
        )
    partition = proc.stdout.strip().splitlines()[-1]
    config = _run(["scontrol", "show", "config"]).stdout
    accounting = "accounting_storage/slurmdbd" in config
    yield {"partition": partition, "accounting": accounting}
    if not was_up:
        _run(["bash", str(SCRIPTS / "stop_slurm.sh"), "--all"], timeout=120)


def _job_record(jobid: str) -> dict[str, str]:
    """The controller's record of a job (scontrol show job), as key -> value."""
    proc = _run(["scontrol", "show", "job", "--oneliner", jobid])
    assert proc.returncode == 0, f"the controller does not know SLURM job {jobid}: {proc.stderr}"
    return dict(re.findall(r"(\w+)=(\S*)", proc.stdout))


def _slurm_diagnostics(run_id: str | None) -> str:
    parts = [_run(["sinfo", "-N", "-l"]).stdout]
    if run_id:
        parts.append(_run(["squeue", "--states=all", "--name", run_id]).stdout)
    return "\n".join(parts)


def _tables(results: Path) -> set[str]:
    """Text tables under the compared folders, relative to results/."""
    found = set()
    for folder in TABLE_DIRS:
        base = results / folder
        if base.is_dir():
            found |= {
                str(p.relative_to(results))
                for p in base.rglob("*")
                if p.is_file() and p.suffix in TEXT_SUFFIXES
            }
    return found


def test_example_runs_on_slurm(dev_run: Path, slurm_cluster: dict, tmp_path: Path):
    partition = slurm_cluster["partition"]
    work = tmp_path / "slurm_run"
    work.mkdir()
    # as many CPUs per job as the local run used (conftest's run_workflow: --cores 2), and
    # never more than the test node has
    cpus = min(2, os.cpu_count() or 1)
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(work),
        "--configfile",
        str(CONFIG),
        "--workflow-profile",
        str(PROFILE),
        "--cores",
        str(cpus),
        "--jobs",
        "3",
        "--retries",
        "0",
        "--slurm-init-seconds-before-status-checks",
        "2",
        "--slurm-keep-successful-logs",
    ]
    if not slurm_cluster["accounting"]:
        # without slurmdbd, sacct has no records: ask squeue (MinJobAge keeps them an hour)
        cmd += ["--slurm-status-command", "squeue"]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLURM_", "SBATCH_", "SRUN_", "SNAKEMAKE_PROFILE"))
    }
    # the profile sends every job to $SBATCH_PARTITION
    env["SBATCH_PARTITION"] = partition
    started = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=1200, check=False
        )
    except subprocess.TimeoutExpired as exc:
        out = "".join(
            part.decode(errors="replace") if isinstance(part, bytes) else part
            for part in (exc.stdout or "", exc.stderr or "")
        )
        match = RUN_ID.search(out)
        if match:
            _run(["scancel", "--name", match.group(1)])
        pytest.fail(
            "the SLURM run did not finish within 20 minutes:\n"
            f"{out[-6000:]}\n{_slurm_diagnostics(match.group(1) if match else None)}"
        )
    elapsed = time.monotonic() - started
    log = proc.stdout + proc.stderr
    run_id = RUN_ID.search(log)
    assert proc.returncode == 0, (
        f"the workflow failed on SLURM ({proc.returncode}) after {elapsed:.0f} s:\n"
        f"{log[-8000:]}\n{_slurm_diagnostics(run_id.group(1) if run_id else None)}"
    )
    assert run_id, "Snakemake did not use the SLURM executor (no 'SLURM run ID' in its log)"
    submitted = SUBMITTED.findall(log)
    assert submitted, f"no job was submitted to SLURM:\n{log[-4000:]}"

    # 1. the SLURM run's contract tables are the local run's, byte for byte
    slurm_results = work / "results"
    for rel in CONTRACT:
        assert (slurm_results / rel).is_file(), f"the SLURM run did not write {rel}"
        assert (dev_run / rel).read_bytes() == (slurm_results / rel).read_bytes(), (
            f"{rel} differs between the SLURM run and the local run"
        )
    shared = _tables(dev_run) & _tables(slurm_results)
    for rel in sorted(shared):
        assert (dev_run / rel).read_bytes() == (slurm_results / rel).read_bytes(), (
            f"{rel} differs between the SLURM run and the local run"
        )

    # 2. every job Snakemake reported is a SLURM job of the controller, run on localhost in
    # the test partition under this run's name, and the controller has no other job of it
    jobids = [jobid for _, jobid, _ in submitted]
    assert len(set(jobids)) == len(jobids), f"a SLURM job id was reported twice: {jobids}"
    for jobid in jobids:
        record = _job_record(jobid)
        assert record.get("JobState") == "COMPLETED", (jobid, record.get("JobState"))
        assert record.get("NodeList") == "localhost", (jobid, record.get("NodeList"))
        assert record.get("Partition") == partition, (jobid, record.get("Partition"))
        assert record.get("JobName") == run_id.group(1), (jobid, record.get("JobName"))
    known = _run(["squeue", "--noheader", "--states=all", "--name", run_id.group(1), "-o", "%i"])
    assert set(known.stdout.split()) == set(jobids), (
        f"the controller's jobs of this run {sorted(known.stdout.split())} are not the "
        f"jobs Snakemake reported {sorted(jobids)}"
    )
    if slurm_cluster["accounting"]:
        acct = _run(
            ["sacct", "-X", "-n", "-P", "-j", ",".join(jobids), "-o", "JobIDRaw,State,NodeList"]
        )
        rows = {line.split("|")[0]: line.split("|")[1:] for line in acct.stdout.split()}
        assert set(rows) == set(jobids), f"sacct knows {sorted(rows)}, expected {sorted(jobids)}"
        for jobid, (state, nodes) in rows.items():
            assert (state, nodes) == ("COMPLETED", "localhost"), (jobid, state, nodes)

    # 3. the reads of each campaign went to SLURM as one job, with the CPUs it asked for
    campaigns = sorted(p.name for p in (slurm_results / "campaigns").iterdir())
    reads_jobs = [jobid for _, jobid, path in submitted if "/rule_campaign_reads/" in path]
    assert len(reads_jobs) == len(campaigns) == 2, (reads_jobs, campaigns)
    for jobid in reads_jobs:
        assert _job_record(jobid).get("NumCPUs") == str(cpus), _job_record(jobid)
    print(
        f"SLURM run: {len(jobids)} SLURM jobs ({len(reads_jobs)} for the reads of "
        f"{len(campaigns)} campaigns) in {elapsed:.0f} s"
    )
