"""Helpers of the review notebooks: read the workflow's tables, select, filter, describe.

Everything here reads the tables the workflow wrote under ``results/`` and only selects,
joins, reshapes or describes them; no detection, tally or similarity is computed again.
Functions given the ``results`` folder read their tables from it, ``export_table``
writes one, the ``plot_*`` functions return a matplotlib figure (no pyplot state); the
others are pure (tables in, tables or text out).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

SITE_SEPARATOR = " / "
ROW_COLUMNS = ["order", "family", "taxon", "rank", "common_name"]
RANKS = ["species", "genus", "family", "order", "unassigned"]
FIELD_SAMPLE = "sample"
REFERENCE_ROLE = "reference"
_CELL = re.compile(r"^(\d+)/(\d+) \((\d+)\)$")
MEASURE_LABELS = {
    "n_species": "Species detected (count)",
    "n_families": "Families detected (count)",
    "n_orders": "Orders detected (count)",
}
SIMILARITY_LABELS = {"sorensen": "Sørensen", "jaccard": "Jaccard"}


# ---------------------------------------------------------------------------------------
# locating and reading the results


def locate_results(results_dir: str | Path, notebooks_dir: str | Path) -> Path:
    """The workflow's output folder.

    A relative ``results_dir`` is looked up in the current folder first, then in the
    project folder (the parent of ``notebooks_dir``), so the notebooks run alike from the
    project root and from ``notebooks/``.
    """
    path = Path(results_dir).expanduser()
    candidates = [path] if path.is_absolute() else [path, Path(notebooks_dir).parent / path]
    for candidate in candidates:
        if (candidate / "tables" / "samples.tsv").is_file():
            return candidate.resolve()
    tried = ", ".join(str(c.resolve()) for c in candidates)
    raise FileNotFoundError(
        f"no workflow results at {results_dir!r} (looked for tables/samples.tsv in {tried}); "
        "run the workflow first or pass -p results_dir <folder>"
    )


def read_tsv(path: str | Path, text: bool = False) -> pd.DataFrame:
    """A UTF-8 tab-separated table of the workflow.

    Whole-number columns with empty cells stay whole numbers (pandas' nullable dtypes);
    empty cells of text columns become "" (a Japanese name may be absent). With
    ``text=True`` every column is read as text, exactly as written.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"the workflow table {path} does not exist")
    if text:
        return pd.read_csv(path, sep="\t", encoding="utf-8", dtype=str, keep_default_na=False)
    table = pd.read_csv(
        path,
        sep="\t",
        encoding="utf-8",
        keep_default_na=False,
        na_values=[""],
        dtype_backend="numpy_nullable",
    )
    for col in table.columns:
        if pd.api.types.is_string_dtype(table[col]):
            table[col] = table[col].fillna("")
    return table


def read_samples(results: Path) -> pd.DataFrame:
    """tables/samples.tsv, every column as text."""
    return read_tsv(results / "tables" / "samples.tsv", text=True)


def as_list(value: str | Iterable[str] | None) -> list[str]:
    """A parameter as a list: None or "" is [], "a, b" is ["a", "b"], a list stays a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


def campaign_order(samples: pd.DataFrame) -> list[str]:
    """Campaigns in chronological order (their order in tables/samples.tsv)."""
    return list(dict.fromkeys(samples["campaign"]))


def field_samples(samples: pd.DataFrame, basin: str) -> pd.DataFrame:
    """The field samples (type "sample") of one basin."""
    return samples.loc[(samples["type"] == FIELD_SAMPLE) & (samples["basin"] == basin)]


def choose_basin(samples: pd.DataFrame, basin: str | None) -> str:
    """``basin`` checked against the results; "" or None is the first basin."""
    basins = list(dict.fromkeys(samples.loc[samples["type"] == FIELD_SAMPLE, "basin"]))
    if not basins:
        raise ValueError("the results have no field samples")
    if not basin:
        return basins[0]
    if basin not in basins:
        raise ValueError(f"no basin {basin!r} in the results; basins: {', '.join(basins)}")
    return basin


def choose_campaigns(samples: pd.DataFrame, basin: str, campaigns) -> list[str]:
    """The campaigns to review, in chronological order; empty means all of the basin's."""
    sampled = [
        c for c in campaign_order(samples) if c in set(field_samples(samples, basin)["campaign"])
    ]
    wanted = as_list(campaigns)
    unknown = [c for c in wanted if c not in sampled]
    if unknown:
        raise ValueError(
            f"basin {basin} was not sampled in {', '.join(unknown)}; "
            f"its campaigns: {', '.join(sampled)}"
        )
    return [c for c in sampled if c in wanted] if wanted else sampled


def site_order(samples: pd.DataFrame, basin: str) -> list[str]:
    """The basin's field sites, alphabetically (the species tables' order)."""
    return sorted(set(field_samples(samples, basin)["site"]))


def reference_site(samples: pd.DataFrame, basin: str) -> str:
    """The basin's reference site (site_role "reference"), or "" when it has none."""
    fields = field_samples(samples, basin)
    refs = sorted(set(fields.loc[fields["site_role"].str.lower() == REFERENCE_ROLE, "site"]))
    return refs[0] if refs else ""


def for_basin(table: pd.DataFrame, basin: str, campaigns: Sequence[str]) -> pd.DataFrame:
    """Rows of one basin and of the listed campaigns, in the file's order."""
    keep = (table["basin"] == basin) & table["campaign"].isin(list(campaigns))
    return table.loc[keep].reset_index(drop=True)


def scientific_name(taxon: str) -> str:
    """``Salvelinus_leucomaenis`` as "Salvelinus leucomaenis", ``Rhinogobius_sp`` as
    "Rhinogobius sp."."""
    name = str(taxon).replace("_", " ")
    return name + "." if name.endswith(" sp") else name


# ---------------------------------------------------------------------------------------
# species tables


def read_species_table(
    results: Path, samples: pd.DataFrame, basin: str, campaigns: Sequence[str]
) -> pd.DataFrame:
    """tables/species/<basin>.tsv restricted to ``campaigns``, every cell as text.

    Keeps the taxon columns and the "<campaign> / <site>" columns of the listed campaigns
    (in the file's order) and the taxa with a cell in at least one of them.
    """
    table = read_tsv(results / "tables" / "species" / f"{basin}.tsv", text=True)
    columns = site_columns(table, samples, basin)
    keep = [c for c, (campaign, _site) in columns.items() if campaign in set(campaigns)]
    table = table.loc[:, [*ROW_COLUMNS, *keep]]
    return _drop_empty_rows(table, keep)


def site_columns(table: pd.DataFrame, samples: pd.DataFrame, basin: str) -> dict:
    """The species table's site columns as {column: (campaign, site)}."""
    fields = field_samples(samples, basin)
    pairs = zip(fields["campaign"], fields["site"], strict=True)
    known = {c + SITE_SEPARATOR + s: (c, s) for c, s in pairs}
    columns = {}
    for col in table.columns:
        if col in ROW_COLUMNS:
            continue
        if col in known:
            columns[col] = known[col]
        elif SITE_SEPARATOR in col:
            campaign, site = col.split(SITE_SEPARATOR, 1)
            columns[col] = (campaign, site)
        else:
            raise ValueError(f"unexpected species table column {col!r}")
    return columns


def parse_cell(cell: str) -> tuple[int, int, int] | None:
    """A species table cell "positive/total (reads)" as numbers; None for an empty cell."""
    cell = str(cell).strip()
    if not cell:
        return None
    match = _CELL.match(cell)
    if match is None:
        raise ValueError(f"a species table cell reads {cell!r}; expected 'positive/total (reads)'")
    positive, total, reads = (int(g) for g in match.groups())
    return positive, total, reads


def _drop_empty_rows(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Rows with at least one non-empty cell in ``columns``."""
    if not len(columns):
        return table.iloc[0:0].reset_index(drop=True)
    filled = table.loc[:, list(columns)].apply(lambda col: col.str.strip() != "").any(axis=1)
    return table.loc[filled].reset_index(drop=True)


def filter_species_table(
    table: pd.DataFrame,
    samples: pd.DataFrame,
    basin: str,
    ranks: Iterable[str] | str | None = None,
    sites: Iterable[str] | str | None = None,
    min_support: int = 1,
) -> pd.DataFrame:
    """The species table filtered for review.

    ``ranks``: keep these ranks only (empty: all); ``sites``: keep these sites' columns
    (empty: all); ``min_support``: empty the cells with fewer positive field replicates.
    Taxa left without any cell are dropped.
    """
    ranks, sites = as_list(ranks), as_list(sites)
    unknown = sorted(set(ranks) - set(RANKS))
    if unknown:
        raise ValueError(f"unknown rank(s) {', '.join(unknown)}; ranks: {', '.join(RANKS)}")
    known_sites = site_order(samples, basin)
    unknown = sorted(set(sites) - set(known_sites))
    if unknown:
        raise ValueError(
            f"no site(s) {', '.join(unknown)} in basin {basin}; sites: {', '.join(known_sites)}"
        )
    columns = site_columns(table, samples, basin)
    keep = [c for c, (_campaign, site) in columns.items() if not sites or site in sites]
    out = table.loc[:, [*ROW_COLUMNS, *keep]].copy()
    if ranks:
        out = out.loc[out["rank"].isin(ranks)]
    for col in keep:
        weak = out[col].map(lambda cell: (parse_cell(cell) or (0, 0, 0))[0] < min_support)
        out[col] = out[col].where(~weak, "")
    return _drop_empty_rows(out, keep)


def species_long(table: pd.DataFrame, samples: pd.DataFrame, basin: str) -> pd.DataFrame:
    """A species table as one row per taxon × campaign × site with a cell, with numbers:
    taxon, rank, common_name, campaign, site, positive_replicates, total_replicates, reads."""
    records = []
    for col, (campaign, site) in site_columns(table, samples, basin).items():
        for row in table.itertuples(index=False):
            values = dict(zip(table.columns, row, strict=True))
            parsed = parse_cell(values[col])
            if parsed is None:
                continue
            records.append(
                {
                    "taxon": values["taxon"],
                    "rank": values["rank"],
                    "common_name": values["common_name"],
                    "campaign": campaign,
                    "site": site,
                    "positive_replicates": parsed[0],
                    "total_replicates": parsed[1],
                    "reads": parsed[2],
                }
            )
    columns = ["taxon", "rank", "common_name", "campaign", "site"]
    columns += ["positive_replicates", "total_replicates", "reads"]
    return pd.DataFrame(records, columns=columns)


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """A table as a reviewer reads it: the taxon as a scientific name with spaces and the
    Japanese name with a dash where the reference database has none."""
    shown = table.copy()
    if "taxon" in shown.columns:
        shown["taxon"] = shown["taxon"].map(scientific_name)
    if "common_name" in shown.columns:
        names = shown["common_name"].fillna("").astype(str)
        shown["common_name"] = names.where(names.str.strip() != "", "—")
    return shown.rename(columns={"taxon": "scientific name", "common_name": "Japanese name"})


def html_table(table: pd.DataFrame, digits: int = 2) -> str:
    """A table as a page sent round shows it: no index column, decimals rounded to
    ``digits``, whole numbers without decimals, missing values as a dash (never ``<NA>``
    or ``nan``); the report's table pages show their tables the same way."""
    from riverfish.pages import html_table as page_table

    return page_table(table, digits)


def readable_tables() -> None:
    """Show every DataFrame of the notebook with :func:`html_table` (in Jupyter and in
    the HTML a notebook is rendered to); the tables themselves are not changed."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, html_table)


def export_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as UTF-8 TSV (or an Excel workbook when the name ends in .xlsx)."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        table.to_excel(path, index=False)
    else:
        table.to_csv(path, sep="\t", index=False, encoding="utf-8", lineterminator="\n")
    return path.resolve()


# ---------------------------------------------------------------------------------------
# blank correction, coarse classifications


def blank_correction(
    results: Path, samples: pd.DataFrame, basin: str, campaigns: Sequence[str]
) -> pd.DataFrame:
    """Reads the blank correction removed from the basin's field samples, per sample × ASV.

    controls/removed_by_controls.tsv joined with the samples (site, replicate), the
    taxonomy (taxon, rank, Japanese name) and the control's sample type and basin.
    ``control`` is the negative control that set the amount removed (rule "max") or the
    rule's name (rules "sum", "mean"). ``taxon_reads_left`` is what the sample kept of the
    taxon over all its ASVs (controls/corrected_counts.tsv): 0 means the correction took
    the taxon out of the sample.
    """
    removed = read_tsv(results / "controls" / "removed_by_controls.tsv")
    taxonomy = read_tsv(results / "taxonomy" / "asv_taxonomy.tsv")
    names = taxonomy.loc[:, ["asv_id", "taxon", "rank", "common_name"]]
    corrected = read_tsv(results / "controls" / "corrected_counts.tsv").merge(names, on="asv_id")
    left = corrected.groupby(["sample", "taxon"], as_index=False)["reads"].sum()
    left = left.rename(columns={"reads": "taxon_reads_left"})
    fields = field_samples(samples, basin).loc[:, ["sample", "site", "replicate"]]
    controls = samples.loc[:, ["sample", "type", "basin"]].rename(
        columns={"sample": "control", "type": "control_type", "basin": "control_basin"}
    )
    table = removed.loc[removed["campaign"].isin(list(campaigns))].merge(fields, on="sample")
    table = table.merge(names, on="asv_id", how="left").merge(controls, on="control", how="left")
    for col in ("taxon", "rank", "common_name", "control_type", "control_basin"):
        table[col] = table[col].fillna("")
    table = table.merge(left, on=["sample", "taxon"], how="left")
    table["taxon_reads_left"] = table["taxon_reads_left"].fillna(0).astype("int64")
    columns = ["campaign", "site", "replicate", "sample", "taxon", "rank", "common_name"]
    columns += ["asv_id", "reads_before", "removed", "reads_after", "taxon_reads_left"]
    columns += ["control", "control_type", "control_basin"]
    order = {c: i for i, c in enumerate(campaigns)}
    table = table.sort_values(
        ["campaign", "site", "replicate", "taxon", "asv_id"],
        key=lambda col: col.map(order) if col.name == "campaign" else col,
    )
    return table.loc[:, columns].reset_index(drop=True)


def blank_correction_by_taxon(removed: pd.DataFrame) -> pd.DataFrame:
    """The blank correction per campaign and taxon: samples that lost reads, reads before,
    removed and after (of the ASVs that lost reads), samples the taxon was taken out of,
    the controls that set the amounts. Largest removal first."""
    columns = ["campaign", "taxon", "common_name", "samples", "reads_before", "removed"]
    columns += ["reads_after", "samples_taxon_removed", "controls"]
    if removed.empty:
        return pd.DataFrame(columns=columns)
    gone = removed["taxon_reads_left"] == 0
    summary = (
        removed.assign(gone_sample=removed["sample"].where(gone))
        .groupby(["campaign", "taxon", "common_name"], sort=False)
        .agg(
            samples=("sample", "nunique"),
            reads_before=("reads_before", "sum"),
            removed=("removed", "sum"),
            reads_after=("reads_after", "sum"),
            samples_taxon_removed=("gone_sample", "nunique"),
            controls=("control", lambda s: ", ".join(sorted(set(s)))),
        )
        .reset_index()
    )
    summary = summary.sort_values(["removed", "taxon"], ascending=[False, True], kind="stable")
    return summary.loc[:, columns].reset_index(drop=True)


def taxa_removed_from_samples(removed: pd.DataFrame) -> pd.DataFrame:
    """Sample × taxon pairs the blank correction took out entirely (no read of the taxon
    left in the sample), with the reads removed and the controls that set them."""
    columns = ["campaign", "site", "replicate", "sample", "taxon", "rank", "common_name"]
    gone = removed.loc[removed["taxon_reads_left"] == 0]
    summary = gone.groupby(columns, sort=False, as_index=False).agg(
        removed=("removed", "sum"),
        asvs=("asv_id", "nunique"),
        controls=("control", lambda s: ", ".join(sorted(set(s)))),
        control_basins=("control_basin", lambda s: ", ".join(sorted(set(s)))),
    )
    return summary.reset_index(drop=True)


def coarse_asvs(
    results: Path, samples: pd.DataFrame, basin: str, campaigns: Sequence[str]
) -> pd.DataFrame:
    """ASVs of the basin classified above species (genus, family, order), with their
    candidate species and the identities that kept them from a species name.

    ``reads`` are the ASV's reads after blank correction in the basin's field samples of
    the listed campaigns (controls/corrected_counts.tsv); ASVs without reads there are
    left out. ``in_species_table`` says whether the taxon passed the detection thresholds
    and the replicate rule at a site (tables/site_detections.tsv). Sorted by rank, taxon,
    reads (largest first).
    """
    taxonomy = read_tsv(results / "taxonomy" / "asv_taxonomy.tsv")
    counts = read_tsv(results / "controls" / "corrected_counts.tsv")
    fields = field_samples(samples, basin)
    fields = fields.loc[fields["campaign"].isin(list(campaigns)), ["sample", "campaign", "site"]]
    here = counts.merge(fields, on="sample")
    per_asv = here.groupby("asv_id").agg(
        reads=("reads", "sum"),
        samples=("sample", "nunique"),
        sites=("site", lambda s: ", ".join(sorted(set(s)))),
        campaigns=("campaign", lambda s: ", ".join(c for c in campaigns if c in set(s))),
    )
    coarse = taxonomy.loc[taxonomy["rank"].isin(["genus", "family", "order"])]
    table = coarse.merge(per_asv, left_on="asv_id", right_index=True)
    sites = for_basin(read_tsv(results / "tables" / "site_detections.tsv"), basin, campaigns)
    detected = set(sites.loc[sites["detected"].astype(str) == "True", "taxon"])
    table["in_species_table"] = table["taxon"].isin(detected)
    table["candidates"] = table["candidates"].str.replace(";", ", ")
    columns = ["taxon", "rank", "common_name", "candidates", "best_identity"]
    columns += ["next_species_identity", "margin_to_next_species", "n_near_best"]
    columns += ["reads", "samples", "sites", "campaigns", "in_species_table", "asv_id"]
    columns = [c for c in columns if c in table.columns]
    rank_order = {r: i for i, r in enumerate(RANKS)}
    table = table.sort_values(
        ["rank", "taxon", "reads"],
        ascending=[True, True, False],
        key=lambda col: col.map(rank_order) if col.name == "rank" else col,
    )
    return table.loc[:, columns].reset_index(drop=True)


def unconfirmed(site_detections: pd.DataFrame) -> pd.DataFrame:
    """Site detections that passed the per-sample thresholds in some replicates but not the
    replicate rule (``detected`` false in tables/site_detections.tsv)."""
    return site_detections.loc[site_detections["detected"].astype(str) != "True"].reset_index(
        drop=True
    )


def unassigned_reads(
    results: Path, samples: pd.DataFrame, basin: str, campaigns: Sequence[str]
) -> pd.DataFrame:
    """tables/unassigned_reads.tsv for the basin's field samples of the listed campaigns."""
    table = read_tsv(results / "tables" / "unassigned_reads.tsv")
    fields = field_samples(samples, basin).loc[:, ["sample", "site", "replicate"]]
    table = table.loc[table["campaign"].isin(list(campaigns))].merge(fields, on="sample")
    columns = ["campaign", "site", "replicate", "sample"]
    columns += [c for c in table.columns if c not in columns]
    return table.loc[:, columns].reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# trends: words from the numbers


def _change(first: float, last: float) -> str:
    """ "rose", "fell" or "stayed" for a change from ``first`` to ``last``."""
    if last > first:
        return "rose"
    if last < first:
        return "fell"
    return "stayed"


def richness_sentences(richness: pd.DataFrame, reference: str = "") -> list[str]:
    """One sentence per site on its species count from its first to its last campaign.

    ``richness`` is trends/richness.tsv of one basin (rows in campaign order per site).
    """
    sentences = []
    for site, rows in richness.groupby("site", sort=True):
        label = f"{site} (reference site)" if site == reference else site
        first, last = rows.iloc[0], rows.iloc[-1]
        n_first, n_last = int(first["n_species"]), int(last["n_species"])
        if len(rows) == 1:
            sentences.append(
                f"{label}: {n_last} species in {last['campaign']} "
                "(one campaign: no trend to state)."
            )
            continue
        change = _change(n_first, n_last)
        if change == "stayed":
            sentences.append(
                f"{label}: species richness stayed at {n_last} species from "
                f"{first['campaign']} to {last['campaign']}."
            )
        else:
            sentences.append(
                f"{label}: species richness {change} from {n_first} species in "
                f"{first['campaign']} to {n_last} in {last['campaign']} "
                f"({n_last - n_first:+d}; families {int(first['n_families'])} → "
                f"{int(last['n_families'])}, orders {int(first['n_orders'])} → "
                f"{int(last['n_orders'])})."
            )
    return sentences


def similarity_sentences(similarity: pd.DataFrame, measure: str = "sorensen") -> list[str]:
    """One sentence per non-reference site on its similarity to the reference site from its
    first to its last campaign where the similarity could be computed."""
    name = SIMILARITY_LABELS[measure]
    sentences = []
    if similarity.empty:
        return sentences
    references = set(similarity["reference_site"]) - {""}
    if not references:
        return [
            "No site of the basin has site_role reference in the sample sheets: "
            "similarity to a reference site cannot be computed."
        ]
    for site, rows in similarity.groupby("site", sort=True):
        if site in references:
            continue
        ref = rows["reference_site"].iloc[0]
        known = rows.loc[rows[measure].notna()]
        if known.empty:
            sentences.append(
                f"{site}: similarity to {ref} could not be computed ({rows['note'].iloc[-1]})."
            )
            continue
        first, last = known.iloc[0], known.iloc[-1]
        if len(known) == 1:
            sentences.append(
                f"{site}: {name} similarity to {ref} was {last[measure]:.2f} in "
                f"{last['campaign']} ({int(last['n_shared'])} shared taxa)."
            )
            continue
        change = _change(round(first[measure], 2), round(last[measure], 2))
        shared = f"shared taxa {int(first['n_shared'])} → {int(last['n_shared'])}"
        if change == "stayed":
            span = f"stayed at {last[measure]:.2f} from {first['campaign']} to {last['campaign']}"
        else:
            span = (
                f"{change} from {first[measure]:.2f} in {first['campaign']} "
                f"to {last[measure]:.2f} in {last['campaign']}"
            )
        sentences.append(f"{site}: {name} similarity to {ref} {span} ({shared}).")
    return sentences


def first_last_sentences(first_last: pd.DataFrame, campaigns: Sequence[str]) -> list[str]:
    """Taxa first detected in the last campaign and taxa not detected in it."""
    if len(campaigns) < 2 or first_last.empty:
        return []
    last_campaign = campaigns[-1]
    new = first_last.loc[first_last["first_campaign"] == last_campaign, "taxon"]
    lost = first_last.loc[first_last["last_campaign"] != last_campaign]
    sentences = []
    if len(new):
        names = ", ".join(scientific_name(t) for t in new)
        sentences.append(f"First detected in {last_campaign}: {names}.")
    else:
        sentences.append(f"No taxon was detected for the first time in {last_campaign}.")
    if len(lost):
        names = ", ".join(
            f"{scientific_name(t)} (last {c})"
            for t, c in zip(lost["taxon"], lost["last_campaign"], strict=True)
        )
        sentences.append(f"Not detected in {last_campaign}: {names}.")
    else:
        sentences.append(
            f"Every taxon detected in an earlier campaign was detected again in {last_campaign}."
        )
    return sentences


def basin_sentence(basin_campaign: pd.DataFrame, basin: str) -> str:
    """The basin's tallies per campaign in a report's words."""
    parts = [
        f"{int(r.n_orders)} orders, {int(r.n_families)} families and {int(r.n_species)} "
        f"species in {r.campaign}"
        for r in basin_campaign.itertuples(index=False)
    ]
    return f"In the {basin} basin, fish eDNA identified " + "; ".join(parts) + "."


def trend_summary(
    basin: str,
    basin_campaign: pd.DataFrame,
    richness: pd.DataFrame,
    similarity: pd.DataFrame,
    first_last: pd.DataFrame,
    campaigns: Sequence[str],
    reference: str = "",
    measure: str = "sorensen",
) -> str:
    """The trends of one basin in words (Markdown), every number from the tables given."""
    lines = [basin_sentence(basin_campaign, basin), "", "**Species richness per site**", ""]
    lines += [f"- {s}" for s in richness_sentences(richness, reference)]
    sim = similarity_sentences(similarity, measure)
    if sim:
        lines += ["", "**Similarity to the reference site**", ""] + [f"- {s}" for s in sim]
    turnover = first_last_sentences(first_last, campaigns)
    if turnover:
        lines += ["", "**Taxa gained and lost**", ""] + [f"- {s}" for s in turnover]
    return "\n".join(lines)


def _interval(lo: float, hi: float, digits: int = 2) -> str:
    if pd.isna(lo) or pd.isna(hi):
        return "no interval"
    return f"95 % interval {lo:+.{digits}f} to {hi:+.{digits}f}"


def verdict_sentences(verdicts: pd.DataFrame) -> list[str]:
    """Each impacted site's recovery verdict with the numbers it rests on
    (``stats/recovery_verdicts.tsv``)."""
    out = []
    for r in verdicts.itertuples(index=False):
        head = f"{r.site} against the reference site {r.reference_site}: **{r.verdict}**"
        if r.verdict == "not enough campaigns" or pd.isna(r.per_sample_slope):
            out.append(f"{head} ({r.note})" if str(r.note) else head)
            continue
        text = (
            f"{head}. Species per water sample relative to the reference went from "
            f"{r.per_sample_first:.2f} ({r.first_campaign}) to {r.per_sample_last:.2f} "
            f"({r.last_campaign}) over {int(r.n_campaigns)} campaigns, "
            f"{r.per_sample_slope:+.2f} per campaign "
            f"({_interval(r.per_sample_slope_lower, r.per_sample_slope_upper)}); the site's "
            f"richness relative to the reference {r.relative_first:.2f} → "
            f"{r.relative_last:.2f}; Sørensen similarity {r.sorensen_slope:+.2f} per campaign "
            f"({_interval(r.sorensen_slope_lower, r.sorensen_slope_upper)})."
        )
        if str(r.note):
            text += f" Note: {r.note}."
        out.append(text)
    return out


def design_shortfall(design: pd.DataFrame) -> pd.DataFrame:
    """Taxa whose cautious number of water samples for a 95 % detection exceeds the
    samples taken (``stats/survey_design.tsv``): where the survey may miss them."""
    need = pd.to_numeric(design["samples_for_95_cautious"], errors="coerce")
    taken = pd.to_numeric(design["samples_taken"], errors="coerce")
    short = design.loc[need.isna() | (need > taken)]
    cols = [
        "campaign",
        "taxon",
        "common_name",
        "detection_per_sample",
        "lower",
        "samples_for_95",
        "samples_for_95_cautious",
        "samples_taken",
        "detection_model",
    ]
    return readable(short.loc[:, cols].reset_index(drop=True))


# ---------------------------------------------------------------------------------------
# plots


def _campaign_axis(ax, campaigns: Sequence[str]) -> None:
    ax.set_xticks(range(len(campaigns)), list(campaigns))
    ax.set_xlim(-0.3, len(campaigns) - 0.7)
    ax.set_xlabel("Campaign (in sampling order)")


def plot_richness(richness: pd.DataFrame, campaigns: Sequence[str], reference: str = "") -> Figure:
    """Species, families and orders detected per site over the campaigns (one panel each)."""
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    axes = fig.subplots(1, 3, sharex=True)
    position = {c: i for i, c in enumerate(campaigns)}
    for ax, measure in zip(axes, ["n_species", "n_families", "n_orders"], strict=True):
        for site, rows in richness.groupby("site", sort=True):
            label = f"{site} (reference)" if site == reference else site
            style = "--" if site == reference else "-"
            x = rows["campaign"].map(position)
            ax.plot(x, rows[measure], style, marker="o", label=label)
        _campaign_axis(ax, campaigns)
        ax.set_ylabel(MEASURE_LABELS[measure])
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(title="Site", fontsize="small")
    fig.suptitle("Richness per site over the campaigns")
    return fig


def plot_similarity(
    similarity: pd.DataFrame, campaigns: Sequence[str], measure: str = "sorensen"
) -> Figure:
    """Similarity of each site to the basin's reference site over the campaigns."""
    fig = Figure(figsize=(6.5, 3.8), layout="constrained")
    ax = fig.subplots()
    position = {c: i for i, c in enumerate(campaigns)}
    references = set(similarity["reference_site"]) - {""}
    ref = ", ".join(sorted(references)) or "the reference site (none in the sheets)"
    for site, rows in similarity.groupby("site", sort=True):
        if site in references:
            continue
        ax.plot(rows["campaign"].map(position), rows[measure], marker="o", label=site)
    _campaign_axis(ax, campaigns)
    name = SIMILARITY_LABELS[measure]
    ax.set_ylabel(f"{name} similarity to {ref}\n(0 = no taxon shared, 1 = same taxa)")
    ax.set_ylim(-0.05, 1.05)
    ax.grid(axis="y", alpha=0.3)
    if ax.lines:
        ax.legend(title="Site", fontsize="small")
    ax.set_title(f"Similarity to {ref} (presence/absence of taxa)")
    return fig


def plot_detections(site_detections: pd.DataFrame, campaigns: Sequence[str]) -> Figure:
    """Taxon × campaign: at how many of the basin's sites each taxon was detected."""
    detected = site_detections.loc[site_detections["detected"].astype(str) == "True"]
    counts = detected.groupby(["taxon", "campaign"])["site"].nunique().unstack(fill_value=0)
    counts = counts.reindex(columns=list(campaigns), fill_value=0)
    counts = counts.sort_index()
    height = max(2.5, 0.28 * len(counts) + 1.2)
    fig = Figure(figsize=(6.5, height), layout="constrained")
    ax = fig.subplots()
    if counts.empty:
        ax.text(0.5, 0.5, "no detections", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    top = max(1, int(counts.to_numpy().max()))
    cmap = colormaps["Blues"].resampled(top + 1)
    image = ax.imshow(
        counts.to_numpy(), aspect="auto", cmap=cmap, vmin=-0.5, vmax=top + 0.5, interpolation="none"
    )
    ax.set_xticks(range(len(campaigns)), list(campaigns))
    ax.set_yticks(range(len(counts)), [scientific_name(t) for t in counts.index])
    ax.set_xlabel("Campaign (in sampling order)")
    ax.set_ylabel("Taxon")
    bar = fig.colorbar(image, ax=ax, ticks=range(top + 1))
    bar.set_label("Sites where detected (count)")
    ax.set_title("Detections per campaign")
    return fig


def plot_indicators(indicators: pd.DataFrame, campaigns: Sequence[str]) -> Figure:
    """Taxa of each indicator group per campaign (grouped bars)."""
    wide = indicators.pivot_table(
        index="group", columns="campaign", values="n_taxa", aggfunc="sum", sort=False
    ).reindex(columns=list(campaigns), fill_value=0)
    fig = Figure(figsize=(7.5, 3.6), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / max(1, len(campaigns))
    for i, campaign in enumerate(campaigns):
        x = [j + (i - (len(campaigns) - 1) / 2) * width for j in range(len(wide))]
        ax.bar(x, wide[campaign].fillna(0), width=width, label=campaign)
    ax.set_xticks(range(len(wide)), [g.replace("_", " ") for g in wide.index])
    ax.set_xlabel("Indicator group")
    ax.set_ylabel("Taxa detected (count)")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(title="Campaign", fontsize="small")
    ax.set_title("Indicator taxa per campaign")
    return fig
