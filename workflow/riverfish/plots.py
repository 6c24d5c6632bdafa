"""Figures for the report: richness over campaigns, taxon × campaign heat maps, read tracking.

Each ``*_figure`` function returns a :class:`matplotlib.figure.Figure` drawn with the Agg
canvas (no display and no pyplot state needed), sized for an A4 page width; pass it to
:func:`write_figure` to save it as PNG or SVG.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib_fontja  # noqa: F401 (registers IPAexGothic, a font with Japanese glyphs)
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .controls import as_bool, as_text, campaign_sort_key, require_columns
from .errors import InputError
from .files import temporary_sibling

#: Latin text in DejaVu Sans as before; Japanese basin, site and fish names fall back to
#: IPAexGothic (matplotlib-fontja), so no glyph is missing on a machine without CJK fonts.
FONT_FAMILY = ["DejaVu Sans", "IPAexGothic"]
matplotlib.rcParams["font.family"] = FONT_FAMILY

#: Width of a figure in inches: A4 (8.27 in) less margins.
A4_WIDTH = 7.5
FONT_SIZE = 8

#: The steps that lose reads for the counts. quality_ok is not one: the reads over the
#: expected-error limit take no part in finding ASVs but are counted in them.
READ_TRACKING_STEPS = [
    "raw_pairs",
    "merged",
    "primer_trimmed",
    "length_ok",
    "in_asvs",
    "after_controls",
]
#: Legend label of the reads lost at each step (the step named is the one that kept the rest).
READ_LOSS_LABELS = {
    "merged": "lost: pairs not merged",
    "primer_trimmed": "lost: primers not found",
    "length_ok": "lost: outside the length window",
    "in_asvs": "lost: in no ASV (errors, chimeras, too rare)",
    "after_controls": "lost: blank correction",
}
READ_KEPT_LABELS = {
    "raw_pairs": "raw read pairs",
    "merged": "kept after merging",
    "primer_trimmed": "kept after primer trimming",
    "length_ok": "kept after the length window",
    "in_asvs": "kept in ASVs",
    "after_controls": "kept after blank correction",
}
METRIC_LABELS = {
    "n_species": "Species richness (number of species)",
    "n_families": "Number of families",
    "n_orders": "Number of orders",
}
FIGURE_FORMATS = ("png", "svg")


def _new_figure(width: float, height: float) -> Figure:
    """A figure with the Agg canvas and a constrained layout."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _style(ax) -> None:
    """Font sizes readable at A4 width."""
    ax.tick_params(labelsize=FONT_SIZE)
    ax.xaxis.label.set_size(FONT_SIZE + 1)
    ax.yaxis.label.set_size(FONT_SIZE + 1)
    ax.title.set_size(FONT_SIZE + 2)


def richness_figure(
    site_campaign: pd.DataFrame,
    campaigns: Sequence[str],
    metric: str = "n_species",
    samples: pd.DataFrame | None = None,
) -> Figure:
    """Richness of every site over the campaigns: one panel per basin, one line per site.

    ``site_campaign`` is the site × campaign tally table (basin, site, campaign,
    n_orders, n_families, n_species); ``metric`` is one of its count columns. A site not
    sampled in a campaign has a gap there. With ``samples`` (the sheets), sites follow the
    sheet order and the reference site (dashed, black) and impacted sites are marked in the
    legend.
    """
    if metric not in METRIC_LABELS:
        raise InputError(
            f"unknown metric {metric!r}", hint=f"use one of {', '.join(METRIC_LABELS)}"
        )
    require_columns(site_campaign, ("basin", "site", "campaign", metric), "the site tally table")
    table = site_campaign.copy()
    for col in ("basin", "site", "campaign"):
        table[col] = as_text(table[col])
    table = table.loc[table["campaign"].isin(list(campaigns))]
    basins = sorted(table["basin"].unique())
    n_cols = 1 if len(basins) <= 1 else 2
    n_rows = max(1, math.ceil(len(basins) / n_cols))
    fig = _new_figure(A4_WIDTH, 2.8 * n_rows + 0.4)
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    x = np.arange(len(campaigns))
    position = {c: i for i, c in enumerate(campaigns)}
    for ax, basin in zip(axes, basins, strict=False):
        sub = table.loc[table["basin"] == basin]
        order, roles = _site_roles(samples, basin, sorted(set(sub["site"])))
        for site in order:
            rows = sub.loc[sub["site"] == site]
            if rows.empty:
                continue
            y = np.full(len(campaigns), np.nan)
            y[rows["campaign"].map(position).to_numpy()] = rows[metric].to_numpy(float)
            role = roles.get(site, "")
            style = {"linestyle": "--", "color": "black"} if role == "reference" else {}
            label = f"{site} ({role})" if role in ("reference", "impacted") else site
            ax.plot(x, y, marker="o", linewidth=1.5, markersize=4, label=label, **style)
        ax.set_title(basin)
        ax.set_xticks(x, list(campaigns), rotation=30 if len(campaigns) > 3 else 0, ha="center")
        ax.set_xlim(-0.3, len(campaigns) - 0.7)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("Campaign")
        ax.set_ylabel(METRIC_LABELS[metric])
        ax.grid(axis="y", linewidth=0.4, alpha=0.5)
        ax.legend(title="Site", fontsize=FONT_SIZE - 1, title_fontsize=FONT_SIZE - 1)
        _style(ax)
    for ax in axes[len(basins) :]:
        ax.set_axis_off()
    if not basins:
        axes[0].set_axis_on()
        axes[0].text(0.5, 0.5, "no sites", ha="center", va="center", transform=axes[0].transAxes)
        axes[0].set_xlabel("Campaign")
        axes[0].set_ylabel(METRIC_LABELS[metric])
    return fig


def _site_roles(
    samples: pd.DataFrame | None, basin: str, fallback: list[str]
) -> tuple[list[str], dict[str, str]]:
    """A basin's sites in sheet order with their site_role; without the sheets, the given
    order and no roles."""
    if samples is None:
        return fallback, {}
    sheet = samples.copy()
    for col in ("basin", "site", "type"):
        sheet[col] = as_text(sheet[col])
    sheet["site_role"] = as_text(sheet["site_role"]) if "site_role" in sheet else ""
    fields = sheet.loc[(sheet["basin"] == basin) & (sheet["type"] == "sample")]
    order = list(dict.fromkeys(fields["site"]))
    order += [s for s in fallback if s not in order]
    roles = dict(zip(fields["site"], fields["site_role"].str.lower(), strict=True))
    return order, roles


def heatmap_matrix(
    site_detections: pd.DataFrame,
    campaigns: Sequence[str],
    basin: str,
    samples: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Positive field replicates of each taxon of a basin per campaign and site.

    Only rows with ``detected`` true count. Rows (taxa) are ordered by order, family,
    taxon; columns are (campaign, site) pairs, campaigns in the given order and sites in
    the order of the sample sheets (``samples``: the field samples decide which sites were
    sampled in which campaign; without it, the sites of the detections, alphabetically).
    """
    require_columns(
        site_detections,
        ("basin", "site", "campaign", "taxon", "order", "family", "positive_replicates"),
        "the site detections table",
    )
    dets = site_detections.copy()
    for col in ("basin", "site", "campaign", "taxon", "order", "family"):
        dets[col] = as_text(dets[col])
    if "detected" in dets.columns:
        dets = dets.loc[as_bool(dets["detected"])]
    dets = dets.loc[(dets["basin"] == basin) & dets["campaign"].isin(list(campaigns))]
    columns = _sampled_sites(samples, basin, campaigns) if samples is not None else None
    if columns is None:
        sites = sorted(set(dets["site"]))
        columns = [(c, s) for c in campaigns for s in sites]
    taxa = (
        dets.loc[:, ["order", "family", "taxon"]]
        .drop_duplicates("taxon")
        .sort_values(["order", "family", "taxon"])["taxon"]
    )
    matrix = dets.pivot_table(
        index="taxon", columns=["campaign", "site"], values="positive_replicates", aggfunc="sum"
    )
    index = pd.MultiIndex.from_tuples(columns, names=["campaign", "site"])
    matrix = matrix.reindex(index=list(taxa), columns=index).fillna(0).astype(int)
    return matrix


def _sampled_sites(samples: pd.DataFrame, basin: str, campaigns: Sequence[str]) -> list:
    """(campaign, site) of a basin's field samples: campaigns in order, sites in sheet order."""
    sheet = samples.copy()
    for col in ("basin", "site", "campaign", "type"):
        sheet[col] = as_text(sheet[col])
    fields = sheet.loc[(sheet["basin"] == basin) & (sheet["type"] == "sample")]
    sites = list(dict.fromkeys(fields["site"]))
    sampled = set(zip(fields["campaign"], fields["site"], strict=True))
    return [(c, s) for c in campaigns for s in sites if (c, s) in sampled]


def _max_replicates(samples: pd.DataFrame | None, basin: str, fallback: int) -> int:
    """The most field replicates (water samples) of a site in a campaign of the basin."""
    if samples is None:
        return max(fallback, 1)
    sheet = samples.copy()
    for col in ("basin", "type"):
        sheet[col] = as_text(sheet[col])
    fields = sheet.loc[(sheet["basin"] == basin) & (sheet["type"] == "sample")]
    if fields.empty:
        return max(fallback, 1)
    counts = fields.groupby(["campaign", "site"])["replicate"].nunique()
    return max(int(counts.max()), fallback, 1)


def heatmap_figure(
    site_detections: pd.DataFrame,
    campaigns: Sequence[str],
    basin: str,
    samples: pd.DataFrame | None = None,
) -> Figure:
    """Which fish where: taxa × (campaign, site) grid of one basin, each cell the number of
    field replicates that detected the taxon at the site (annotated), the colour scale
    fixed from 0 to the most replicates a site had, sites upstream to downstream as in the
    sheets, campaigns separated by lines (see :func:`heatmap_matrix`)."""
    matrix = heatmap_matrix(site_detections, campaigns, basin, samples)
    n_taxa, n_cols = matrix.shape
    height = min(max(2.8, 0.2 * n_taxa + 2.0), 11.0)
    fig = _new_figure(A4_WIDTH, height)
    ax = fig.subplots()
    ax.set_title(f"{basin}: detections per site and campaign")
    ax.set_ylabel("Taxon")
    if n_taxa == 0 or n_cols == 0:
        ax.text(0.5, 0.5, "no detections", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        _style(ax)
        return fig
    values = matrix.to_numpy()
    vmax = _max_replicates(samples, basin, int(values.max()))
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=vmax, aspect="auto", interpolation="none")
    sites = [s for _, s in matrix.columns]
    ax.set_xticks(range(n_cols), sites, rotation=90 if n_cols > 8 else 0, fontsize=FONT_SIZE - 1)
    labels = [t.replace("_", " ") for t in matrix.index]
    ax.set_yticks(range(n_taxa), labels, fontsize=FONT_SIZE - 1)
    # the campaigns above their sites, with a line between them
    camps = [c for c, _ in matrix.columns]
    top = ax.secondary_xaxis("top")
    starts = [i for i, c in enumerate(camps) if i == 0 or camps[i - 1] != c]
    ends = [*starts[1:], n_cols]
    top.set_xticks([(a + b - 1) / 2 for a, b in zip(starts, ends, strict=True)])
    top.set_xticklabels([camps[a] for a in starts], fontsize=FONT_SIZE)
    top.tick_params(length=0)
    for a in starts[1:]:
        ax.axvline(a - 0.5, color="#333333", linewidth=1.2)
    if n_taxa * n_cols <= 1500:
        for i in range(n_taxa):
            for j in range(n_cols):
                value = int(values[i, j])
                if value > 0:
                    ax.text(
                        j,
                        i,
                        str(value),
                        ha="center",
                        va="center",
                        fontsize=FONT_SIZE - 2,
                        color="white" if value > vmax / 2 else "black",
                    )
    colorbar = fig.colorbar(image, ax=ax, shrink=0.8)
    colorbar.set_label(f"Positive field replicates (of up to {vmax})", size=FONT_SIZE)
    colorbar.ax.tick_params(labelsize=FONT_SIZE - 1)
    colorbar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _style(ax)
    return fig


#: samples in one panel of the read-tracking figure; more samples make more panels
TRACKING_PANEL_ROWS = 100


def read_tracking_figure(
    read_tracking: pd.DataFrame, campaigns: Sequence[str] | None = None
) -> Figure:
    """Reads of every sample through the steps, as shares of its raw read pairs: one
    stacked horizontal bar per sample, its raw pairs written at its end.

    The bar's left part is the share the last step kept; each further segment is the share
    one step lost, so every bar ends at 100 %. The read-tracking columns present
    (raw_pairs, merged, primer_trimmed, length_ok, in_asvs, after_controls; at least two)
    are used; an empty cell (e.g. after_controls of a blank) counts as no loss. Samples
    are grouped by campaign (in the order of ``campaigns`` when given), at most
    ``TRACKING_PANEL_ROWS`` to a panel, panels side by side, so that 200 samples stay
    readable (two panels of 100, a taller page).
    """
    require_columns(read_tracking, ("sample",), "the read-tracking table")
    steps = [s for s in READ_TRACKING_STEPS if s in read_tracking.columns]
    if len(steps) < 2:
        raise InputError(
            f"the read-tracking table has {len(steps)} of the step columns; at least 2 needed",
            hint=f"the step columns are {', '.join(READ_TRACKING_STEPS)}",
        )
    table = read_tracking.copy()
    if "campaign" in table.columns:
        table["campaign"] = as_text(table["campaign"])
        if campaigns is not None:
            table = table.loc[table["campaign"].isin(list(campaigns))]
        table["_row"] = range(len(table))
        table = table.sort_values(["campaign", "_row"], key=campaign_sort_key(campaigns))
    values = table.loc[:, steps].apply(pd.to_numeric, errors="coerce")
    values = values.ffill(axis=1).fillna(0)
    raw = values[steps[0]].to_numpy(float)
    scale = np.where(raw > 0, 100.0 / np.maximum(raw, 1), 0.0)
    kept = values[steps[-1]].to_numpy(float) * scale
    losses = {
        step: np.clip(values[prev].to_numpy(float) - values[step].to_numpy(float), 0, None) * scale
        for prev, step in zip(steps[:-1], steps[1:], strict=True)
    }
    labels = [str(s) for s in table["sample"]]
    n = len(labels)
    n_panels = max(1, math.ceil(n / TRACKING_PANEL_ROWS))
    per_panel = math.ceil(n / n_panels) if n else 1
    fig = _new_figure(A4_WIDTH, min(max(2.5, (0.2 if n <= 40 else 0.14) * per_panel + 1.9), 16.0))
    axes = fig.subplots(1, n_panels, squeeze=False).ravel()
    palette = ["#e8a33d", "#d1495b", "#8f5aa8", "#66a182", "#9a9a9a", "#c7b27a"]
    size = FONT_SIZE - 1 if n_panels == 1 and per_panel <= 30 else FONT_SIZE - 2
    for k, ax in enumerate(axes):
        rows = np.arange(k * per_panel, min((k + 1) * per_panel, n))
        y = np.arange(len(rows))
        ax.barh(y, kept[rows], height=0.75, color="#2b6ca3", label=READ_KEPT_LABELS[steps[-1]])
        left = kept[rows].copy()
        for colour, step in zip(palette, reversed(steps[1:]), strict=False):
            ax.barh(
                y,
                losses[step][rows],
                left=left,
                height=0.75,
                color=colour,
                label=READ_LOSS_LABELS[step],
            )
            left = left + losses[step][rows]
        for yi, r in zip(y, rows, strict=True):
            ax.text(101, yi, f"{raw[r]:,.0f}", va="center", ha="left", fontsize=size - 1)
        ax.set_yticks(y, [labels[r] for r in rows], fontsize=size)
        ax.set_ylim(len(rows) - 0.5, -0.5)  # first sample on top, no empty margin
        ax.set_xlim(0, 100 + 6 + 2.2 * len(f"{int(raw.max()) if n else 0:,}"))
        ax.set_xticks([0, 50, 100])
        ax.xaxis.set_major_formatter("{x:.0f} %")
        ax.set_xlabel("% of raw read pairs")
        ax.grid(axis="x", linewidth=0.4, alpha=0.5)
        _style(ax)
        ax.tick_params(axis="y", labelsize=size)
    axes[0].set_ylabel("Sample")
    fig.suptitle("Read tracking: share of reads kept and lost at each step", size=FONT_SIZE + 2)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, fontsize=FONT_SIZE - 1, loc="outside lower center", ncol=3)
    return fig


def write_figure(fig: Figure, path: str | os.PathLike, dpi: int = 200) -> None:
    """Save a figure as PNG or SVG (chosen by the file suffix), atomically.

    The figure is written to a temporary file in the same folder, then renamed.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise InputError(
            f"cannot save a figure as {path.name!r}",
            path=path,
            hint=f"use a file name ending in {' or '.join('.' + f for f in FIGURE_FORMATS)}",
        )
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    path, tmp = temporary_sibling(path)
    try:
        fig.savefig(tmp, format=fmt, dpi=dpi)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
