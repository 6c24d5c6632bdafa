"""The state-of-nature table for nature-related disclosure (TNFD), per priority location and
campaign (``export/state_of_nature.tsv``).

Priority locations are each impacted site (sheet ``site_role: impacted``) and each basin as
a whole. The columns serve two of TNFD's state-of-nature indicators (the README maps each
column):

- *Ecosystem condition*: the fish community against the basin's reference site:
  richness relative to the reference and Sørensen similarity to it, with their 95 %
  bootstrap intervals for an impacted site (``stats/recovery_campaigns.tsv``); for a basin
  the mean over its sites other than the reference (no interval). The change from the
  baseline (the first campaign) and from the previous campaign.
- *Species extinction risk*: the Red List taxa detected (Ministry of the Environment
  categories from ``reference_db/traits.tsv``) with the traits table's caveats
  (subspecies, forms and populations that are listed separately).

Indicator groups (cold clean-water, migratory, alien) and a limitations column (how
likely a water sample detects a present taxon, calls coarser than species, reads no
reference matched) go beside them. Every value comes from the workflow's tables; nothing
is estimated again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

THREATENED = ("CR", "EN", "VU")
COLUMNS = [
    "location_type",
    "basin",
    "site",
    "reference_site",
    "campaign",
    "baseline_campaign",
    "n_species",
    "n_species_reference",
    "relative_richness",
    "relative_richness_lower",
    "relative_richness_upper",
    "sorensen",
    "sorensen_lower",
    "sorensen_upper",
    "relative_richness_change_from_baseline",
    "relative_richness_change_from_previous",
    "sorensen_change_from_baseline",
    "sorensen_change_from_previous",
    "n_redlist",
    "n_threatened",
    "redlist_taxa",
    "redlist_caveats",
    "n_cold_clean_water",
    "n_migratory",
    "n_alien",
    "alien_taxa",
    "limitations",
]
#: the TNFD indicator each column serves (the README's mapping)
TNFD_METRIC = {
    "n_species": "ecosystem condition",
    "n_species_reference": "ecosystem condition",
    "relative_richness": "ecosystem condition",
    "sorensen": "ecosystem condition",
    "relative_richness_change_from_baseline": "ecosystem condition (change)",
    "relative_richness_change_from_previous": "ecosystem condition (change)",
    "sorensen_change_from_baseline": "ecosystem condition (change)",
    "sorensen_change_from_previous": "ecosystem condition (change)",
    "n_redlist": "species extinction risk",
    "n_threatened": "species extinction risk",
    "redlist_taxa": "species extinction risk",
    "redlist_caveats": "species extinction risk",
}


def _label(taxon: str, name: str) -> str:
    sci = str(taxon).replace("_", " ")
    sci = sci + "." if sci.endswith(" sp") else sci
    return f"{sci} ({name})" if name else sci


def _taxa_facts(dets: pd.DataFrame, traits: pd.DataFrame) -> dict[str, object]:
    """Red List, indicator and resolution facts of a set of detected taxa."""
    taxa = dets.drop_duplicates("taxon").merge(
        traits.rename(columns={"species": "taxon"}), on="taxon", how="left"
    )
    taxa = taxa.fillna("")
    red = taxa.loc[taxa["redlist_japan"] != ""].sort_values("taxon")
    caveats = [
        f"{_label(r.taxon, '')}: {r.note}"
        for r in red.itertuples()
        if str(getattr(r, "note", "")).strip()
    ]
    alien = taxa.loc[taxa["alien"].isin(["alien_domestic", "alien_foreign"])].sort_values("taxon")
    return {
        "n_redlist": len(red),
        "n_threatened": int(red["redlist_japan"].isin(THREATENED).sum()),
        "redlist_taxa": "; ".join(
            f"{_label(r.taxon, r.common_name)} {r.redlist_japan}" for r in red.itertuples()
        ),
        "redlist_caveats": "; ".join(caveats),
        "n_cold_clean_water": int((taxa["cold_clean_water"] == "yes").sum()),
        "n_migratory": int((~taxa["migratory"].isin(["", "no"])).sum()),
        "n_alien": len(alien),
        "alien_taxa": "; ".join(
            f"{_label(r.taxon, r.common_name)} [{r.alien}]" for r in alien.itertuples()
        ),
        "_coarse": int((~taxa["rank"].isin(["species", "subspecies"])).sum()),
        "_taxa": len(taxa),
    }


def _limitations(
    facts: Mapping, detection: float | None, samples: int, unassigned: float | None
) -> str:
    parts = []
    if detection is not None:
        parts.append(
            f"a water sample detects a present taxon with probability {detection:.2f} "
            f"(median over the basin's taxa), {samples} water sample(s) taken: taxa not "
            "detected may be present"
        )
    else:
        parts.append("detection probability not estimated: taxa not detected may be present")
    if facts["_coarse"]:
        parts.append(
            f"{facts['_coarse']} of {facts['_taxa']} taxa named only to genus or coarser "
            "(the database cannot separate their species; a Red List species may be among them)"
        )
    if unassigned:
        parts.append(f"{unassigned:.1%} of reads matched no reference record (database gaps)")
    return "; ".join(parts)


def _changes(rows: list[dict], key: str) -> None:
    """Change of ``key`` from the first and from the previous row (rows of one location,
    in campaign order)."""
    first = previous = None
    for row in rows:
        value = row.get(key)
        ok = value is not None and not pd.isna(value)
        row[f"{key}_change_from_baseline"] = (
            round(value - first, 4) if ok and first is not None else None
        )
        row[f"{key}_change_from_previous"] = (
            round(value - previous, 4) if ok and previous is not None else None
        )
        if ok:
            first = value if first is None else first
            previous = value


def _at(table: pd.DataFrame, row: Mapping, keys: Sequence[str]) -> pd.DataFrame:
    """The rows of ``table`` with the same values as ``row`` in ``keys``."""
    mask = pd.Series(True, index=table.index)
    for key in keys:
        mask &= table[key] == row[key]
    return table.loc[mask]


def _impacted_site_condition(
    site_campaign: pd.DataFrame, recovery: pd.DataFrame, row: Mapping
) -> dict:
    """An impacted site's richness and its comparison with the reference in a campaign
    (the bootstrap intervals of the statistics)."""
    rich = _at(site_campaign, row, ("basin", "site", "campaign"))["n_species"]
    out: dict = {"n_species": int(rich.iloc[0]) if len(rich) else 0}
    rec = _at(recovery, row, ("basin", "site", "campaign"))
    if len(rec):
        rec = rec.iloc[0]
        out.update(
            {
                "relative_richness": rec["relative_richness"],
                "relative_richness_lower": rec["relative_lower"],
                "relative_richness_upper": rec["relative_upper"],
                "sorensen": rec["sorensen"],
                "sorensen_lower": rec["sorensen_lower"],
                "sorensen_upper": rec["sorensen_upper"],
            }
        )
    return out


def _basin_condition(
    basin_campaign: pd.DataFrame,
    site_campaign: pd.DataFrame,
    similarity: pd.DataFrame,
    row: Mapping,
) -> dict:
    """A basin's richness in a campaign, and the means over its sites other than the
    reference of their richness relative to it and their similarity to it."""
    whole = _at(basin_campaign, row, ("basin", "campaign"))["n_species"]
    out: dict = {"n_species": int(whole.iloc[0]) if len(whole) else 0}
    reference = row["reference_site"]
    others = _at(site_campaign, row, ("basin", "campaign"))
    others = others.loc[others["site"] != reference]
    if reference and row["n_species_reference"]:
        out["relative_richness"] = round(others["n_species"].mean() / row["n_species_reference"], 4)
    sim = _at(similarity, row, ("basin", "campaign"))
    sim = sim.loc[sim["site"] != reference]
    if reference and len(sim):
        out["sorensen"] = round(pd.to_numeric(sim["sorensen"]).mean(), 4)
    return out


@dataclass(frozen=True)
class _Tables:
    """The inputs of :func:`state_of_nature`, prepared once (internal)."""

    fields: pd.DataFrame  # field samples
    dets: pd.DataFrame  # detections per site and campaign
    reads: pd.DataFrame  # unassigned and total reads per sample, with basin and site
    detect: Mapping  # (basin, campaign) -> median detection probability per sample
    water: Mapping  # (basin, campaign) -> water samples
    site_water: Mapping  # (basin, site, campaign) -> water samples
    site_campaign: pd.DataFrame
    basin_campaign: pd.DataFrame
    recovery: pd.DataFrame
    similarity: pd.DataFrame
    traits: pd.DataFrame


def _location_row(t: _Tables, basin: str, site: str | None, reference: str, campaign: str):
    """One row: an impacted site (``site``) or the whole basin (``None``) in a campaign."""
    d = t.dets.loc[(t.dets["basin"] == basin) & (t.dets["campaign"] == campaign)]
    r = t.reads.loc[(t.reads["basin"] == basin) & (t.reads["campaign"] == campaign)]
    if site is not None:
        d = d.loc[d["site"] == site]
        r = r.loc[r["site"] == site]
    row: dict = {
        "location_type": "impacted_site" if site is not None else "basin",
        "basin": basin,
        "site": site or "",
        "reference_site": reference,
        "campaign": campaign,
    }
    sc = t.site_campaign
    ref_rich = sc.loc[
        (sc["basin"] == basin) & (sc["site"] == reference) & (sc["campaign"] == campaign),
        "n_species",
    ]
    row["n_species_reference"] = int(ref_rich.iloc[0]) if len(ref_rich) else None
    if site is not None:
        row.update(_impacted_site_condition(sc, t.recovery, row))
        n_water = t.site_water.get((basin, site, campaign), 0)
    else:
        row.update(_basin_condition(t.basin_campaign, sc, t.similarity, row))
        n_water = t.water.get((basin, campaign), 0)
    facts = _taxa_facts(d, t.traits)
    total = r["total_reads"].sum()
    share = r["unassigned_reads"].sum() / total if total else None
    row.update({k: v for k, v in facts.items() if not k.startswith("_")})
    row["limitations"] = _limitations(facts, t.detect.get((basin, campaign)), n_water, share)
    if site is None:
        row["limitations"] += (
            "; basin values are means over its sites other than the reference (no interval)"
        )
    return row


def state_of_nature(
    *,
    samples: pd.DataFrame,
    campaigns: Sequence[str],
    recovery: pd.DataFrame,
    similarity: pd.DataFrame,
    site_campaign: pd.DataFrame,
    basin_campaign: pd.DataFrame,
    site_detections: pd.DataFrame,
    traits: pd.DataFrame,
    survey_design: pd.DataFrame,
    unassigned: pd.DataFrame,
) -> pd.DataFrame:
    """The table (see the module's text): per basin, its impacted sites then the basin as
    a whole, each over the campaigns in order."""
    fields = samples.loc[samples["type"] == "sample"].fillna("")
    design = survey_design.copy()
    design["detection_per_sample"] = pd.to_numeric(design["detection_per_sample"])
    waters = fields.drop_duplicates(["campaign", "basin", "site", "replicate"])
    tables = _Tables(
        fields=fields,
        dets=site_detections.loc[site_detections["detected"].astype(str) == "True"].fillna(""),
        reads=unassigned.merge(fields.loc[:, ["sample", "basin", "site"]], on="sample"),
        detect=design.groupby(["basin", "campaign"])["detection_per_sample"].median().to_dict(),
        water=waters.groupby(["basin", "campaign"]).size().to_dict(),
        site_water=waters.groupby(["basin", "site", "campaign"]).size().to_dict(),
        site_campaign=site_campaign,
        basin_campaign=basin_campaign,
        recovery=recovery,
        similarity=similarity,
        traits=traits,
    )
    rows: list[dict] = []
    for basin in dict.fromkeys(fields["basin"]):
        b_fields = fields.loc[fields["basin"] == basin]
        roles = b_fields.drop_duplicates("site").set_index("site")["site_role"]
        reference = next((s for s, r in roles.items() if r == "reference"), "")
        impacted = [s for s, r in roles.items() if r == "impacted"]
        for site in [*impacted, None]:
            location: list[dict] = []
            for campaign in campaigns:
                here = b_fields.loc[b_fields["campaign"] == campaign]
                if site is not None:
                    here = here.loc[here["site"] == site]
                if not here.empty:
                    location.append(_location_row(tables, basin, site, reference, campaign))
            for key in ("relative_richness", "sorensen"):
                _changes(location, key)
            baseline = location[0]["campaign"] if location else ""
            for row in location:
                row["baseline_campaign"] = baseline
            rows.extend(location)
    table = pd.DataFrame(rows)
    for col in COLUMNS:
        if col not in table.columns:
            table[col] = None
    return table.loc[:, COLUMNS]
