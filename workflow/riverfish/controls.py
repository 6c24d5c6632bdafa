"""Negative controls, detection thresholds and replicate support.

From ASV counts to detections, in three steps that each leave a table behind:

1. **Blank correction** (:func:`subtract_controls`): for every field sample and ASV, the
   reads that ASV reaches in the negative controls (field blanks, extraction blanks, PCR
   negatives) of the sample's control group are subtracted. A control group is a campaign,
   or a (campaign, run) pair when the sample sheet fills the ``run`` column; a control
   without a run applies to every run of its campaign.
2. **Per-sample thresholds** (:func:`sample_detections`): reads are summed per taxon and a
   taxon is kept in a sample when it reaches both a minimum number of reads and a minimum
   fraction of the sample's corrected reads.
3. **Replicate support** (:func:`replicate_support`): per site and campaign, the number of
   field replicates in which a taxon passed step 2, out of all field replicates of the site.

Every function is pure: tables in, tables out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import pandas as pd

from .errors import InputError

FIELD_SAMPLE = "sample"
NEGATIVE_CONTROL_TYPES: tuple[str, ...] = ("field_blank", "extraction_blank", "pcr_negative")
POSITIVE_CONTROL = "positive_control"
SAMPLE_TYPES: tuple[str, ...] = (FIELD_SAMPLE, *NEGATIVE_CONTROL_TYPES, POSITIVE_CONTROL)
CONTROL_RULES: tuple[str, ...] = ("max", "sum", "mean")
RANKS: tuple[str, ...] = ("species", "genus", "family", "order", "unassigned")
TAXON_FIELDS: tuple[str, ...] = ("rank", "species", "genus", "family", "order", "common_name")

SAMPLE_COLUMNS: tuple[str, ...] = ("sample", "basin", "site", "campaign", "replicate", "type")
COUNT_COLUMNS: tuple[str, ...] = ("asv_id", "sample", "reads")

CORRECTED_COLUMNS = ["asv_id", "sample", "reads"]
REMOVED_COLUMNS = [
    "sample",
    "campaign",
    "asv_id",
    "reads_before",
    "removed",
    "reads_after",
    "control",
]
POSITIVE_COLUMNS = ["sample", "taxon", "reads"]
SAMPLE_DETECTION_COLUMNS = [
    "sample",
    "basin",
    "site",
    "campaign",
    "replicate",
    "taxon",
    "rank",
    "species",
    "genus",
    "family",
    "order",
    "common_name",
    "reads",
    "fraction",
    "n_asvs",
]
UNASSIGNED_COLUMNS = [
    "sample",
    "campaign",
    "total_reads",
    "unassigned_reads",
    "unassigned_asvs",
    "unassigned_fraction",
]
SUPPORT_COLUMNS = [
    "basin",
    "site",
    "campaign",
    "taxon",
    "rank",
    "genus",
    "family",
    "order",
    "common_name",
    "positive_replicates",
    "total_replicates",
    "support",
    "reads",
    "detected",
]
DETECTION_COLUMNS = [
    "sample",
    "basin",
    "site",
    "campaign",
    "replicate",
    "taxon",
    "rank",
    "genus",
    "family",
    "order",
    "reads",
    "common_name",
    "species",
    "fraction",
    "support",
]

# Relative tolerance of the fraction threshold, so that a taxon exactly at the limit
# (e.g. 10 of 10,000 reads at 0.001) is kept despite floating-point rounding.
_FRACTION_TOLERANCE = 1e-9


# ---------------------------------------------------------------------------------------
# input checks shared by the controls and tallies modules


def require_columns(
    df: pd.DataFrame, columns: Iterable[str], what: str, hint: str | None = None
) -> None:
    """Raise InputError when ``df`` lacks any of ``columns``.

    ``what`` names the table in the message (e.g. "the sample sheet").
    """
    columns = list(columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        found = ", ".join(map(str, df.columns)) or "no columns"
        raise InputError(
            f"{what} lacks the column(s) {', '.join(missing)} (found: {found})",
            hint=hint or f"{what} needs the columns {', '.join(columns)}",
        )


def as_text(series: pd.Series) -> pd.Series:
    """A column as stripped text, missing values as the empty string.

    Integral numbers (a run column read as numbers, e.g. ``1.0``) become ``"1"``.
    """
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.map(
            lambda v: "" if pd.isna(v) else (str(int(v)) if float(v).is_integer() else str(v))
        ).astype(str)
    return series.astype(object).where(series.notna(), "").astype(str).str.strip()


def as_bool(series: pd.Series) -> pd.Series:
    """A column of booleans from bools or from text such as ``True``/``false``/``yes``/``1``."""
    if pd.api.types.is_bool_dtype(series):
        return series.fillna(False).astype(bool)
    text = as_text(series).str.lower()
    return text.isin(["true", "1", "yes", "y", "1.0"])


def normalise_samples(samples: pd.DataFrame) -> pd.DataFrame:
    """Check a sample table and return a copy with text columns, ``site_role`` and ``run``.

    Missing ``site_role`` / ``run`` columns are added empty; empty cells become ``""``;
    ``replicate`` becomes an integer. Raises InputError on missing columns, unknown sample
    types, non-integer replicates and duplicated sample names.
    """
    require_columns(samples, SAMPLE_COLUMNS, "the sample table")
    out = samples.copy()
    for col in ("site_role", "run"):
        if col not in out.columns:
            out[col] = ""
    for col in ("sample", "basin", "site", "campaign", "type", "site_role", "run"):
        out[col] = as_text(out[col])
    bad_type = sorted(set(out.loc[~out["type"].isin(SAMPLE_TYPES), "type"]))
    if bad_type:
        raise InputError(
            f"the sample table has unknown sample type(s) {', '.join(map(repr, bad_type))}",
            hint=f"type is one of {', '.join(SAMPLE_TYPES)}",
        )
    replicate = pd.to_numeric(out["replicate"], errors="coerce")
    bad_rep = out.loc[replicate.isna() | (replicate % 1 != 0), "sample"].tolist()
    if bad_rep:
        raise InputError(
            f"replicate is not a whole number for sample(s) {', '.join(bad_rep[:10])}",
            hint="number the field replicates of a site 1, 2, ...",
        )
    out["replicate"] = replicate.astype(int)
    dupes = sorted(set(out.loc[out["sample"].duplicated(), "sample"]))
    if dupes:
        raise InputError(
            f"sample name(s) appear more than once in the sample table: {', '.join(dupes[:10])}",
            hint="sample names must be unique across all campaigns",
        )
    return out.reset_index(drop=True)


def _normalise_counts(counts: pd.DataFrame, sheet: pd.DataFrame) -> pd.DataFrame:
    """Check an ASV × sample count table against the sample table; sum duplicate rows."""
    require_columns(counts, COUNT_COLUMNS, "the ASV count table")
    out = counts.loc[:, list(COUNT_COLUMNS)].copy()
    out["asv_id"] = as_text(out["asv_id"])
    out["sample"] = as_text(out["sample"])
    reads = pd.to_numeric(out["reads"], errors="coerce")
    if reads.isna().any() or (reads < 0).any() or (reads % 1 != 0).any():
        bad = out.loc[reads.isna() | (reads < 0) | (reads % 1 != 0), "sample"].iloc[0]
        raise InputError(
            f"the ASV count table has reads that are not whole numbers >= 0 (sample {bad})",
            hint="reads are counts of reads per ASV and sample",
        )
    out["reads"] = reads.astype("int64")
    unknown = sorted(set(out["sample"]) - set(sheet["sample"]))
    if unknown:
        raise InputError(
            f"the ASV count table has {len(unknown)} sample(s) that are not in the sample "
            f"table: {', '.join(unknown[:10])}",
            hint="use the count table and the sample sheets of the same campaigns",
        )
    out = out.loc[out["reads"] > 0]
    return out.groupby(["asv_id", "sample"], as_index=False, sort=False)["reads"].sum()


def normalise_taxonomy(taxonomy: pd.DataFrame) -> pd.DataFrame:
    """Check an ASV taxonomy table; return asv_id, taxon and the taxon fields as text.

    Missing optional columns (species, genus, family, order, common_name) are added empty.
    """
    require_columns(taxonomy, ("asv_id", "taxon", "rank"), "the ASV taxonomy table")
    out = taxonomy.copy()
    for col in TAXON_FIELDS:
        if col not in out.columns:
            out[col] = ""
    for col in ("asv_id", "taxon", *TAXON_FIELDS):
        out[col] = as_text(out[col])
    out["rank"] = out["rank"].str.lower()
    bad = sorted(set(out.loc[~out["rank"].isin(RANKS), "rank"]))
    if bad:
        raise InputError(
            f"the ASV taxonomy table has unknown rank(s) {', '.join(map(repr, bad))}",
            hint=f"rank is one of {', '.join(RANKS)}",
        )
    if out["asv_id"].duplicated().any():
        dup = out.loc[out["asv_id"].duplicated(), "asv_id"].iloc[0]
        raise InputError(f"the ASV taxonomy table lists ASV {dup} more than once")
    return out.loc[:, ["asv_id", "taxon", *TAXON_FIELDS]]


def taxon_info(table: pd.DataFrame, fields: Sequence[str] = TAXON_FIELDS) -> pd.DataFrame:
    """One row per taxon with the first non-empty value of each of ``fields``.

    ``table`` is any table with a ``taxon`` column (an ASV taxonomy, detections, ...).
    """
    present = [f for f in fields if f in table.columns]
    sub = table.loc[:, ["taxon", *present]].copy()
    for col in present:
        sub[col] = as_text(sub[col]).replace("", pd.NA)
    info = sub.groupby("taxon", sort=True).first()
    for col in fields:
        if col not in info.columns:
            info[col] = ""
        info[col] = info[col].astype(object).where(info[col].notna(), "").astype(str)
    return info.loc[:, list(fields)].reset_index()


def campaign_sort_key(campaigns: Sequence[str] | None) -> Callable[[pd.Series], pd.Series]:
    """A ``sort_values`` key that orders the ``campaign`` column chronologically.

    Campaigns not in ``campaigns`` sort after the listed ones, alphabetically; other
    columns sort as they are.
    """
    position = {c: i for i, c in enumerate(campaigns or [])}

    def key(col: pd.Series) -> pd.Series:
        if col.name != "campaign":
            return col
        idx = col.map(position)
        if idx.isna().any():
            extra = sorted(set(col[idx.isna()]))
            offset = len(position)
            idx = idx.fillna(col.map({c: offset + i for i, c in enumerate(extra)}))
        return idx.astype(int)

    return key


# ---------------------------------------------------------------------------------------
# blank correction


def _control_pairs(sheet: pd.DataFrame) -> pd.DataFrame:
    """Field sample × negative control pairs of the same control group.

    A control with an empty run applies to every run of its campaign; a field sample with
    an empty run is compared with every control of its campaign.
    """
    fields = sheet.loc[sheet["type"] == FIELD_SAMPLE, ["sample", "campaign", "run"]]
    controls = sheet.loc[
        sheet["type"].isin(NEGATIVE_CONTROL_TYPES), ["sample", "campaign", "run"]
    ].rename(columns={"sample": "control", "run": "control_run"})
    pairs = fields.merge(controls, on="campaign", how="inner")
    same_group = (
        (pairs["control_run"] == "") | (pairs["run"] == "") | (pairs["control_run"] == pairs["run"])
    )
    return pairs.loc[same_group, ["sample", "control"]].reset_index(drop=True)


def subtract_controls(
    counts: pd.DataFrame, samples: pd.DataFrame, rule: str = "max"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Subtract the reads of the negative controls from the field samples.

    For each field sample and ASV, the reads the ASV reaches in the negative controls of
    the sample's control group are subtracted (never below zero). ``rule`` says how the
    controls of a group are combined: ``"max"`` (default) the largest count, ``"sum"`` the
    sum, ``"mean"`` the mean over all controls of the group (an ASV absent from a control
    counts 0 there), rounded up to a whole read.

    Returns ``(corrected, removed)``:

    - ``corrected``: asv_id, sample, reads — field samples only, rows with reads > 0;
    - ``removed``: sample, campaign, asv_id, reads_before, removed, reads_after, control —
      one row per field sample × ASV that lost reads; ``control`` is the control that set
      the maximum (rule "max") or the rule name.

    Negative and positive controls never appear in ``corrected``.
    """
    if rule not in CONTROL_RULES:
        raise InputError(
            f"unknown blank-correction rule {rule!r}",
            hint=f"use one of {', '.join(CONTROL_RULES)}",
        )
    sheet = normalise_samples(samples)
    counts = _normalise_counts(counts, sheet)
    fields = sheet.loc[sheet["type"] == FIELD_SAMPLE, ["sample", "campaign"]]
    field_counts = counts.merge(fields, on="sample", how="inner")

    pairs = _control_pairs(sheet)
    control_counts = counts.rename(columns={"sample": "control", "reads": "control_reads"})
    hits = pairs.merge(control_counts, on="control", how="inner").merge(
        field_counts.loc[:, ["sample", "asv_id"]], on=["sample", "asv_id"], how="inner"
    )
    if rule == "max":
        top = hits.sort_values(
            ["sample", "asv_id", "control_reads", "control"],
            ascending=[True, True, False, True],
        ).drop_duplicates(["sample", "asv_id"])
        subtract = top.rename(columns={"control_reads": "subtract"})
    else:
        subtract = hits.groupby(["sample", "asv_id"], as_index=False)["control_reads"].sum()
        subtract = subtract.rename(columns={"control_reads": "subtract"})
        if rule == "mean":
            n_controls = pairs.groupby("sample")["control"].nunique()
            mean = subtract["subtract"] / subtract["sample"].map(n_controls)
            subtract["subtract"] = mean.map(lambda v: math.ceil(v - 1e-9)).astype("int64")
        subtract["control"] = rule

    table = field_counts.merge(
        subtract.loc[:, ["sample", "asv_id", "subtract", "control"]],
        on=["sample", "asv_id"],
        how="left",
    )
    table["subtract"] = table["subtract"].fillna(0).astype("int64")
    table["removed"] = table[["reads", "subtract"]].min(axis=1).astype("int64")
    table["reads_after"] = (table["reads"] - table["removed"]).astype("int64")

    corrected = (
        table.loc[table["reads_after"] > 0, ["asv_id", "sample", "reads_after"]]
        .rename(columns={"reads_after": "reads"})
        .sort_values(["sample", "asv_id"])
        .reset_index(drop=True)
    )
    removed = (
        table.loc[table["removed"] > 0]
        .rename(columns={"reads": "reads_before"})
        .loc[:, REMOVED_COLUMNS]
        .sort_values(["campaign", "sample", "asv_id"])
        .reset_index(drop=True)
    )
    removed["control"] = removed["control"].astype(str)
    return corrected, removed


def positive_controls(
    counts: pd.DataFrame, samples: pd.DataFrame, taxonomy: pd.DataFrame
) -> pd.DataFrame:
    """Reads of the positive-control samples per taxon: sample, taxon, reads.

    ASVs without a taxon (or missing from the taxonomy) are reported as ``unassigned``.
    Sorted by sample, then reads (largest first), then taxon.
    """
    sheet = normalise_samples(samples)
    counts = _normalise_counts(counts, sheet)
    tax = normalise_taxonomy(taxonomy)
    pos = sheet.loc[sheet["type"] == POSITIVE_CONTROL, ["sample"]]
    table = counts.merge(pos, on="sample", how="inner").merge(
        tax.loc[:, ["asv_id", "taxon", "rank"]], on="asv_id", how="left"
    )
    table["taxon"] = table["taxon"].fillna("")
    unassigned = (table["taxon"] == "") | (table["rank"] == "unassigned")
    table.loc[unassigned, "taxon"] = "unassigned"
    out = table.groupby(["sample", "taxon"], as_index=False)["reads"].sum()
    out = out.sort_values(["sample", "reads", "taxon"], ascending=[True, False, True])
    return out.loc[:, POSITIVE_COLUMNS].reset_index(drop=True)


def control_warnings(counts: pd.DataFrame, samples: pd.DataFrame) -> list[str]:
    """Messages about the negative controls, for the log and the report.

    - a campaign without any negative control (its reads were not blank-corrected);
    - a negative control whose total reads exceed the median total reads of its campaign's
      field samples (field samples without reads count as 0).
    """
    sheet = normalise_samples(samples)
    counts = _normalise_counts(counts, sheet)
    totals = counts.groupby("sample")["reads"].sum()
    sheet["total"] = sheet["sample"].map(totals).fillna(0).astype("int64")
    messages: list[str] = []
    for campaign, group in sheet.groupby("campaign", sort=False):
        controls = group.loc[group["type"].isin(NEGATIVE_CONTROL_TYPES)]
        fields = group.loc[group["type"] == FIELD_SAMPLE]
        if controls.empty:
            messages.append(
                f"campaign {campaign} has no negative control: reads were not blank-corrected"
            )
            continue
        if fields.empty:
            continue
        median = float(fields["total"].median())
        for control, total in zip(controls["sample"], controls["total"], strict=True):
            if total > median:
                messages.append(
                    f"campaign {campaign}: negative control {control} has {total} reads, "
                    f"more than the median of the campaign's field samples ({median:g} "
                    "reads): check it for contamination or a sample swap"
                )
    return messages


# ---------------------------------------------------------------------------------------
# detections


def _with_taxonomy(corrected: pd.DataFrame, taxonomy: pd.DataFrame) -> pd.DataFrame:
    """Corrected counts joined to the taxonomy; InputError if an ASV has no taxonomy row."""
    require_columns(corrected, COUNT_COLUMNS, "the corrected count table")
    tax = normalise_taxonomy(taxonomy)
    table = corrected.loc[:, list(COUNT_COLUMNS)].copy()
    table["asv_id"] = as_text(table["asv_id"])
    table["sample"] = as_text(table["sample"])
    table = table.merge(tax, on="asv_id", how="left", indicator=True)
    missing = table.loc[table["_merge"] == "left_only", "asv_id"].unique()
    if len(missing):
        raise InputError(
            f"{len(missing)} ASV(s) of the count table have no row in the taxonomy table "
            f"(e.g. {', '.join(sorted(missing)[:3])})",
            hint="classify every ASV of the campaign (the taxonomy table must cover all of them)",
        )
    return table.drop(columns="_merge")


def sample_detections(
    corrected: pd.DataFrame,
    taxonomy: pd.DataFrame,
    samples: pd.DataFrame,
    min_reads: int = 10,
    min_fraction: float = 0.001,
) -> pd.DataFrame:
    """Taxa detected in each field sample after blank correction.

    Corrected reads are summed per taxon and field sample (ASVs of rank ``unassigned`` are
    never detections, but count in the sample's total). A taxon is kept when its reads are
    ``>= min_reads`` and its reads divided by the sample's total corrected reads are
    ``>= min_fraction``.

    Columns: sample, basin, site, campaign, replicate, taxon, rank, species, genus, family,
    order, common_name, reads, fraction, n_asvs.
    """
    sheet = normalise_samples(samples)
    table = _with_taxonomy(corrected, taxonomy)
    fields = sheet.loc[
        sheet["type"] == FIELD_SAMPLE, ["sample", "basin", "site", "campaign", "replicate"]
    ]
    table = table.loc[table["sample"].isin(fields["sample"])]
    totals = table.groupby("sample")["reads"].sum()
    assigned = table.loc[table["rank"] != "unassigned"]
    dets = assigned.groupby(["sample", "taxon"], as_index=False).agg(
        reads=("reads", "sum"), n_asvs=("asv_id", "nunique")
    )
    dets["fraction"] = dets["reads"] / dets["sample"].map(totals)
    keep = (dets["reads"] >= min_reads) & (
        dets["fraction"] >= min_fraction * (1 - _FRACTION_TOLERANCE)
    )
    dets = dets.loc[keep]
    dets = dets.merge(taxon_info(assigned), on="taxon", how="left").merge(
        fields, on="sample", how="left"
    )
    dets["reads"] = dets["reads"].astype("int64")
    dets["n_asvs"] = dets["n_asvs"].astype("int64")
    dets = dets.sort_values(["campaign", "basin", "site", "replicate", "sample", "taxon"])
    return dets.loc[:, SAMPLE_DETECTION_COLUMNS].reset_index(drop=True)


def unassigned_reads(
    corrected: pd.DataFrame, taxonomy: pd.DataFrame, samples: pd.DataFrame
) -> pd.DataFrame:
    """Corrected reads of each field sample whose ASVs are of rank ``unassigned``.

    Columns: sample, campaign, total_reads, unassigned_reads, unassigned_asvs,
    unassigned_fraction (NaN for a sample without corrected reads). Every field sample of
    ``samples`` appears, in sample-table order.
    """
    sheet = normalise_samples(samples)
    table = _with_taxonomy(corrected, taxonomy)
    fields = sheet.loc[sheet["type"] == FIELD_SAMPLE, ["sample", "campaign"]].copy()
    totals = table.groupby("sample")["reads"].sum()
    un = table.loc[table["rank"] == "unassigned"]
    un_reads = un.groupby("sample")["reads"].sum()
    un_asvs = un.groupby("sample")["asv_id"].nunique()
    fields["total_reads"] = fields["sample"].map(totals).fillna(0).astype("int64")
    fields["unassigned_reads"] = fields["sample"].map(un_reads).fillna(0).astype("int64")
    fields["unassigned_asvs"] = fields["sample"].map(un_asvs).fillna(0).astype("int64")
    total = fields["total_reads"].where(fields["total_reads"] > 0)
    fields["unassigned_fraction"] = fields["unassigned_reads"] / total
    return fields.loc[:, UNASSIGNED_COLUMNS].reset_index(drop=True)


def replicate_support(
    sample_dets: pd.DataFrame, samples: pd.DataFrame, min_replicates: int = 1
) -> pd.DataFrame:
    """Per basin, site, campaign and taxon: in how many field replicates the taxon was found.

    ``total_replicates`` counts every field sample of the site in the campaign (from
    ``samples``, including replicates without any detection); ``detected`` is
    ``positive_replicates >= min_replicates``; ``reads`` is summed over the replicates.

    Columns: basin, site, campaign, taxon, rank, genus, family, order, common_name,
    positive_replicates, total_replicates, support (text "1/2"), reads, detected.
    """
    if min_replicates < 1:
        raise InputError(
            f"min_replicates must be at least 1, got {min_replicates}",
            hint="1 keeps a taxon found in any replicate of a site",
        )
    require_columns(
        sample_dets,
        ("sample", "basin", "site", "campaign", "taxon", "reads"),
        "the sample detections table",
    )
    sheet = normalise_samples(samples)
    keys = ["basin", "site", "campaign"]
    fields = sheet.loc[sheet["type"] == FIELD_SAMPLE]
    # field replicates are water samples: PCR replicates of one (pcr_replicate) count once
    totals = fields.groupby(keys, as_index=False)["replicate"].nunique()
    totals = totals.rename(columns={"replicate": "total_replicates"})

    dets = sample_dets.copy()
    for col in ("sample", "basin", "site", "campaign", "taxon"):
        dets[col] = as_text(dets[col])
    unknown = sorted(set(dets["sample"]) - set(fields["sample"]))
    if unknown:
        raise InputError(
            f"the detections name sample(s) that are not field samples of the sample table: "
            f"{', '.join(unknown[:10])}",
            hint="use the detections and the sample sheets of the same campaigns",
        )
    if "replicate" not in dets.columns:
        dets = dets.merge(fields[["sample", "replicate"]], on="sample", how="left")
    support = dets.groupby([*keys, "taxon"], as_index=False).agg(
        positive_replicates=("replicate", "nunique"), reads=("reads", "sum")
    )
    support = support.merge(totals, on=keys, how="left")
    support = support.merge(
        taxon_info(dets, ("rank", "genus", "family", "order", "common_name")),
        on="taxon",
        how="left",
    )
    support["positive_replicates"] = support["positive_replicates"].astype("int64")
    support["total_replicates"] = support["total_replicates"].astype("int64")
    support["reads"] = support["reads"].astype("int64")
    support["support"] = (
        support["positive_replicates"].astype(str) + "/" + support["total_replicates"].astype(str)
    )
    support["detected"] = support["positive_replicates"] >= min_replicates
    support = support.sort_values([*keys, "order", "family", "taxon"])
    return support.loc[:, SUPPORT_COLUMNS].reset_index(drop=True)


def detections_table(
    sample_dets: pd.DataFrame,
    support: pd.DataFrame,
    campaigns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The contract table ``tables/detections.tsv``: field sample × taxon kept after all filters.

    A row of ``sample_dets`` (which passed the per-sample thresholds) is kept when its site
    reached the replicate support (``detected`` in ``support``). Sorted by campaign (in the
    order of ``campaigns``; unlisted campaigns after, alphabetically), basin, site,
    replicate, order, family, taxon.

    Columns: sample, basin, site, campaign, replicate, taxon, rank, genus, family, order,
    reads, common_name, species, fraction, support.
    """
    require_columns(
        support, ("basin", "site", "campaign", "taxon", "support", "detected"), "the support table"
    )
    keys = ["basin", "site", "campaign", "taxon"]
    sup = support.loc[:, [*keys, "support", "detected"]].copy()
    for col in keys:
        sup[col] = as_text(sup[col])
    sup = sup.loc[as_bool(sup["detected"]), [*keys, "support"]]
    dets = sample_dets.copy()
    for col in keys:
        dets[col] = as_text(dets[col])
    for col in ("species", "fraction", "common_name"):
        if col not in dets.columns:
            dets[col] = ""
    table = dets.merge(sup, on=keys, how="inner")
    table = table.sort_values(
        ["campaign", "basin", "site", "replicate", "order", "family", "taxon", "sample"],
        key=campaign_sort_key(campaigns),
    )
    return table.loc[:, DETECTION_COLUMNS].reset_index(drop=True)
