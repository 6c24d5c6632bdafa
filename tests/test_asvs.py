"""Chimera check sample by sample, on sequences with a known origin."""

import random
from collections import Counter

import pytest

from conftest import needs_vsearch
from riverfish.asvs import DenoiseParams, sample_chimeras

rng = random.Random(11)


def _seq(n=170):
    return "".join(rng.choice("ACGT") for _ in range(n))


A, B, D = _seq(), _seq(), _seq()
# a PCR chimera: the first 100 bases of A joined to the last 70 of B
CHIMERA = A[:100] + B[100:]


@needs_vsearch
@pytest.mark.parametrize(("fraction", "removed"), [(0.5, {CHIMERA}), (1.0, set())])
def test_chimera_flagged_where_its_parents_are(tmp_path, fraction, removed):
    samples = [
        # the chimera beside both its parents, far more abundant: a chimera here
        Counter({A: 900, B: 700, D: 300, CHIMERA: 20}),
        # parent B absent: nothing to make the chimera from, it is not flagged here
        Counter({A: 800, D: 500, CHIMERA: 30}),
        # two sequences only: too few to check
        Counter({A: 50, CHIMERA: 3}),
        Counter(),
    ]
    params = DenoiseParams(chimera_sample_fraction=fraction)
    with open(tmp_path / "log.txt", "w") as log:
        found = sample_chimeras([A, B, D, CHIMERA], samples, params, tmp_path, log, threads=2)
    # flagged in 1 of the 2 samples checked where it occurs: removed at 0.5, kept at 1.0
    assert found == removed
    assert list(tmp_path.iterdir()) == [tmp_path / "log.txt"]  # work files removed
