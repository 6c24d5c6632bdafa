"""The review of a built reference database on hand-made records with known relations:
odd records and names of different genera with the same sequence."""

import random

import pandas as pd

from conftest import needs_vsearch
from riverfish.refdb import RefRecord
from riverfish.refreview import cross_genus_names, odd_records, report_lines, self_hits

rng = random.Random(5)


def _seq(n=170):
    return "".join(rng.choice("ACGT") for _ in range(n))


def _mutate(seq, k):
    s = list(seq)
    for i in rng.sample(range(len(s)), k):
        s[i] = {"A": "C", "C": "G", "G": "T", "T": "A"}[s[i]]
    return "".join(s)


CARP, PROCYPRIS, UPENEUS = _seq(), _seq(), _seq()


def rec(ref_id, species, seq, family="Cyprinidae"):
    genus = species.split("_")[0]
    return RefRecord(ref_id, seq, species, species, genus, family, "Cypriniformes", "", "species")


RECORDS = [
    rec("c1", "Cyprinus_carpio", CARP),
    rec("c2", "Cyprinus_carpio", _mutate(CARP, 1)),
    rec("p1", "Procypris_mera", PROCYPRIS),
    # filed as Procypris but identical to carp, 12 % from the other Procypris record
    rec("p2", "Procypris_mera", CARP),
    rec("u1", "Upeneus_japonicus", UPENEUS, "Mullidae"),
    rec("u2", "Upeneus_japonicus", _mutate(UPENEUS, 2), "Mullidae"),
]


@needs_vsearch
def test_odd_record_found_with_its_evidence():
    hits = self_hits(RECORDS)
    odd = odd_records(hits, RECORDS)
    assert list(odd["ref_id"]) == ["p2"]
    row = odd.iloc[0]
    assert (row["other_species"], row["other_identity"]) == ("Cyprinus_carpio", 100.0)
    assert row["evidence"] == (
        "no other Procypris_mera record within 85 %; 100.0 % to Cyprinus_carpio (c1, Cyprinidae)"
    )
    names = cross_genus_names(hits, RECORDS)
    assert names[["name_a", "name_b", "max_identity"]].values.tolist() == [
        ["Cyprinus_carpio", "Procypris_mera", 100.0]
    ]
    lines = {line.item: line for line in report_lines(odd, names)}
    assert lines["odd_records"].count == 1 and lines["cross_genus_names"].count == 1
    assert "Cyprinus_carpio / Procypris_mera (100.0 %)" in lines["cross_genus_names"].detail


def test_odd_records_from_hits_alone():
    # a record 88.5 % from its conspecific and identical to a congener is odd; one 99 %
    # from its conspecific is not, whatever its other hits
    hits = pd.DataFrame(
        [
            ("p2", "c1", 100.0), ("p2", "p1", 88.5), ("c1", "p2", 100.0), ("c1", "c2", 99.4),
            ("c2", "c1", 99.4), ("p1", "p2", 88.5), ("u1", "u2", 98.8), ("u2", "u1", 98.8),
        ],
        columns=["query", "target", "identity"],
    )  # fmt: skip
    odd = odd_records(hits, RECORDS)
    assert list(odd["ref_id"]) == ["p2"]
    assert odd.iloc[0]["evidence"] == (
        "88.5 % to the nearest other Procypris_mera record (p1); 100.0 % to Cyprinus_carpio "
        "(c1, Cyprinidae)"
    )
