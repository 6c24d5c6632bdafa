"""Figures of the monitoring statistics: detection probability, richness observed and
estimated, and each impacted site against its reference site.

Like :mod:`riverfish.plots`, each ``*_figure`` returns a Matplotlib figure on the Agg canvas,
A4 width; save it with :func:`riverfish.plots.write_figure`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .controls import as_text, require_columns
from .plots import A4_WIDTH, FONT_SIZE, _new_figure, _style

CAMPAIGN_COLOURS = ["#2b6ca3", "#d1495b", "#66a182", "#e8a33d", "#8f5aa8", "#9a9a9a"]


def _colour(i: int) -> str:
    return CAMPAIGN_COLOURS[i % len(CAMPAIGN_COLOURS)]


def _spread(est, lo, hi):
    """Error-bar lengths below and above each estimate, never negative (an interval may
    end at the estimate; missing ends draw no bar)."""
    est, lo, hi = (np.asarray(v, dtype=float) for v in (est, lo, hi))
    below = np.nan_to_num(np.clip(est - lo, 0, None))
    above = np.nan_to_num(np.clip(hi - est, 0, None))
    return [below, above]


def _empty(fig: Figure, text: str) -> Figure:
    ax = fig.subplots()
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return fig


def detection_figure(design: pd.DataFrame, campaigns: Sequence[str], basin: str) -> Figure:
    """Probability that one water sample detects a taxon present at the site, with its
    interval, per taxon of a basin and campaign (filled: the taxon's own estimate; open:
    detection shared by the basin's taxa). ``design`` is ``stats/survey_design.tsv``."""
    require_columns(
        design,
        ("basin", "campaign", "taxon", "detection_per_sample", "lower", "upper", "detection_model"),
        "the survey-design table",
    )
    table = design.loc[as_text(design["basin"]) == basin].copy()
    taxa = sorted(set(table["taxon"]), reverse=True)
    height = min(max(2.5, 0.2 * len(taxa) + 1.4), 11.0)
    fig = _new_figure(A4_WIDTH, height)
    if not taxa:
        return _empty(fig, f"{basin}: no detections")
    ax = fig.subplots()
    row = {t: i for i, t in enumerate(taxa)}
    present = [c for c in campaigns if c in set(table["campaign"])]
    width = 0.7 / max(len(present), 1)
    for k, campaign in enumerate(present):
        sub = table.loc[table["campaign"] == campaign]
        y = sub["taxon"].map(row).to_numpy(float) + (k - (len(present) - 1) / 2) * width
        est = sub["detection_per_sample"].to_numpy(float)
        lo, hi = sub["lower"].to_numpy(float), sub["upper"].to_numpy(float)
        ax.errorbar(est, y, xerr=_spread(est, lo, hi), fmt="none", ecolor=_colour(k), elinewidth=1)
        own = (sub["detection_model"] == "own").to_numpy()
        ax.scatter(est[own], y[own], color=_colour(k), s=16, label=f"{campaign} (own)", zorder=3)
        ax.scatter(
            est[~own],
            y[~own],
            facecolor="white",
            edgecolor=_colour(k),
            s=16,
            label=f"{campaign} (shared)",
            zorder=3,
        )
    ax.set_yticks(range(len(taxa)), [t.replace("_", " ") for t in taxa], fontsize=FONT_SIZE - 1)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.6, len(taxa) - 0.4)
    ax.set_xlabel("Detection probability per water sample if present (95 % interval)")
    ax.set_title(f"{basin}: detection probability per taxon")
    ax.grid(axis="x", linewidth=0.4, alpha=0.5)
    ax.legend(fontsize=FONT_SIZE - 1, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=4)
    _style(ax)
    return fig


def richness_estimates_figure(richness_table: pd.DataFrame, campaigns: Sequence[str]) -> Figure:
    """Observed richness (filled) and Chao2 with its interval (open) per site and campaign,
    and for the basin as a whole; one panel per basin. ``richness_table`` is
    ``stats/richness.tsv``."""
    require_columns(
        richness_table,
        ("level", "basin", "site", "campaign", "observed", "chao2", "chao2_lower", "chao2_upper"),
        "the richness table",
    )
    table = richness_table.copy()
    table["site"] = as_text(table["site"])
    table.loc[table["level"] == "basin", "site"] = "whole basin"
    basins = list(dict.fromkeys(as_text(table["basin"])))
    n_cols = 1 if len(basins) <= 1 else 2
    n_rows = max(1, math.ceil(len(basins) / n_cols))
    fig = _new_figure(A4_WIDTH, 3.0 * n_rows + 0.5)
    if not basins:
        return _empty(fig, "no sites")
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    position = {c: i for i, c in enumerate(campaigns)}
    for ax, basin in zip(axes, basins, strict=False):
        sub = table.loc[table["basin"] == basin]
        sites = [s for s in dict.fromkeys(sub["site"]) if s != "whole basin"] + ["whole basin"]
        width = 0.7 / len(sites)
        for k, site in enumerate(sites):
            rows = sub.loc[sub["site"] == site]
            x = rows["campaign"].map(position).to_numpy(float) + (k - (len(sites) - 1) / 2) * width
            est = rows["chao2"].to_numpy(float)
            lo, hi = rows["chao2_lower"].to_numpy(float), rows["chao2_upper"].to_numpy(float)
            colour = "#333333" if site == "whole basin" else _colour(k)
            ax.errorbar(x, est, yerr=_spread(est, lo, hi), fmt="none", ecolor=colour, elinewidth=1)
            ax.scatter(x, est, facecolor="white", edgecolor=colour, s=18, zorder=3)
            ax.scatter(
                x, rows["observed"].to_numpy(float), color=colour, s=14, zorder=4, label=site
            )
        ax.set_xticks(
            range(len(campaigns)), list(campaigns), rotation=30 if len(campaigns) > 3 else 0
        )
        ax.set_xlim(-0.5, len(campaigns) - 0.5)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(basin)
        ax.set_xlabel("Campaign")
        ax.set_ylabel("Species: observed (filled), Chao2 (open, 95 %)")
        ax.grid(axis="y", linewidth=0.4, alpha=0.5)
        ax.legend(fontsize=FONT_SIZE - 1, title="Site", title_fontsize=FONT_SIZE - 1)
        _style(ax)
    for ax in axes[len(basins) :]:
        ax.set_axis_off()
    return fig


def _interval_line(ax, x, rows: pd.DataFrame, col: str, colour) -> None:
    """A measure over the campaigns with its interval (``<col>_lower`` / ``_upper``)."""
    est = rows[col].to_numpy(float)
    lo = rows[f"{col}_lower"].to_numpy(float)
    hi = rows[f"{col}_upper"].to_numpy(float)
    ax.fill_between(x, lo, hi, color=colour, alpha=0.25, linewidth=0)
    ax.errorbar(
        x,
        est,
        yerr=_spread(est, lo, hi),
        fmt="o-",
        color=colour,
        markersize=4,
        elinewidth=1,
        capsize=2,
    )


def _campaign_axis(ax, campaigns: Sequence[str], label: str, top: float | None) -> None:
    """Campaigns along x, the measure from 0 (to ``top``) along y."""
    ax.set_xticks(range(len(campaigns)), list(campaigns), rotation=30 if len(campaigns) > 2 else 0)
    ax.set_xlim(-0.3, len(campaigns) - 0.7)
    ax.set_ylim(bottom=0, top=top)
    ax.set_ylabel(label)
    ax.grid(axis="y", linewidth=0.4, alpha=0.5)


def recovery_figure(
    by_campaign: pd.DataFrame, verdicts: pd.DataFrame, campaigns: Sequence[str]
) -> Figure:
    """Each impacted site against its reference site over the campaigns: species per water
    sample relative to the reference with its t interval, the verdict's measure, and the
    site's richness relative to the reference (dotted; top), Sørensen similarity with its
    bootstrap interval (bottom); the verdict in the title. Inputs:
    ``stats/recovery_campaigns.tsv`` and ``stats/recovery_verdicts.tsv``."""
    require_columns(
        by_campaign,
        (
            "basin",
            "site",
            "campaign",
            "relative_richness",
            "relative_per_sample",
            "relative_per_sample_lower",
            "relative_per_sample_upper",
            "sorensen",
            "sorensen_lower",
            "sorensen_upper",
        ),
        "the recovery table",
    )
    pairs = list(dict.fromkeys(by_campaign[["basin", "site"]].itertuples(index=False, name=None)))
    n = len(pairs)
    n_cols = min(max(n, 1), 3)
    n_rows = max(1, math.ceil(n / n_cols))
    fig = _new_figure(A4_WIDTH, 4.4 * n_rows + 0.2)
    if not pairs:
        return _empty(fig, "no impacted sites (site_role 'impacted' in the sample sheets)")
    axes = fig.subplots(2 * n_rows, n_cols, squeeze=False)
    words = {(r.basin, r.site): r.verdict for r in verdicts.itertuples(index=False)}
    position = {c: i for i, c in enumerate(campaigns)}
    for k, (basin, site) in enumerate(pairs):
        top, j = 2 * (k // n_cols), k % n_cols
        rows = by_campaign.loc[(by_campaign["basin"] == basin) & (by_campaign["site"] == site)]
        ref = str(rows["reference_site"].iloc[0])
        rows = rows.loc[rows["relative_richness"].notna()]
        x = rows["campaign"].map(position).to_numpy(float)
        ax = axes[top, j]
        ax.plot(  # the site's richness relative to the reference, beside the measure
            x,
            rows["relative_richness"].to_numpy(float),
            marker="s",
            linestyle=":",
            color="#555555",
            markersize=3,
            label="richness / reference",
        )
        _interval_line(ax, x, rows, "relative_per_sample", _colour(j))
        ax.axhline(1.0, color="#555555", linewidth=0.8, linestyle="--")
        ax.legend(fontsize=FONT_SIZE - 2, loc="best")
        _campaign_axis(ax, campaigns, "Species per sample / reference", None)
        ax.set_title(f"{site} vs {ref}: {words.get((basin, site), '')}")
        _style(ax)
        ax = axes[top + 1, j]
        _interval_line(ax, x, rows, "sorensen", _colour(j))
        _campaign_axis(ax, campaigns, "Sørensen similarity", 1.05)
        _style(ax)
    for k in range(n, n_rows * n_cols):
        top, j = 2 * (k // n_cols), k % n_cols
        axes[top, j].set_axis_off()
        axes[top + 1, j].set_axis_off()
    return fig
