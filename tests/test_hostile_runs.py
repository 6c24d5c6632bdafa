"""Runs that fail or leave nothing say so: a job's error reaches its log and the console
with the library's message; a campaign without field samples, one whose reads were all
filtered and a run where nothing is detected end with warnings (warnings table, end of
the run, report start page), and ``strict: true`` makes them a failing exit status."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import DEV, example_config, needs_shared, needs_vsearch, run_workflow, write_sheet
from riverfish import jobenv
from riverfish.errors import InputError


def _pair(rep: int, site: str = "HY-mine"):
    """A field sample's reads of the simulated set (2025-spring)."""
    (r1,) = (DEV / "reads").glob(f"{site}_2025-spring_r{rep}_S*_L001_R1_001.fastq.gz")
    return r1, Path(str(r1).replace("_R1_001", "_R2_001"))


def _row(sample, rep, kind="sample", pair=None):
    r1, r2 = pair or _pair(rep)
    return {
        "sample": sample,
        "basin": "Hayase",
        "site": "HY-mine",
        "replicate": rep,
        "type": kind,
        "fq1": str(r1),
        "fq2": str(r2),
    }


def test_job_log_sends_a_library_error_to_the_log_and_the_console(tmp_path, monkeypatch):
    console = io.StringIO()
    monkeypatch.setattr(sys, "stderr", console)
    log = tmp_path / "job.log"
    with pytest.raises(SystemExit) as stop:
        with jobenv.job_log(log, context="campaign 'c1'") as fh:
            fh.write("started\n")
            raise InputError("the lineage table is empty", path="lineage.csv")
    assert stop.value.code == 1
    assert sys.stderr is console  # restored
    text = log.read_text()
    assert text.startswith("started\nerror: campaign 'c1': ")
    assert "the lineage table is empty" in text and "lineage.csv" in text
    assert "error: campaign 'c1': " in console.getvalue()
    assert "the lineage table is empty" in console.getvalue()


def test_job_log_keeps_the_traceback_of_an_unexpected_error(tmp_path, monkeypatch):
    console = io.StringIO()
    monkeypatch.setattr(sys, "stderr", console)
    log = tmp_path / "job.log"
    with pytest.raises(SystemExit):
        with jobenv.job_log(log):
            {}["missing"]  # noqa: B018
    assert "Traceback" in log.read_text() and "KeyError: 'missing'" in log.read_text()
    assert "KeyError: 'missing'" in console.getvalue()


@needs_shared
@needs_vsearch
@pytest.mark.workflow
def test_a_failing_job_says_why_in_its_log_and_on_the_console(tmp_path):
    data = _pair(1)[0].read_bytes()
    cut = tmp_path / "cut_R1.fastq.gz"
    cut.write_bytes(data[: len(data) // 2])  # a transfer cut short: gzip ends early
    rows = [_row("s1", 1, pair=(cut, _pair(1)[1])), _row("s2", 2)]
    config = example_config({"c1": str(write_sheet(tmp_path / "c1.tsv", rows))})
    proc = run_workflow(tmp_path, config, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    message = "the read files could not be read to the end after"
    assert "error: campaign 'c1': " in out and message in out
    log = (tmp_path / "results" / "logs" / "campaign_reads" / "c1.log").read_text()
    assert message in log and "lost sys.stderr" not in out + log
    # nothing that looks complete
    assert not (tmp_path / "results" / "tallies" / "basin_campaign.tsv").exists()


@needs_shared
@needs_vsearch
@pytest.mark.workflow
def test_runs_that_leave_nothing_warn_and_strict_fails(tmp_path):
    sheets = {
        "c1": write_sheet(tmp_path / "c1.tsv", [_row("a1", 1), _row("a2", 2)]),
        # only a blank: no river water
        "c2": write_sheet(
            tmp_path / "c2.tsv", [_row("b1", 1, kind="field_blank", pair=_pair(1, "HY-up"))]
        ),
        # a length window no insert fits: every read filtered
        "c3": write_sheet(
            tmp_path / "c3.tsv",
            [
                _row("c1x", 1, pair=_pair(1, "HY-down")),
                _row("c2x", 2, pair=_pair(2, "HY-down")),
            ],
        ),
    }
    config = example_config({k: str(v) for k, v in sheets.items()})
    config["campaign_settings"] = {"c3": {"filter": {"min_length": 219, "max_length": 220}}}
    proc = run_workflow(tmp_path, config, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    res = tmp_path / "results"
    warnings = pd.read_csv(res / "qc" / "warnings.tsv", sep="\t", dtype=str).fillna("")
    outcome = warnings.loc[warnings["source"] == "outcome"]
    assert outcome["message"].tolist() == [
        "campaign c2 has no river-water samples (only controls): nothing can be tallied for it",
        "campaign c3: none of its 2 field samples kept a read through the read steps",
    ]
    # at the end of the run, where a person looks
    assert "outcome: campaign c3: none of its 2 field samples kept a read" in out
    assert "warning(s): see results/qc/warnings.tsv" in out
    # the tallies of c1 are there; c3's are zero, not missing
    tallies = pd.read_csv(res / "tallies" / "basin_campaign.tsv", sep="\t", dtype=str)
    assert set(tallies["campaign"]) >= {"c1"}
    # strict: the same run fails, every result written and the warnings named
    config["strict"] = True
    proc = run_workflow(tmp_path, config, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "strict: the run has" in out and "campaign c2 has no river-water samples" in out
    assert (res / "qc" / "warnings.tsv").is_file()
    assert not (res / "qc" / "strict_check.txt").exists()


@needs_shared
@needs_vsearch
@pytest.mark.workflow
def test_nothing_detected_is_a_warning_on_the_start_page(tmp_path):
    rows = [_row("a1", 1), _row("a2", 2)]
    config = example_config({"c1": str(write_sheet(tmp_path / "c1.tsv", rows))})
    config["detection"] = {"min_reads": 10**9}
    proc = run_workflow(tmp_path, config, check=False)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    res = tmp_path / "results"
    warnings = pd.read_csv(res / "qc" / "warnings.tsv", sep="\t", dtype=str).fillna("")
    assert warnings["message"].tolist()[0] == (
        "campaign c1: no taxon was detected in any field sample"
    )
    page = (res / "report" / "findings.rst").read_text(encoding="utf-8")
    body = page[page.index("What the fish eDNA says") :]
    assert body.index("Warning: 1 result(s) of this run are empty") < body.index("Hayase basin")
    assert "**campaign c1: no taxon was detected in any field sample**" in body
    tallies = pd.read_csv(res / "tallies" / "basin.tsv", sep="\t", dtype=str)
    assert tallies["n_species"].tolist() == ["0"]


def _without_primers(src: Path, dest: Path, cut: int = 40) -> Path:
    """The reads of ``src`` with their first ``cut`` bases (random prefix and primer)
    removed: reads that carry no primer."""
    import gzip

    lines = gzip.decompress(src.read_bytes()).decode().split("\n")
    for i in range(len(lines) // 4):
        lines[4 * i + 1] = lines[4 * i + 1][cut:]
        lines[4 * i + 3] = lines[4 * i + 3][cut:]
    dest.write_bytes(gzip.compress("\n".join(lines).encode()))
    return dest


@needs_shared
@needs_vsearch
@pytest.mark.workflow
def test_a_sample_without_primers_is_named_in_the_warnings(tmp_path):
    r1, r2 = _pair(2)
    bare = (
        _without_primers(r1, tmp_path / "bare_R1.fastq.gz"),
        _without_primers(r2, tmp_path / "bare_R2.fastq.gz"),
    )
    rows = [_row("a1", 1), _row("bare", 2, pair=bare)]
    config = example_config({"c1": str(write_sheet(tmp_path / "c1.tsv", rows))})
    proc = run_workflow(tmp_path, config, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    warnings = pd.read_csv(tmp_path / "results" / "qc" / "warnings.tsv", sep="\t", dtype=str)
    mine = warnings.loc[(warnings["sample"] == "bare") & (warnings["source"] == "outcome")]
    assert mine["message"].tolist() == [
        "sample bare: 5000 read pairs, but no merged read carries both primers (another "
        "primer set or marker, or reads already trimmed?); the sample counts as one without "
        "fish DNA"
    ]
    assert mine["setting"].tolist() == [
        "primers.forward / primers.reverse, primers.random_prefix_max"
    ]
