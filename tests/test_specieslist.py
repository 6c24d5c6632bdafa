"""Regional plausibility: the default species list derived from the names table, user
lists, and species calls outside a list named at genus."""

import pandas as pd
import pytest

from riverfish.errors import InputError
from riverfish.specieslist import apply_list, japan_species, read_species_list


def test_japan_species_from_the_names_table():
    names = {
        "Anguilla_japonica": "ニホンウナギ",
        "Anguilla_australis": "アングイラ・オーストラリス",  # a transliteration: foreign
        "Squalidus_chankaensis_biwae": "スゴモロコ",  # through its subspecies
        "Salmo_trutta": "Brown trout",  # not Japanese
        "Oncorhynchus_mykiss": "ニジマス",  # not in the database: not listed
    }
    species = {"Anguilla_japonica", "Anguilla_australis", "Squalidus_chankaensis", "Salmo_trutta"}
    assert japan_species(species, names) == {
        "Anguilla_japonica": "ニホンウナギ",
        "Squalidus_chankaensis": "スゴモロコ",
    }


def test_read_species_list(tmp_path):
    path = tmp_path / "basin.tsv"
    path.write_text("species\tnote\nOncorhynchus masou\tyamame\nSalvelinus_leucomaenis\t\n")
    assert read_species_list(path) == {"Oncorhynchus_masou", "Salvelinus_leucomaenis"}
    bad = tmp_path / "bad.tsv"
    bad.write_text("name\nOncorhynchus masou\n")
    with pytest.raises(InputError, match="has no column 'species'"):
        read_species_list(bad)


def test_species_outside_the_list_named_at_genus():
    taxonomy = pd.DataFrame(
        {
            "asv_id": ["a", "b", "c"],
            "taxon": ["Oncorhynchus_mykiss", "Oncorhynchus_masou", "Salmonidae"],
            "rank": ["species", "species", "family"],
            "species": ["Oncorhynchus_mykiss", "Oncorhynchus_masou", ""],
            "genus": ["Oncorhynchus", "Oncorhynchus", ""],
            "best_identity": [100.0, 99.4, 92.0],
            "candidates": ["Oncorhynchus_mykiss", "Oncorhynchus_masou", "Salmo_trutta"],
            "common_name": ["ニジマス", "サクラマス", ""],
            "basis": ["strict", "strict", "genus threshold"],
        }
    )
    out, review = apply_list(taxonomy, {"Oncorhynchus_masou"}, "basin Kiso")
    a = out.iloc[0]
    assert (a["taxon"], a["rank"], a["species"], a["common_name"]) == (
        "Oncorhynchus_sp", "genus", "", "Oncorhynchus属",
    )  # fmt: skip
    assert (
        a["basis"]
        == "strict; Oncorhynchus_mykiss is not on the species list (basin Kiso): named at genus"
    )
    assert out.iloc[1]["taxon"] == "Oncorhynchus_masou" and out.iloc[2]["taxon"] == "Salmonidae"
    assert review.to_dict("records") == [
        {
            "asv_id": "a",
            "species": "Oncorhynchus_mykiss",
            "best_identity": 100.0,
            "candidates": "Oncorhynchus_mykiss",
            "list": "basin Kiso",
            "called_as": "Oncorhynchus_sp",
        }
    ]
