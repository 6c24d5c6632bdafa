"""The multi-scale occupancy model against published estimates and simulated truth."""

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, SHARED
from riverfish.errors import InputError
from riverfish.occupancy import Data, fit, loglik, read_detections, simulate

FUNGUS = SHARED / "occupancy" / "fungus_detections.csv"
needs_fungus = pytest.mark.skipif(
    not FUNGUS.is_file(), reason="the shared occupancy data are not there"
)


@needs_fungus
def test_fungus_estimates_match_the_published_ones():
    """Dorazio & Erickson (2018), model psi(.) theta(.) p(.): theta 0.46, p 0.86, psi 0.90."""
    f = fit(read_detections(FUNGUS))
    assert abs(f.estimates["theta"] - 0.46) <= 0.05
    assert abs(f.estimates["p"] - 0.86) <= 0.05
    assert f.estimates["psi"] >= 0.85
    assert [round(v, 2) for v in f.intervals["theta"]] == [0.32, 0.58]
    assert [round(v, 2) for v in f.intervals["p"]] == [0.76, 0.95]
    assert round(f.intervals["psi"][0], 2) == 0.76
    assert "boundary" in f.notes["psi"]  # 20 ponds: psi sits at 1, said so


@needs_fungus
def test_command_line_prints_the_table():
    cmd = [sys.executable, "-m", "riverfish.occupancy", str(FUNGUS)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    lines = out.splitlines()
    assert lines[0] == "parameter\testimate\tlower\tupper\tnote"
    assert [line.split("\t")[0] for line in lines[1:]] == ["psi", "theta", "p"]
    theta = lines[2].split("\t")
    assert float(theta[2]) < float(theta[1]) < float(theta[3])


def test_missing_samples_and_replicates_change_nothing_else(tmp_path):
    table = tmp_path / "d.csv"
    table.write_text(
        "site,sample,pcr1,pcr2,pcr3\n"
        "a,1,1,0,1\na,2,0,0,NA\na,3,NA,NA,NA\nb,1,0,0,0\nb,2,0,1,1\nc,1,0,0,0\n"
    )
    data = read_detections(table)
    assert data.sites == ["a", "b", "c"]
    assert data.n.tolist() == [[3, 2, 0], [3, 3, 0], [3, 0, 0]]
    assert data.s.tolist() == [[2, 0, 0], [0, 2, 0], [0, 0, 0]]
    # a sample not taken (n = 0) contributes a factor 1
    without = Data(data.sites, data.n[:, :2], data.s[:, :2])
    assert math.isclose(loglik(data, 0.7, 0.5, 0.8), loglik(without, 0.7, 0.5, 0.8))
    # by hand, site c (nothing detected in 3 replicates of one sample):
    psi, theta, p = 0.7, 0.5, 0.8
    c = psi * (theta * (1 - p) ** 3 + 1 - theta) + 1 - psi
    only_c = Data(["c"], data.n[2:], data.s[2:])
    assert math.isclose(loglik(only_c, psi, theta, p), math.log(c))


def test_estimates_recover_simulated_truth():
    rng = np.random.default_rng(7)
    est = {"psi": [], "theta": [], "p": []}
    for _ in range(12):
        f = fit(simulate(rng, 150, 4, 3, 0.7, 0.5, 0.8), intervals=False)
        for k in est:
            est[k].append(f.estimates[k])
    assert abs(np.mean(est["psi"]) - 0.7) < 0.04
    assert abs(np.mean(est["theta"]) - 0.5) < 0.04
    assert abs(np.mean(est["p"]) - 0.8) < 0.04


def test_one_replicate_per_sample_reduces_the_model():
    rng = np.random.default_rng(3)
    f = fit(simulate(rng, 300, 4, 1, 0.6, 0.5, 0.8), intervals=False)
    assert math.isnan(f.estimates["p"]) and "not estimable" in f.notes["p"]
    assert f.intervals == {}
    assert abs(f.estimates["theta"] - 0.5 * 0.8) < 0.06  # theta x p
    assert abs(f.estimates["psi"] - 0.6) < 0.08


def test_bad_detection_table(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("site,sample,pcr1\na,1,2\n")
    with pytest.raises(InputError, match="detections must be 0, 1 or NA"):
        read_detections(bad)
    cols = tmp_path / "cols.csv"
    cols.write_text("pond,sample,x\n")
    with pytest.raises(InputError, match="expected site, sample, pcr1"):
        read_detections(cols)
    assert pd.read_csv(bad).shape == (1, 3)
