"""Tallies of taxa per basin, site and campaign, recovery trends and species tables.

All tallies use the counting rule of the output contract (:func:`count_taxa`): a survey
report's "22 species" counts species-rank taxa plus one for each genus-rank taxon whose
genus has no species-rank taxon in the same group; families and orders are the distinct
families and orders of every taxon assigned at that rank or below.

The input of the tallies is a site-level detection table such as the one returned by
:func:`riverfish.controls.replicate_support` (basin, site, campaign, taxon, rank, genus,
family, order, ..., detected); only rows with ``detected`` true are counted.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .controls import (
    FIELD_SAMPLE,
    as_bool,
    as_text,
    campaign_sort_key,
    normalise_samples,
    require_columns,
    taxon_info,
)
from .errors import InputError
from .files import temporary_sibling

TALLY_FIELDS = ["n_orders", "n_families", "n_species"]
BASIN_CAMPAIGN_COLUMNS = ["basin", "campaign", *TALLY_FIELDS]
BASIN_COLUMNS = ["basin", *TALLY_FIELDS, "n_campaigns"]
SITE_CAMPAIGN_COLUMNS = ["basin", "site", "campaign", *TALLY_FIELDS]
TREND_COLUMNS = [
    "basin",
    "site",
    "campaign",
    "n_orders",
    "n_families",
    "n_species",
    "change_from_previous",
    "change_from_first",
]
SIMILARITY_COLUMNS = [
    "basin",
    "campaign",
    "site",
    "reference_site",
    "n_taxa",
    "n_taxa_reference",
    "n_shared",
    "jaccard",
    "sorensen",
    "note",
]
FIRST_LAST_COLUMNS = [
    "basin",
    "taxon",
    "rank",
    "genus",
    "family",
    "order",
    "common_name",
    "first_campaign",
    "last_campaign",
    "n_campaigns_detected",
    "campaigns_detected",
    "sites",
]
INDICATOR_COLUMNS = ["basin", "campaign", "group", "n_taxa", "taxa"]
INDICATOR_GROUPS = ("cold_clean_water", "migratory", "alien", "redlisted", "not_in_traits")
SPECIES_TABLE_ROW_COLUMNS = ["order", "family", "taxon", "rank", "common_name"]

TRAIT_COLUMNS = ["species", "cold_clean_water", "migratory", "alien", "redlist_japan", "source"]
TRAIT_YES_NO = ("yes", "no")
TRAIT_MIGRATORY = ("amphidromous", "anadromous", "catadromous", "potamodromous", "marine", "no")
MIGRATORY_VALUES = ("amphidromous", "anadromous", "catadromous", "potamodromous")
TRAIT_ALIEN = ("native", "alien_domestic", "alien_foreign")
TRAIT_REDLIST = ("EX", "EW", "CR", "EN", "VU", "NT", "DD", "LP", "")
_SPECIES_NAME = re.compile(r"^[A-Z][a-z]+_[a-z][a-z0-9-]*(?:_[A-Za-z0-9-]+)*$")

REFERENCE_ROLE = "reference"
NOTE_NO_REFERENCE = "no reference site: similarity not computable"
NOTE_REFERENCE_NOT_SAMPLED = (
    "reference site not sampled in this campaign: similarity not computable"
)
NOTE_NOTHING_DETECTED = "no taxa detected at the site nor at the reference site"
NOTE_IS_REFERENCE = "reference site"
SITE_SEPARATOR = " / "
# what a species table's cell shows where a taxon was detected (species_table's cells)
CELL_KINDS = ("text", "symbols", "replicates", "reads")
DETECTED_SYMBOL = "○"


# ---------------------------------------------------------------------------------------
# the counting rule


def count_taxa(df: pd.DataFrame) -> dict[str, int]:
    """Count orders, families and species of a group of taxa by the contract's rule.

    ``df`` has the columns taxon, rank, genus, family, order (one row per taxon or more;
    duplicates count once). ``n_species`` = distinct species-rank taxa + one per genus-rank
    taxon whose genus has no species-rank taxon in ``df``. ``n_families`` = distinct
    non-empty families of the taxa at rank species, genus or family; ``n_orders`` =
    distinct non-empty orders of the taxa at rank species, genus, family or order. Taxa of
    rank ``unassigned`` count nowhere.

    Returns ``{"n_orders": ..., "n_families": ..., "n_species": ...}``.
    """
    require_columns(df, ("taxon", "rank", "genus", "family", "order"), "the taxa to count")
    if df.empty:
        return {"n_orders": 0, "n_families": 0, "n_species": 0}
    taxon = as_text(df["taxon"])
    rank = as_text(df["rank"]).str.lower()
    genus = as_text(df["genus"])
    family = as_text(df["family"])
    order = as_text(df["order"])
    # a species- or genus-rank taxon without a genus column value: take it from the name
    no_genus = (genus == "") & rank.isin(["species", "genus"])
    genus = genus.where(~no_genus, taxon.str.split("_").str[0])

    is_species = rank == "species"
    species_genera = set(genus[is_species])
    species_taxa = set(taxon[is_species])
    genus_only = set(taxon[(rank == "genus") & ~genus.isin(species_genera)])
    families = set(family[rank.isin(["species", "genus", "family"])]) - {""}
    orders = set(order[rank.isin(["species", "genus", "family", "order"])]) - {""}
    return {
        "n_orders": len(orders),
        "n_families": len(families),
        "n_species": len(species_taxa) + len(genus_only),
    }


def _detected(site_detections: pd.DataFrame, campaigns: Sequence[str]) -> pd.DataFrame:
    """The detected rows of a site detection table, of the listed campaigns, as text."""
    require_columns(
        site_detections,
        ("basin", "site", "campaign", "taxon", "rank", "genus", "family", "order"),
        "the site detections table",
    )
    dets = site_detections.copy()
    for col in ("basin", "site", "campaign", "taxon", "rank", "genus", "family", "order"):
        dets[col] = as_text(dets[col])
    if "detected" in dets.columns:
        dets = dets.loc[as_bool(dets["detected"])]
    return dets.loc[dets["campaign"].isin(list(campaigns))].reset_index(drop=True)


def _field_samples(samples: pd.DataFrame, campaigns: Sequence[str]) -> pd.DataFrame:
    """Field samples of the listed campaigns."""
    _check_campaigns(campaigns)
    sheet = normalise_samples(samples)
    fields = sheet.loc[(sheet["type"] == FIELD_SAMPLE) & sheet["campaign"].isin(list(campaigns))]
    return fields.reset_index(drop=True)


def _check_campaigns(campaigns: Sequence[str]) -> None:
    """InputError when the campaign order lists a campaign twice."""
    if isinstance(campaigns, str):
        raise InputError(
            f"the campaign order must be a list of names, got the text {campaigns!r}",
            hint="pass e.g. ['2025-spring', '2025-autumn']",
        )
    seen = [c for i, c in enumerate(campaigns) if c in list(campaigns)[:i]]
    if seen:
        raise InputError(f"the campaign order lists {', '.join(seen)} more than once")


def _count_groups(dets: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """:func:`count_taxa` of every group of ``dets`` by ``keys``."""
    records = [
        {**dict(zip(keys, key, strict=True)), **count_taxa(group)}
        for key, group in dets.groupby(keys, sort=False)
    ]
    return pd.DataFrame(records, columns=[*keys, *TALLY_FIELDS])


def _tally_table(
    dets: pd.DataFrame, index: pd.DataFrame, keys: list[str], campaigns: Sequence[str]
) -> pd.DataFrame:
    """Tallies of ``dets`` by ``keys`` for every row of ``index`` (zeros when none)."""
    counted = _count_groups(dets, keys)
    index = pd.concat([index.loc[:, keys], counted.loc[:, keys]]).drop_duplicates()
    table = index.merge(counted, on=keys, how="left")
    for col in TALLY_FIELDS:
        table[col] = table[col].fillna(0).astype("int64")
    order = [k for k in ("basin", "campaign", "site") if k in keys]
    table = table.sort_values(order, key=campaign_sort_key(campaigns))
    return table.reset_index(drop=True)


def tallies(
    site_detections: pd.DataFrame, samples: pd.DataFrame, campaigns: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tallies per basin × campaign, per basin (all campaigns) and per site × campaign.

    Only rows of ``site_detections`` with ``detected`` true, of the campaigns listed in
    ``campaigns`` (chronological), count. Every basin × campaign and site × campaign with
    field samples appears, with zeros where nothing was detected.

    Returns ``(basin_campaign, basin, site_campaign)``:

    - basin_campaign: basin, campaign, n_orders, n_families, n_species
    - basin: basin, n_orders, n_families, n_species, n_campaigns (the union of the
      basin's detections over its campaigns; n_campaigns = campaigns with field samples)
    - site_campaign: basin, site, campaign, n_orders, n_families, n_species

    Rows are ordered by basin, campaign (in the given order), site.
    """
    fields = _field_samples(samples, campaigns)
    dets = _detected(site_detections, campaigns)

    basin_campaign = _tally_table(
        dets, fields.loc[:, ["basin", "campaign"]], ["basin", "campaign"], campaigns
    )
    site_campaign = _tally_table(
        dets, fields.loc[:, ["basin", "site", "campaign"]], ["basin", "site", "campaign"], campaigns
    )
    basin = _tally_table(dets, fields.loc[:, ["basin"]], ["basin"], campaigns)
    sampled = pd.concat([fields.loc[:, ["basin", "campaign"]], dets.loc[:, ["basin", "campaign"]]])
    n_campaigns = sampled.drop_duplicates().groupby("basin")["campaign"].nunique()
    basin["n_campaigns"] = basin["basin"].map(n_campaigns).fillna(0).astype("int64")
    return (
        basin_campaign.loc[:, BASIN_CAMPAIGN_COLUMNS],
        basin.loc[:, BASIN_COLUMNS],
        site_campaign.loc[:, SITE_CAMPAIGN_COLUMNS],
    )


# ---------------------------------------------------------------------------------------
# trends


def richness_trend(site_campaign: pd.DataFrame, campaigns: Sequence[str]) -> pd.DataFrame:
    """Richness of each site over the campaigns, with its change.

    ``site_campaign`` is the site × campaign tally table. ``change_from_previous`` is the
    difference in n_species from the site's previous sampled campaign, ``change_from_first``
    from its first sampled campaign (empty for the first campaign).

    Columns: basin, site, campaign, n_orders, n_families, n_species, change_from_previous,
    change_from_first. Ordered by basin, site, campaign (in the given order).
    """
    _check_campaigns(campaigns)
    require_columns(site_campaign, SITE_CAMPAIGN_COLUMNS, "the site × campaign tally table")
    table = site_campaign.loc[:, SITE_CAMPAIGN_COLUMNS].copy()
    for col in ("basin", "site", "campaign"):
        table[col] = as_text(table[col])
    table = table.loc[table["campaign"].isin(list(campaigns))]
    table = table.sort_values(["basin", "site", "campaign"], key=campaign_sort_key(campaigns))
    grouped = table.groupby(["basin", "site"], sort=False)["n_species"]
    table["change_from_previous"] = grouped.diff().astype("Int64")
    first = grouped.transform("first")
    change = (table["n_species"] - first).astype("Int64")
    is_first = grouped.cumcount() == 0
    table["change_from_first"] = change.mask(is_first)
    return table.loc[:, TREND_COLUMNS].reset_index(drop=True)


def reference_sites(fields: pd.DataFrame) -> dict[str, str]:
    """The reference site of each basin that has one; InputError if a basin has several."""
    refs = fields.loc[fields["site_role"].str.lower() == REFERENCE_ROLE]
    per_basin = refs.groupby("basin")["site"].unique()
    several = {b: sorted(s) for b, s in per_basin.items() if len(s) > 1}
    if several:
        basin, sites = next(iter(several.items()))
        raise InputError(
            f"basin {basin} has {len(sites)} reference sites ({', '.join(sites)}); one is expected",
            hint="set site_role to 'reference' for a single upstream site per basin",
        )
    return {b: s[0] for b, s in per_basin.items()}


def similarity_to_reference(
    site_detections: pd.DataFrame, samples: pd.DataFrame, campaigns: Sequence[str]
) -> pd.DataFrame:
    """Jaccard and Sørensen similarity of each site to its basin's reference site.

    For each basin and campaign, the detected taxa (presence/absence) of every field site
    are compared with those of the basin's reference site (``site_role`` "reference") in
    the same campaign, with scikit-bio (similarity = 1 - distance). The reference site's
    own row has similarity 1. A basin without a reference site, a campaign where the
    reference site was not sampled, or a pair of sites without any detection get NaN and
    a ``note`` saying why.

    Columns: basin, campaign, site, reference_site, n_taxa, n_taxa_reference, n_shared,
    jaccard, sorensen, note. Ordered by basin, campaign (in the given order), site.
    """
    fields = _field_samples(samples, campaigns)
    dets = _detected(site_detections, campaigns)
    refs = reference_sites(fields)
    index = pd.concat(
        [fields.loc[:, ["basin", "campaign", "site"]], dets.loc[:, ["basin", "campaign", "site"]]]
    ).drop_duplicates()
    taxa = dets.groupby(["basin", "campaign", "site"])["taxon"].agg(frozenset).to_dict()
    sampled_sites = set(
        fields.loc[:, ["basin", "campaign", "site"]].itertuples(index=False, name=None)
    )

    records: list[dict] = []
    for (basin, campaign), group in index.groupby(["basin", "campaign"], sort=False):
        sites = sorted(group["site"])
        ref = refs.get(basin)
        ref_taxa = taxa.get((basin, campaign, ref), frozenset()) if ref else frozenset()
        distances: dict[str, tuple[float, float]] = {}
        if ref and (basin, campaign, ref) in sampled_sites:
            distances = _distances_to(
                ref, {s: taxa.get((basin, campaign, s), frozenset()) for s in sites}
            )
        for site in sites:
            site_taxa = taxa.get((basin, campaign, site), frozenset())
            jaccard = sorensen = np.nan
            if not ref:
                note = NOTE_NO_REFERENCE
            elif (basin, campaign, ref) not in sampled_sites:
                note = NOTE_REFERENCE_NOT_SAMPLED
            elif not site_taxa and not ref_taxa:
                note = NOTE_NOTHING_DETECTED
            else:
                jaccard, sorensen = distances[site]
                note = NOTE_IS_REFERENCE if site == ref else ""
            records.append(
                {
                    "basin": basin,
                    "campaign": campaign,
                    "site": site,
                    "reference_site": ref or "",
                    "n_taxa": len(site_taxa),
                    "n_taxa_reference": len(ref_taxa) if ref else pd.NA,
                    "n_shared": len(site_taxa & ref_taxa) if ref else pd.NA,
                    "jaccard": jaccard,
                    "sorensen": sorensen,
                    "note": note,
                }
            )
    table = pd.DataFrame(records, columns=SIMILARITY_COLUMNS)
    for col in ("n_taxa_reference", "n_shared"):
        table[col] = table[col].astype("Int64")
    for col in ("jaccard", "sorensen"):
        table[col] = table[col].astype(float)
    table = table.sort_values(["basin", "campaign", "site"], key=campaign_sort_key(campaigns))
    return table.reset_index(drop=True)


def _distances_to(ref: str, site_taxa: Mapping[str, frozenset]) -> dict[str, tuple[float, float]]:
    """(Jaccard, Sørensen) similarity of every site to ``ref`` on presence/absence.

    Sites where neither the site nor the reference has a taxon are left out.
    """
    from skbio.diversity import beta_diversity  # slow to import: only when needed

    site_taxa = dict(site_taxa)
    site_taxa.setdefault(ref, frozenset())
    ref_taxa = site_taxa[ref]
    ids = [s for s, t in site_taxa.items() if t or ref_taxa]
    if not ids:
        return {}
    if ref not in ids:
        ids.append(ref)
    columns = sorted(set().union(*site_taxa.values()))
    matrix = np.array([[t in site_taxa[s] for t in columns] for s in ids], dtype=bool)
    jac = beta_diversity("jaccard", matrix, ids=ids).to_data_frame()
    sor = beta_diversity("dice", matrix, ids=ids).to_data_frame()
    return {s: (1.0 - float(jac.loc[s, ref]), 1.0 - float(sor.loc[s, ref])) for s in ids}


def first_last_detection(site_detections: pd.DataFrame, campaigns: Sequence[str]) -> pd.DataFrame:
    """When and where each taxon of a basin was detected.

    Columns: basin, taxon, rank, genus, family, order, common_name, first_campaign,
    last_campaign, n_campaigns_detected, campaigns_detected (comma-separated, in campaign
    order), sites (comma-separated, alphabetical). Ordered by basin, order, family, taxon.
    """
    _check_campaigns(campaigns)
    dets = _detected(site_detections, campaigns)
    position = {c: i for i, c in enumerate(campaigns)}
    records = []
    for (basin, taxon), group in dets.groupby(["basin", "taxon"], sort=True):
        seen = sorted(set(group["campaign"]), key=position.__getitem__)
        records.append(
            {
                "basin": basin,
                "taxon": taxon,
                "first_campaign": seen[0],
                "last_campaign": seen[-1],
                "n_campaigns_detected": len(seen),
                "campaigns_detected": ", ".join(seen),
                "sites": ", ".join(sorted(set(group["site"]))),
            }
        )
    table = pd.DataFrame(
        records,
        columns=[
            "basin",
            "taxon",
            "first_campaign",
            "last_campaign",
            "n_campaigns_detected",
            "campaigns_detected",
            "sites",
        ],
    )
    info = taxon_info(dets, ("rank", "genus", "family", "order", "common_name"))
    table = table.merge(info, on="taxon", how="left")
    table["n_campaigns_detected"] = table["n_campaigns_detected"].astype("int64")
    table = table.sort_values(["basin", "order", "family", "taxon"])
    return table.loc[:, FIRST_LAST_COLUMNS].reset_index(drop=True)


def indicator_summary(
    site_detections: pd.DataFrame,
    traits: pd.DataFrame,
    campaigns: Sequence[str],
    samples: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Indicator taxa detected per basin and campaign, by group, with the taxa named.

    Groups (traits matched on ``taxon`` == traits ``species``):

    - ``cold_clean_water``: cold_clean_water "yes";
    - ``migratory``: diadromous or potamodromous (migratory amphidromous, anadromous,
      catadromous, potamodromous; "marine" visitors and "no" do not count);
    - ``alien``: alien_domestic or alien_foreign;
    - ``redlisted``: any Red List category (the category is given after the name);
    - ``not_in_traits``: detected taxa the traits table does not list.

    Every basin × campaign with detections (and, if ``samples`` is given, every one with
    field samples) has one row per group. Columns: basin, campaign, group, n_taxa, taxa
    (comma-separated, alphabetical).
    """
    _check_campaigns(campaigns)
    require_columns(traits, TRAIT_COLUMNS[:-1], "the traits table")
    dets = _detected(site_detections, campaigns)
    present = dets.loc[:, ["basin", "campaign", "taxon"]].drop_duplicates()
    tr = traits.loc[:, TRAIT_COLUMNS[:-1]].copy()
    for col in tr.columns:
        tr[col] = as_text(tr[col])
    tr = tr.drop_duplicates("species").rename(columns={"species": "taxon"})
    table = present.merge(tr, on="taxon", how="left", indicator=True)
    in_traits = table["_merge"] == "both"
    for col in TRAIT_COLUMNS[1:-1]:
        table[col] = table[col].fillna("")
    masks = {
        "cold_clean_water": table["cold_clean_water"].str.lower() == "yes",
        "migratory": table["migratory"].str.lower().isin(MIGRATORY_VALUES),
        "alien": table["alien"].isin(["alien_domestic", "alien_foreign"]),
        "redlisted": table["redlist_japan"] != "",
        "not_in_traits": ~in_traits,
    }
    labels = {
        "cold_clean_water": table["taxon"],
        "migratory": table["taxon"] + " (" + table["migratory"] + ")",
        "alien": table["taxon"] + " (" + table["alien"] + ")",
        "redlisted": table["taxon"] + " (" + table["redlist_japan"] + ")",
        "not_in_traits": table["taxon"],
    }
    index = present.loc[:, ["basin", "campaign"]]
    if samples is not None:
        fields = _field_samples(samples, campaigns)
        index = pd.concat([index, fields.loc[:, ["basin", "campaign"]]])
    index = index.drop_duplicates()
    parts = []
    for group in INDICATOR_GROUPS:
        sub = table.loc[masks[group], ["basin", "campaign"]].assign(
            label=labels[group][masks[group]]
        )
        named = sub.groupby(["basin", "campaign"], as_index=False).agg(
            n_taxa=("label", "size"), taxa=("label", lambda s: ", ".join(sorted(s)))
        )
        part = index.merge(named, on=["basin", "campaign"], how="left").assign(group=group)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["n_taxa"] = out["n_taxa"].fillna(0).astype("int64")
    out["taxa"] = out["taxa"].fillna("").astype(str)
    out["_group"] = out["group"].map({g: i for i, g in enumerate(INDICATOR_GROUPS)})
    out = out.sort_values(["basin", "campaign", "_group"], key=campaign_sort_key(campaigns))
    return out.loc[:, INDICATOR_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# species table per basin


def species_table(
    site_detections: pd.DataFrame,
    taxonomy_info: pd.DataFrame,
    campaigns: Sequence[str],
    basin: str,
    samples: pd.DataFrame | None = None,
    cells: str = "text",
) -> pd.DataFrame:
    """The species table of one basin: taxa × (campaign, site), as in a survey report.

    Rows are the taxa detected in the basin in any of ``campaigns`` (columns order,
    family, taxon, rank, common_name, taken from ``taxonomy_info`` where it has the taxon,
    else from the detections), sorted by order, family, taxon. Then one column per
    campaign and site, named ``"<campaign> / <site>"``, in campaign order then site
    order (with ``samples``: the order of the sheets, upstream to downstream; without:
    alphabetical); where the taxon was detected a cell is, by ``cells``: ``"text"``
    ``"positive/total (reads)"``, ``"symbols"`` ``"○"``, ``"replicates"`` the number of
    positive field replicates, ``"reads"`` the reads; else empty (``""``, or missing for
    the numbers). The site columns are those of the detections table (any row of the
    basin), and with ``samples`` also every site with field samples.
    """
    _check_campaigns(campaigns)
    require_columns(
        site_detections,
        ("positive_replicates", "total_replicates", "reads"),
        "the site detections table",
    )
    require_columns(taxonomy_info, ("taxon",), "the taxonomy table")
    every = site_detections.copy()
    for col in ("basin", "site", "campaign"):
        every[col] = as_text(every[col])
    every = every.loc[(every["basin"] == basin) & every["campaign"].isin(list(campaigns))]
    columns_index = every.loc[:, ["campaign", "site"]]
    if samples is not None:
        fields = _field_samples(samples, campaigns)
        columns_index = pd.concat(
            [columns_index, fields.loc[fields["basin"] == basin, ["campaign", "site"]]]
        )
    columns_index = columns_index.drop_duplicates()
    if samples is not None:
        # sites as the sheets list them (upstream to downstream), then any others
        order = list(dict.fromkeys(fields.loc[fields["basin"] == basin, "site"]))
        rank = {site: i for i, site in enumerate(order)}
        columns_index = columns_index.assign(
            _rank=columns_index["site"].map(rank).fillna(len(rank))
        ).sort_values(["campaign", "_rank", "site"], key=campaign_sort_key(campaigns))
        columns_index = columns_index.drop(columns="_rank")
    else:
        columns_index = columns_index.sort_values(
            ["campaign", "site"], key=campaign_sort_key(campaigns)
        )
    site_columns = [c + SITE_SEPARATOR + s for c, s in columns_index.itertuples(index=False)]

    dets = _detected(every, campaigns)
    from_dets = taxon_info(dets, ("order", "family", "rank", "common_name"))
    given = taxon_info(taxonomy_info, ("order", "family", "rank", "common_name"))
    info = from_dets.merge(given, on="taxon", how="left", suffixes=("_det", ""))
    for col in ("order", "family", "rank", "common_name"):
        info[col] = info[col].fillna("")
        info[col] = info[col].where(info[col] != "", info[col + "_det"])
    rows = info.loc[:, SPECIES_TABLE_ROW_COLUMNS].sort_values(["order", "family", "taxon"])

    if cells not in CELL_KINDS:
        raise ValueError(f"cells must be one of {', '.join(CELL_KINDS)}, not {cells!r}")
    positive = dets["positive_replicates"].astype(int)
    reads = dets["reads"].astype(int)
    value = {
        "text": lambda: (
            positive.astype(str)
            + "/"
            + dets["total_replicates"].astype(int).astype(str)
            + " ("
            + reads.astype(str)
            + ")"
        ),
        "symbols": lambda: pd.Series(DETECTED_SYMBOL, index=dets.index),
        "replicates": lambda: positive,
        "reads": lambda: reads,
    }[cells]()
    long = dets.assign(column=dets["campaign"] + SITE_SEPARATOR + dets["site"], cell=value)
    wide = long.pivot_table(index="taxon", columns="column", values="cell", aggfunc="first")
    wide = wide.reindex(columns=site_columns)
    table = rows.merge(wide, left_on="taxon", right_index=True, how="left")
    for col in site_columns:
        if cells in ("text", "symbols"):
            table[col] = table[col].astype(object).where(table[col].notna(), "").astype(str)
        else:
            table[col] = table[col].astype("Int64")
    table.columns.name = None
    return table.loc[:, [*SPECIES_TABLE_ROW_COLUMNS, *site_columns]].reset_index(drop=True)


def write_species_tsv(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a species table as UTF-8 TSV (temporary file in the same folder, then rename)."""
    path, tmp = temporary_sibling(path)
    try:
        table.to_csv(tmp, sep="\t", index=False, lineterminator="\n", na_rep="")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


SPECIES_HTML_TEXT = {
    "en": {
        "title": "{basin} basin: species by site and campaign",
        "taxon": "Scientific name",
        "name": "Japanese name",
        "rank": "Rank",
        "note": "A cell: positive field replicates / field replicates (reads). Sites as "
        "the sample sheets list them; taxa grouped by order and family.",
    },
    "ja": {
        "title": "{basin}水系：調査回・地点別の出現種",
        "taxon": "学名",
        "name": "和名",
        "rank": "階級",
        "note": "セルの値：検出された反復数／反復数（リード数）。地点はサンプルシートの順、"
        "種は目・科ごと。",
    },
}


def species_html(table: pd.DataFrame, basin: str, language: str = "en") -> str:
    """The species table of a basin as an HTML page the report shows: a header row per
    campaign over its sites, the taxa grouped under order and family rows, scientific
    names in italics (``Genus`` sp. for a genus), Japanese names beside them."""
    from html import escape

    text = SPECIES_HTML_TEXT.get(language, SPECIES_HTML_TEXT["en"])
    site_cols = [c for c in table.columns if c not in SPECIES_TABLE_ROW_COLUMNS]
    pairs = [c.split(SITE_SEPARATOR, 1) for c in site_cols]
    title = text["title"].format(basin=basin)
    out = [
        f"<!DOCTYPE html><html lang='{escape(language)}'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title><style>body{{font-family:sans-serif;margin:1em}}"
        "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #bbb;"
        "padding:.2em .5em}th{background:#eee}td.c{text-align:center;white-space:nowrap}"
        "tr.order td{background:#dde6f0;font-weight:bold}tr.family td{background:#f3f6f9}"
        "</style></head><body>",
        f"<h1>{escape(title)}</h1><p>{escape(text['note'])}</p><table>",
        f"<tr><th rowspan='2'>{escape(text['taxon'])}</th>"
        f"<th rowspan='2'>{escape(text['name'])}</th><th rowspan='2'>{escape(text['rank'])}</th>",
    ]
    campaigns = list(dict.fromkeys(c for c, _ in pairs))
    for c in campaigns:
        span = sum(1 for cc, _ in pairs if cc == c)
        out.append(f"<th colspan='{span}'>{escape(c)}</th>")
    out.append("</tr><tr>" + "".join(f"<th>{escape(site)}</th>" for _, site in pairs) + "</tr>")
    width = 3 + len(site_cols)
    last_order = last_family = None
    for row in table.to_dict("records"):
        if row["order"] != last_order:
            out.append(f"<tr class='order'><td colspan='{width}'>{escape(row['order'])}</td></tr>")
            last_order, last_family = row["order"], None
        if row["family"] != last_family:
            out.append(
                f"<tr class='family'><td colspan='{width}'>{escape(row['family'])}</td></tr>"
            )
            last_family = row["family"]
        genus, _, rest = str(row["taxon"]).partition("_")
        name = (
            f"<i>{escape(genus)}</i> sp."
            if rest == "sp"
            else f"<i>{escape(genus + ' ' + rest.replace('_', ' '))}</i>"
        )
        if row["rank"] not in ("species", "genus"):
            name = escape(str(row["taxon"]))
        cells = "".join(f"<td class='c'>{escape(str(row[c]))}</td>" for c in site_cols)
        out.append(
            f"<tr><td>{name}</td><td>{escape(str(row['common_name']))}</td>"
            f"<td>{escape(str(row['rank']))}</td>{cells}</tr>"
        )
    out.append("</table></body></html>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------
# traits


def read_traits(path: str | os.PathLike) -> pd.DataFrame:
    """Read and check a traits table (UTF-8 TSV; ``#`` lines and blank lines are skipped).

    Required columns: species, cold_clean_water (yes/no), migratory (amphidromous,
    anadromous, catadromous, potamodromous, marine, no), alien (native, alien_domestic,
    alien_foreign), redlist_japan (EX, EW, CR, EN, VU, NT, DD, LP or empty), source. Other
    columns (e.g. note) are kept. Raises InputError naming the file and the line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            "the traits table does not exist",
            path=path,
            hint="point the config to reference_db/traits.tsv or to your own copy of it",
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start})", path=path, hint="save the table as UTF-8"
        ) from None
    numbered = [
        (n, line)
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise InputError("the traits table is empty; a header row is expected", path=path)
    header_line, header_text = numbered[0]
    header = [h.strip() for h in header_text.split("\t")]
    missing = [c for c in TRAIT_COLUMNS if c not in header]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; header read: {header!r}",
            path=path,
            line=header_line,
            hint=f"the table is tab-separated with the columns {', '.join(TRAIT_COLUMNS)}",
        )
    allowed = {
        "cold_clean_water": TRAIT_YES_NO,
        "migratory": TRAIT_MIGRATORY,
        "alien": TRAIT_ALIEN,
        "redlist_japan": TRAIT_REDLIST,
    }
    rows: list[list[str]] = []
    first_line: dict[str, int] = {}
    reader = csv.reader((line for _, line in numbered[1:]), delimiter="\t", quoting=csv.QUOTE_NONE)
    for (lineno, _), cells in zip(numbered[1:], reader, strict=True):
        cells = [c.strip() for c in cells]
        if len(cells) < len(header):
            cells += [""] * (len(header) - len(cells))
        if len(cells) > len(header):
            raise InputError(
                f"{len(cells)} cells, expected {len(header)} (one per header column)",
                path=path,
                line=lineno,
            )
        row = dict(zip(header, cells, strict=True))
        species = row["species"]
        if not _SPECIES_NAME.match(species):
            raise InputError(
                f"species {species!r} is not a name of the form Genus_epithet",
                path=path,
                line=lineno,
                hint="write names as in the MiFish database, e.g. Salvelinus_leucomaenis",
            )
        if species in first_line:
            raise InputError(
                f"species {species} is listed twice (first at line {first_line[species]})",
                path=path,
                line=lineno,
            )
        first_line[species] = lineno
        for col, values in allowed.items():
            if row[col] not in values:
                shown = ", ".join(v if v else "(empty)" for v in values)
                raise InputError(
                    f"column {col}: {row[col]!r} is not one of {shown}",
                    path=path,
                    line=lineno,
                )
        rows.append(cells)
    return pd.DataFrame(rows, columns=header, dtype=str)
