"""A recovery verdict for each impacted site against its basin's reference site.

Sites are marked in the sample sheet: ``site_role`` ``impacted`` (e.g. below a mine) and
``reference`` (the basin's unimpacted site, one per basin). For every campaign in which both
were sampled, the impacted site is compared with the reference site:

- **relative richness**: the site's n_species over the reference site's (the tallies'
  counting rule, all water samples together; 1 = as rich as the reference);
- **relative species per water sample**: the mean number of species in one water sample of
  the site over the reference's mean. Dividing by the reference of the same campaign takes
  out what the season or the run does to both sites alike;
- **Sørensen similarity** of the detected taxa (presence/absence) to the reference's.

Intervals (95 %) come from a bootstrap over the water samples (field replicates): each draw
resamples, with replacement, the water samples of the impacted site and of the reference
site, independently. For species per water sample, a mean, the percentile interval is
used. A site's richness is a union of samples: a resample misses the taxa found in one
sample only more often than not, so its draws sit below the estimate; its interval is the
bias-corrected percentile interval (Efron 1981), shown but not used for the verdict, as it
is unreliable where many taxa are in one sample only.

**The verdict** over the campaigns rests on the slope of relative species per water sample
per campaign (least squares over the campaigns' positions in the programme; for two
campaigns, the last minus the first over the number of campaigns between them) and its
percentile interval (the same draws):

- ``not enough campaigns``: fewer than ``min_campaigns`` (default 2) campaigns in which the
  site and its reference were both sampled with at least 2 water samples each (with one
  water sample there is nothing to resample, so no interval) and the reference had a
  detection;
- ``recovering``: the whole interval of the slope is above 0, the slope too, and the
  site's relative richness rose as well;
- ``declining``: the same below 0;
- ``no clear change``: otherwise — the interval includes no change, or the two measures
  point different ways (a note says so).

The Sørensen slope and its interval are reported beside it and a note says when they point
the other way (e.g. richness up with taxa the reference does not have). With few water
samples per site the bootstrap interval is narrower than the real uncertainty; a note says
so under 3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri, stdtrit

from .controls import FIELD_SAMPLE, as_text, normalise_samples, require_columns
from .errors import InputError
from .tallies import reference_sites

IMPACTED = "impacted"
VERDICTS = ("recovering", "no clear change", "declining", "not enough campaigns")

CAMPAIGN_COLUMNS = [
    "basin",
    "site",
    "reference_site",
    "campaign",
    "n_samples",
    "n_samples_reference",
    "n_species",
    "n_species_reference",
    "relative_richness",
    "relative_lower",
    "relative_upper",
    "per_sample",
    "per_sample_reference",
    "relative_per_sample",
    "relative_per_sample_lower",
    "relative_per_sample_upper",
    "sorensen",
    "sorensen_lower",
    "sorensen_upper",
    "used",
    "note",
]
VERDICT_COLUMNS = [
    "basin",
    "site",
    "reference_site",
    "n_campaigns",
    "first_campaign",
    "last_campaign",
    "relative_first",
    "relative_last",
    "relative_slope",
    "relative_slope_lower",
    "relative_slope_upper",
    "per_sample_first",
    "per_sample_last",
    "per_sample_slope",
    "per_sample_slope_lower",
    "per_sample_slope_upper",
    "sorensen_slope",
    "sorensen_slope_lower",
    "sorensen_slope_upper",
    "verdict",
    "note",
]
NOTE_FEW_SAMPLES = "fewer than 3 water samples at a site: the interval is likely too narrow"


def verdict(
    n_campaigns: int,
    lower: float,
    upper: float,
    min_campaigns: int = 2,
    estimate: float | None = None,
) -> str:
    """The verdict word of a trend: its campaigns, the interval of its slope and (when
    given) the slope itself, which must point the same way as the whole interval."""
    if n_campaigns < min_campaigns or not (np.isfinite(lower) and np.isfinite(upper)):
        return "not enough campaigns"
    if lower > 0 and (estimate is None or estimate > 0):
        return "recovering"
    if upper < 0 and (estimate is None or estimate < 0):
        return "declining"
    return "no clear change"


def site_roles(fields: pd.DataFrame) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The reference site of each basin and the (basin, site) pairs marked impacted.

    InputError when a basin has several reference sites, a site is marked both ways, or an
    impacted site's basin has no reference site.
    """
    role = as_text(fields["site_role"]).str.lower()
    refs = reference_sites(fields)
    impacted = list(
        dict.fromkeys(
            fields.loc[role == IMPACTED, ["basin", "site"]].itertuples(index=False, name=None)
        )
    )
    both = [s for b, s in impacted if refs.get(b) == s]
    if both:
        raise InputError(
            f"site {both[0]} is marked both 'reference' and 'impacted'",
            hint="a site has one site_role in every campaign",
        )
    orphans = [f"{s} ({b})" for b, s in impacted if b not in refs]
    if orphans:
        raise InputError(
            f"impacted site(s) {', '.join(orphans)} have no reference site in their basin",
            hint="mark the basin's unimpacted site with site_role 'reference', or leave "
            "site_role empty",
        )
    return refs, impacted


class _Replicates:
    """The detections of one site x campaign: a water samples x taxa incidence matrix."""

    def __init__(self, incidence: np.ndarray):
        self.x = incidence

    @property
    def m(self) -> int:
        return self.x.shape[0]

    def draws(self, rng: np.random.Generator, b: int, min_replicates: int) -> np.ndarray:
        """(1 + B) x taxa detection flags: the observed data (every water sample), then B
        bootstrap draws."""
        picks = rng.integers(0, self.m, size=(b + 1, self.m))
        picks[0] = np.arange(self.m)
        drawn = np.zeros((b + 1, self.m))
        np.put_along_axis(drawn, picks, 1.0, axis=1)
        return (drawn @ self.x) >= min_replicates


def _richness(
    flags: np.ndarray, species: np.ndarray, genus_only: np.ndarray, species_genus: np.ndarray
) -> np.ndarray:
    """n_species of each row of detection flags (the tallies' rule)."""
    sp = flags[:, species].sum(axis=1)
    if not genus_only.size:
        return sp.astype(float)
    genus_seen = (flags[:, species].astype(float) @ species_genus) > 0  # draws x genera
    g_flags = flags[:, genus_only[:, 0]] & ~genus_seen[:, genus_only[:, 1]]
    return (sp + g_flags.sum(axis=1)).astype(float)


def _sorensen(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    shared = (a & b).sum(axis=1)
    total = a.sum(axis=1) + b.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 2.0 * shared / np.maximum(total, 1), np.nan)


def _slope(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares slope of each row of ``y`` (draws x campaigns) on ``x``."""
    xc = x - x.mean()
    return (y - y.mean(axis=1, keepdims=True)) @ xc / np.sum(xc**2)


def recovery(
    sample_dets: pd.DataFrame,
    samples: pd.DataFrame,
    campaigns: Sequence[str],
    min_replicates: int = 1,
    min_campaigns: int = 2,
    draws: int = 1000,
    seed: int = 1,
    level: float = 0.95,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Relative richness and similarity per impacted site x campaign, and the verdict per
    impacted site. Returns (per campaign, verdicts); columns ``CAMPAIGN_COLUMNS`` and
    ``VERDICT_COLUMNS``. Draw 0 of every bootstrap is the observed data; the estimates are
    computed from all water samples."""
    if min_campaigns < 2:
        raise InputError(
            f"stats.recovery.min_campaigns must be at least 2, got {min_campaigns}",
            hint="a direction of change needs two campaigns",
        )
    require_columns(sample_dets, ("sample", "taxon", "rank", "genus"), "the sample detections")
    sheet = normalise_samples(samples)
    fields = sheet.loc[(sheet["type"] == FIELD_SAMPLE) & sheet["campaign"].isin(list(campaigns))]
    refs, impacted = site_roles(fields)
    dets = sample_dets.loc[:, ["sample", "taxon", "rank", "genus"]].copy()
    for col in dets.columns:
        dets[col] = as_text(dets[col])
    dets = dets.merge(fields[["sample", "basin", "site", "campaign", "replicate"]], on="sample")
    index = _TaxonIndex.of(dets)
    rng = np.random.default_rng(seed)
    alpha = (1.0 - level) / 2.0
    per_campaign, verdict_rows = [], []
    for basin, site in impacted:
        ref = refs[basin]
        series = _Series()
        for position, campaign in enumerate(campaigns):
            a = _replicates(fields, dets, index, basin, site, campaign)
            b = _replicates(fields, dets, index, basin, ref, campaign)
            if a is None and b is None:
                continue
            row = {
                "basin": basin,
                "site": site,
                "reference_site": ref,
                "campaign": campaign,
                "n_samples": a.m if a else 0,
                "n_samples_reference": b.m if b else 0,
            }
            if a is None or b is None:
                which = site if a is None else ref
                per_campaign.append({**row, "used": False, "note": f"{which} not sampled"})
                continue
            per_campaign.append(
                _campaign_row(row, a, b, index, series, position, rng, draws, min_replicates, level)
            )
        verdict_rows.append(
            _site_verdict(basin, site, ref, series, draws, alpha, level, min_campaigns)
        )
    by_campaign = pd.DataFrame(per_campaign, columns=CAMPAIGN_COLUMNS)
    verdicts = pd.DataFrame(verdict_rows, columns=VERDICT_COLUMNS)
    for table in (by_campaign, verdicts):
        for c in table.columns:
            if table[c].dtype == float:
                table[c] = table[c].round(4)
    for c in ("n_species", "n_species_reference"):
        by_campaign[c] = by_campaign[c].astype("Int64")
    return by_campaign, verdicts


@dataclass
class _TaxonIndex:
    """The detected taxa as matrix columns, and what the counting rule needs of them: the
    species columns, the genus-only columns with their genus, species -> genus."""

    col: dict
    species: np.ndarray
    genus_only: np.ndarray
    species_genus: np.ndarray

    @classmethod
    def of(cls, dets: pd.DataFrame) -> _TaxonIndex:
        taxa = dets.drop_duplicates("taxon").reset_index(drop=True)
        col = {t: i for i, t in enumerate(taxa["taxon"])}
        rank = taxa["rank"].str.lower().to_numpy()
        genus = taxa["genus"].where(taxa["genus"] != "", taxa["taxon"].str.split("_").str[0])
        genera = {g: i for i, g in enumerate(dict.fromkeys(genus))}
        species = np.flatnonzero(rank == "species")
        species_genus = np.zeros((len(species), len(genera)))
        for k, i in enumerate(species):
            species_genus[k, genera[genus[i]]] = 1.0
        genus_only = np.array(
            [[i, genera[genus[i]]] for i in np.flatnonzero(rank == "genus")], dtype=int
        ).reshape(-1, 2)
        return cls(col, species, genus_only, species_genus)

    def richness(self, x: np.ndarray) -> np.ndarray:
        return _richness(x, self.species, self.genus_only, self.species_genus)


def _replicates(fields, dets, index: _TaxonIndex, basin, site, campaign) -> _Replicates | None:
    """A site's water samples in a campaign as a detection matrix (None if not sampled)."""
    here = fields.loc[
        (fields["basin"] == basin) & (fields["site"] == site) & (fields["campaign"] == campaign)
    ]
    reps = sorted(set(here["replicate"]))
    if not reps:
        return None
    x = np.zeros((len(reps), len(index.col)))
    row = {r: k for k, r in enumerate(reps)}
    found = dets.loc[
        (dets["basin"] == basin) & (dets["site"] == site) & (dets["campaign"] == campaign)
    ]
    for taxon, rep in found[["taxon", "replicate"]].itertuples(index=False):
        x[row[rep], index.col[taxon]] = 1.0
    return _Replicates(x)


@dataclass
class _Series:
    """An impacted site's usable campaigns: positions, bootstrap draws, the per-sample
    ratios with their variance parts, and whether a campaign had fewer than 3 samples."""

    positions: list = field(default_factory=list)
    relative: list = field(default_factory=list)
    per_sample: list = field(default_factory=list)
    sorensen: list = field(default_factory=list)
    campaigns: list = field(default_factory=list)
    few: bool = False


def _campaign_row(
    row: dict,
    a: _Replicates,
    b: _Replicates,
    index: _TaxonIndex,
    series: _Series,
    position: int,
    rng: np.random.Generator,
    draws: int,
    min_replicates: int,
    level: float,
) -> dict:
    """One campaign of an impacted site against its reference (added to ``series`` when
    usable): richness, species per water sample and Sørensen with their intervals."""
    alpha = (1.0 - level) / 2.0
    fa = a.draws(rng, draws, min_replicates)
    fb = b.draws(rng, draws, min_replicates)
    ra, rb = index.richness(fa), index.richness(fb)
    # species per water sample: a mean over the site's water samples, with its standard
    # error (a t interval, below: what a bootstrap of two or three samples gets too narrow)
    per_a, per_b = index.richness(a.x > 0), index.richness(b.x > 0)
    ps, ps_parts = _ratio_of_means(per_a, per_b)
    ps_var, ps_df = _welch(ps_parts)
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(rb > 0, ra / np.maximum(rb, 1), np.nan)
    sor = _sorensen(fa, fb)
    notes = []
    usable = a.m >= 2 and b.m >= 2 and rb[0] > 0
    if a.m < 2 or b.m < 2:
        notes.append("one water sample: no interval")
    if rb[0] == 0:
        notes.append("nothing detected at the reference site")
    if usable and min(a.m, b.m) < 3:
        series.few = True
    row.update(
        {
            "n_species": int(ra[0]),
            "n_species_reference": int(rb[0]),
            "relative_richness": rel[0],
            "relative_lower": _bc(rel, alpha) if usable else np.nan,
            "relative_upper": _bc(rel, 1 - alpha) if usable else np.nan,
            "per_sample": per_a.mean(),
            "per_sample_reference": per_b.mean(),
            "relative_per_sample": ps,
            "relative_per_sample_lower": (
                max(0.0, ps - _t(ps_df, level) * np.sqrt(ps_var)) if usable else np.nan
            ),
            "relative_per_sample_upper": (
                ps + _t(ps_df, level) * np.sqrt(ps_var) if usable else np.nan
            ),
            "sorensen": sor[0],
            "sorensen_lower": _bc(sor, alpha) if usable else np.nan,
            "sorensen_upper": _bc(sor, 1 - alpha) if usable else np.nan,
            "used": bool(usable),
            "note": "; ".join(notes),
        }
    )
    if usable:
        series.positions.append(position)
        series.relative.append(rel)
        series.per_sample.append((ps, ps_parts))
        series.sorensen.append(sor)
        series.campaigns.append(row["campaign"])
    return row


def _site_verdict(
    basin: str,
    site: str,
    ref: str,
    series: _Series,
    draws: int,
    alpha: float,
    level: float,
    min_campaigns: int,
) -> dict:
    """The verdict of an impacted site from its usable campaigns: the slopes with their
    intervals, the verdict word and the notes that qualify it."""
    n = len(series.campaigns)
    rel_draws, ps_draws, sor_draws = series.relative, series.per_sample, series.sorensen
    out = {
        "basin": basin,
        "site": site,
        "reference_site": ref,
        "n_campaigns": n,
        "first_campaign": series.campaigns[0] if n else "",
        "last_campaign": series.campaigns[-1] if n else "",
        "relative_first": rel_draws[0][0] if n else np.nan,
        "relative_last": rel_draws[-1][0] if n else np.nan,
    }
    lo = hi = slope = s_slope = s_lo = s_hi = np.nan
    ps_slope = ps_lo = ps_hi = np.nan
    notes = []
    if n >= 2:
        x = np.array(series.positions, dtype=float)
        slopes = _slope(x, np.column_stack(rel_draws))
        s_slopes = _slope(x, np.column_stack(sor_draws))
        slope, s_slope = slopes[0], s_slopes[0]
        lo, hi = _bc(slopes, alpha), _bc(slopes, 1 - alpha)
        s_lo, s_hi = _bc(s_slopes, alpha), _bc(s_slopes, 1 - alpha)
        # the slope of species per water sample: least squares, its variance from the
        # campaigns' standard errors, a t interval (Welch-Satterthwaite df)
        weights = (x - x.mean()) / np.sum((x - x.mean()) ** 2)
        values = np.array([v for v, _ in ps_draws])
        ps_slope = float(weights @ values)
        var, df = _welch(
            [
                (w**2 * v, d)
                for w, (_, parts) in zip(weights, ps_draws, strict=True)
                for v, d in parts
            ]
        )
        half = _t(df, level) * float(np.sqrt(var))
        ps_lo, ps_hi = ps_slope - half, ps_slope + half
        dropped = int(np.sum(~np.isfinite(slopes[1:])))
        if dropped > 0.05 * draws:
            notes.append(
                f"{dropped} of {draws} draws had no detection at the reference site and "
                "were left out of the interval"
            )
    word = verdict(n, ps_lo, ps_hi, min_campaigns, estimate=ps_slope)
    if (word == "recovering" and not slope > 0) or (word == "declining" and not slope < 0):
        notes.append(
            "species per water sample and the site's richness (relative to the "
            "reference) changed in different directions"
        )
        word = "no clear change"
    if word == "not enough campaigns":
        notes.append(
            f"{n} campaign(s) with the site and its reference both sampled with at least "
            f"2 water samples; the verdict needs {min_campaigns}"
        )
    elif (word == "recovering" and s_hi < 0) or (word == "declining" and s_lo > 0):
        notes.append(
            "similarity to the reference moved the other way: the taxa gained or lost "
            "are not the reference's"
        )
    if series.few and word != "not enough campaigns":
        notes.append(NOTE_FEW_SAMPLES)
    out.update(
        {
            "relative_slope": slope,
            "relative_slope_lower": lo,
            "relative_slope_upper": hi,
            "per_sample_first": ps_draws[0][0] if n else np.nan,
            "per_sample_last": ps_draws[-1][0] if n else np.nan,
            "per_sample_slope": ps_slope,
            "per_sample_slope_lower": ps_lo,
            "per_sample_slope_upper": ps_hi,
            "sorensen_slope": s_slope,
            "sorensen_slope_lower": s_lo,
            "sorensen_slope_upper": s_hi,
            "verdict": word,
            "note": "; ".join(notes),
        }
    )
    return out


def _ratio_of_means(a: np.ndarray, b: np.ndarray) -> tuple[float, list[tuple[float, int]]]:
    """mean(a) / mean(b) and the parts of its variance by the delta method, each with its
    degrees of freedom: (var(a)/n_a / mean(b)^2, n_a - 1) and
    (mean(a)^2 var(b)/n_b / mean(b)^4, n_b - 1)."""
    ma, mb = float(a.mean()), float(b.mean())
    if mb <= 0 or a.size < 2 or b.size < 2:
        return np.nan, [(np.nan, 1)]
    va = float(a.var(ddof=1)) / a.size
    vb = float(b.var(ddof=1)) / b.size
    return ma / mb, [(va / mb**2, a.size - 1), (ma**2 * vb / mb**4, b.size - 1)]


def _welch(parts: list[tuple[float, int]]) -> tuple[float, float]:
    """The summed variance and its Welch-Satterthwaite degrees of freedom."""
    total = sum(v for v, _ in parts)
    denom = sum(v**2 / d for v, d in parts if v > 0)
    df = total**2 / denom if denom > 0 else min(d for _, d in parts)
    return total, df


def _t(df: float, level: float) -> float:
    """The two-sided t quantile of ``level`` with ``df`` degrees of freedom."""
    return float(stdtrit(df, 1.0 - (1.0 - level) / 2.0)) if df >= 1 else np.nan


def _bc(values: np.ndarray, q: float) -> float:
    """The ``q`` end of the bias-corrected percentile interval (Efron 1981): ``values[0]``
    is the estimate from the data, the rest the bootstrap draws. Resampling water samples
    loses the taxa found in one sample only, so the draws of a richness sit below the
    estimate; the correction moves the percentiles by how far (the share of draws below
    the estimate, ties counted half), so that the interval is around the estimate."""
    estimate, draws = values[0], values[1:]
    draws = draws[np.isfinite(draws)]
    if not draws.size or not np.isfinite(estimate):
        return np.nan
    below = (np.sum(draws < estimate) + 0.5 * np.sum(draws == estimate)) / draws.size
    below = min(max(below, 0.5 / draws.size), 1.0 - 0.5 / draws.size)
    z0 = float(ndtri(below))
    return float(np.quantile(draws, float(ndtr(2.0 * z0 + ndtri(q)))))
