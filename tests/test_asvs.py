"""Chimera check sample by sample, on sequences with a known origin."""

import random
from collections import Counter

import pytest

from conftest import needs_vsearch
from riverfish.asvs import DenoiseParams, denoise_campaign, md5seq, sample_chimeras

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


def _mutate(seq, pos):
    return seq[:pos] + {"A": "C", "C": "G", "G": "T", "T": "A"}[seq[pos]] + seq[pos + 1 :]


# a close congener of A, one substitution apart; an error variant of A elsewhere
CONGENER, ERROR = _mutate(A, 60), _mutate(A, 120)


def _denoise(tmp_path, samples, **params):
    names = [f"s{i}" for i in range(len(samples))]
    with open(tmp_path / "log.txt", "w") as log:
        return denoise_campaign(
            names,
            dict(zip(names, samples, strict=True)),
            DenoiseParams(**params),
            tmp_path,
            log,
        )


@needs_vsearch
@pytest.mark.parametrize(("sample_min_size", "kept"), [(4, True), (0, False)])
def test_congener_rare_in_the_pool_abundant_in_its_sample(tmp_path, sample_min_size, kept):
    samples = [
        # A abundant, with a sequencing-error variant at 1 % of it
        Counter({A: 6000, ERROR: 60, D: 400}),
        Counter({A: 3000, D: 200}),
        # the congener's own sample: 300 reads beside 200 of A. Over the campaign it is
        # 300 against 9,200 of A, under UNOISE3's skew for one difference (1/8)
        Counter({CONGENER: 300, A: 200}),
    ]
    result = _denoise(tmp_path, samples, sample_min_size=sample_min_size)
    asvs = {seq for _, seq in result.asvs}
    assert asvs == ({A, D, CONGENER} if kept else {A, D})
    counts = {
        (md5seq(seq), s): n
        for seq in (A, CONGENER)
        for (a, s, n) in result.counts
        if a == md5seq(seq)
    }
    if kept:
        assert counts[(md5seq(CONGENER), "s2")] == 300
        assert counts[(md5seq(A), "s0")] == 6060  # the error variant counted in A
    else:
        assert counts[(md5seq(A), "s2")] == 500


@needs_vsearch
def test_rare_sequence_of_one_sample_under_the_pooled_min_size(tmp_path):
    samples = [Counter({A: 2000, D: 6}), Counter({A: 1500, B: 900})]
    # D has 6 exact reads in the whole campaign (min_size 8) but is no error of A or B
    assert {s for _, s in _denoise(tmp_path, samples).asvs} == {A, B, D}
    assert {s for _, s in _denoise(tmp_path, samples, sample_min_size=8).asvs} == {A, B}


@needs_vsearch
def test_reads_over_the_error_limit_count_but_make_no_asv(tmp_path):
    names = ["s0"]
    with open(tmp_path / "log.txt", "w") as log:
        result = denoise_campaign(
            names,
            {"s0": Counter({A: 500})},
            DenoiseParams(),
            tmp_path,
            log,
            noisy={"s0": Counter({A: 40, ERROR: 30, B: 50})},
        )
    # noisy reads identical or close to A count in it; B, noisy only, makes no ASV
    assert [s for _, s in result.asvs] == [A]
    assert result.in_asvs == {"s0": 570}
