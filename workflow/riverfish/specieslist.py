"""Regional plausibility: species calls checked against a list of the species that may
occur (Japan by default, optionally one list per basin).

A reference database covers the fishes of the world, and a species call may be a
foreign congener that merely shares a sequence region with the local fish. A species
call outside the list is reported at genus (``Genus_sp``) with a flag, and listed for
review with its best hit; the data are not thrown away.

The national default is derived from the names table the database is built with
(``reference.common_names``): a species is on it when the table gives it, or one of its
subspecies, a Japanese name that is not a katakana transliteration of a foreign name
(those carry the middle dot ``・``, e.g. アングイラ・オーストラリス). Its limits, kept
in mind when reading the flags: the table names every fish with a Japanese name,
introduced, aquarium and food fishes among them (ナイルティラピア), so it cannot catch
those; and a Japanese fish filed in the database under a name the table does not know
(a synonym) is flagged although it occurs in Japan (see the review table).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from riverfish.errors import InputError

#: the value of ``classify.species_list`` that selects the list derived from the names table
JAPAN = "japan"
REVIEW_COLUMNS = ["asv_id", "species", "best_identity", "candidates", "list", "called_as"]


def _is_japanese_name(name: str) -> bool:
    return bool(name) and "・" not in name and not name.isascii()


def japan_species(species: set[str], common_names: dict[str, str]) -> dict[str, str]:
    """species -> its Japanese name, for the database species (``Genus_epithet``) that
    the names table (:func:`riverfish.refinputs.read_common_names` keys) gives a Japanese
    name, directly or through a subspecies (``Genus_epithet_subspecies``)."""
    out: dict[str, str] = {}
    for key, name in common_names.items():
        if not _is_japanese_name(name):
            continue
        parts = key.split("_")
        if len(parts) >= 2:
            sp = f"{parts[0]}_{parts[1]}"
            if sp in species:
                out.setdefault(sp, name)
    return dict(sorted(out.items()))


def read_species_list(path: str | os.PathLike) -> set[str]:
    """A user's species list: a TSV or CSV with a column ``species`` (``Genus species`` or
    ``Genus_species``)."""
    path = Path(path)
    try:
        sep = "," if path.suffix.lower() == ".csv" else "\t"
        table = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError("species list not found", path=path) from None
    if "species" not in table.columns:
        raise InputError(
            f"the species list has no column 'species' (found {', '.join(table.columns)})",
            path=path,
            line=1,
            hint="one row per species, e.g. 'species' then 'Oncorhynchus masou'",
        )
    names = {"_".join(s.split()) for s in table["species"].str.strip() if s}
    if not names:
        raise InputError("the species list is empty", path=path)
    return names


def apply_list(
    taxonomy: pd.DataFrame, allowed: set[str], label: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(taxonomy with species calls outside ``allowed`` named at genus, the review table
    of those calls: asv_id, species, best_identity, candidates, list, called_as)."""
    out = taxonomy.copy()
    outside = (out["rank"] == "species") & ~out["species"].isin(allowed)
    review = out.loc[outside, ["asv_id", "species", "best_identity", "candidates"]].copy()
    review["list"] = label
    review["called_as"] = out.loc[outside, "genus"] + "_sp"
    out.loc[outside, "taxon"] = out.loc[outside, "genus"] + "_sp"
    out.loc[outside, "rank"] = "genus"
    if "common_name" in out:
        out.loc[outside, "common_name"] = out.loc[outside, "genus"] + "属"
    if "basis" in out:
        out.loc[outside, "basis"] = (
            out.loc[outside, "basis"]
            + "; "
            + out.loc[outside, "species"]
            + f" is not on the species list ({label}): named at genus"
        )
    out.loc[outside, "species"] = ""
    return out, review[REVIEW_COLUMNS].reset_index(drop=True)
