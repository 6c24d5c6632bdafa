"""Primer handling: IUPAC reverse complements and the cutadapt adapter specifications."""

import pytest

from riverfish.errors import InputError
from riverfish.primers import linked_adapters, reverse_complement


def test_reverse_complement_iupac():
    assert reverse_complement("CATAGKRGGGTRTCTAATCCYMGTTTG") == "CAAACKRGGATTAGAYACCCYMCTATG"
    assert reverse_complement("acgtn") == "NACGT"
    assert reverse_complement("GYYGGTAAAWCTCGTGCCAGC") == "GCTGGCACGAGWTTTACCRRC"


def test_reverse_complement_rejects_non_iupac():
    with pytest.raises(InputError, match="'X', which is not an IUPAC"):
        reverse_complement("ACGX")


def test_linked_adapters_one_per_prefix_length():
    specs = linked_adapters("GTCGG", "CATAG", 2)
    assert specs == [
        "^GTCGG;noindels...CTATG;required;min_overlap=5",
        "^NGTCGG;noindels...CTATG;required;min_overlap=5",
        "^NNGTCGG;noindels...CTATG;required;min_overlap=5",
    ]


def test_linked_adapters_no_prefix():
    assert linked_adapters("ACGU", "TTTT", 0, indels=True) == [
        "^ACGT...AAAA;required;min_overlap=4"
    ]
