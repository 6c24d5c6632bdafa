"""A recovery verdict for each impacted site against its basin's reference site.

Sites are marked in the sample sheet: ``site_role`` ``impacted`` (e.g. below a mine) and
``reference`` (the basin's unimpacted site, one per basin). For every campaign in which both
were sampled, the impacted site is compared with the reference site:

- **relative richness**: the site's n_species over the reference site's (the tallies'
  counting rule; 1 = as rich as the reference). Dividing by the reference's richness of the
  same campaign takes out what the season or the run does to both sites alike.
- **Sørensen similarity** of the detected taxa (presence/absence) to the reference's.

Both with a 95 % percentile interval from a bootstrap over the water samples (field
replicates): each draw resamples, with replacement, the water samples of the impacted site
and of the reference site, independently, and applies the detection rule (a taxon counts
where it is in at least ``min_replicates`` distinct drawn samples) to each.

**The verdict** over the campaigns, from the slope of relative richness per campaign
(least squares over the campaigns' positions in the programme; for two campaigns, the last
minus the first) and its bootstrap interval (the same draws):

- ``not enough campaigns``: fewer than ``min_campaigns`` (default 2) campaigns in which the
  site and its reference were both sampled with at least 2 water samples each (with one
  water sample there is nothing to resample, so no interval) and the reference had a
  detection;
- ``recovering``: the whole interval of the slope is above 0;
- ``declining``: the whole interval is below 0;
- ``no clear change``: otherwise — the interval includes no change.

The Sørensen slope and its interval are reported beside it and a note says when they point
the other way (e.g. richness up with taxa the reference does not have). With few water
samples per site the bootstrap interval is narrower than the real uncertainty; a note says
so under 3.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

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
    "sorensen_slope",
    "sorensen_slope_lower",
    "sorensen_slope_upper",
    "verdict",
    "note",
]
NOTE_FEW_SAMPLES = "fewer than 3 water samples at a site: the interval is likely too narrow"


def verdict(n_campaigns: int, lower: float, upper: float, min_campaigns: int = 2) -> str:
    """The verdict word of a trend: its campaigns and the interval of its slope."""
    if n_campaigns < min_campaigns or not (np.isfinite(lower) and np.isfinite(upper)):
        return "not enough campaigns"
    if lower > 0:
        return "recovering"
    if upper < 0:
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
        drawn = np.zeros((b + 1, self.m))
        np.put_along_axis(drawn, picks, 1.0, axis=1)
        drawn[0] = 1.0
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

    def replicates(basin, site, campaign) -> _Replicates | None:
        here = fields.loc[
            (fields["basin"] == basin) & (fields["site"] == site) & (fields["campaign"] == campaign)
        ]
        reps = sorted(set(here["replicate"]))
        if not reps:
            return None
        x = np.zeros((len(reps), len(col)))
        row = {r: k for k, r in enumerate(reps)}
        found = dets.loc[
            (dets["basin"] == basin) & (dets["site"] == site) & (dets["campaign"] == campaign)
        ]
        for taxon, rep in found[["taxon", "replicate"]].itertuples(index=False):
            x[row[rep], col[taxon]] = 1.0
        return _Replicates(x)

    rng = np.random.default_rng(seed)
    alpha = (1.0 - level) / 2.0
    per_campaign, verdict_rows = [], []
    for basin, site in impacted:
        ref = refs[basin]
        used_x, rel_draws, sor_draws, used_campaigns, few = [], [], [], [], False
        for position, campaign in enumerate(campaigns):
            a, b = replicates(basin, site, campaign), replicates(basin, ref, campaign)
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
            fa = a.draws(rng, draws, min_replicates)
            fb = b.draws(rng, draws, min_replicates)
            ra = _richness(fa, species, genus_only, species_genus)
            rb = _richness(fb, species, genus_only, species_genus)
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
                few = True
            row.update(
                {
                    "n_species": int(ra[0]),
                    "n_species_reference": int(rb[0]),
                    "relative_richness": rel[0],
                    "relative_lower": _quantile(rel, alpha) if usable else np.nan,
                    "relative_upper": _quantile(rel, 1 - alpha) if usable else np.nan,
                    "sorensen": sor[0],
                    "sorensen_lower": _quantile(sor, alpha) if usable else np.nan,
                    "sorensen_upper": _quantile(sor, 1 - alpha) if usable else np.nan,
                    "used": bool(usable),
                    "note": "; ".join(notes),
                }
            )
            per_campaign.append(row)
            if usable:
                used_x.append(position)
                rel_draws.append(rel)
                sor_draws.append(sor)
                used_campaigns.append(campaign)
        n = len(used_campaigns)
        out = {
            "basin": basin,
            "site": site,
            "reference_site": ref,
            "n_campaigns": n,
            "first_campaign": used_campaigns[0] if n else "",
            "last_campaign": used_campaigns[-1] if n else "",
            "relative_first": rel_draws[0][0] if n else np.nan,
            "relative_last": rel_draws[-1][0] if n else np.nan,
        }
        lo = hi = slope = s_slope = s_lo = s_hi = np.nan
        notes = []
        if n >= 2:
            x = np.array(used_x, dtype=float)
            rel_y, sor_y = np.column_stack(rel_draws), np.column_stack(sor_draws)
            slopes = _slope(x, rel_y)
            s_slopes = _slope(x, sor_y)
            slope, s_slope = slopes[0], s_slopes[0]
            lo, hi = _quantile(slopes, alpha), _quantile(slopes, 1 - alpha)
            s_lo, s_hi = _quantile(s_slopes, alpha), _quantile(s_slopes, 1 - alpha)
        word = verdict(n, lo, hi, min_campaigns)
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
        if few and word != "not enough campaigns":
            notes.append(NOTE_FEW_SAMPLES)
        out.update(
            {
                "relative_slope": slope,
                "relative_slope_lower": lo,
                "relative_slope_upper": hi,
                "sorensen_slope": s_slope,
                "sorensen_slope_lower": s_lo,
                "sorensen_slope_upper": s_hi,
                "verdict": word,
                "note": "; ".join(notes),
            }
        )
        verdict_rows.append(out)
    by_campaign = pd.DataFrame(per_campaign, columns=CAMPAIGN_COLUMNS)
    verdicts = pd.DataFrame(verdict_rows, columns=VERDICT_COLUMNS)
    for table in (by_campaign, verdicts):
        for c in table.columns:
            if table[c].dtype == float:
                table[c] = table[c].round(4)
    for c in ("n_species", "n_species_reference"):
        by_campaign[c] = by_campaign[c].astype("Int64")
    return by_campaign, verdicts


def _quantile(values: np.ndarray, q: float) -> float:
    values = values[np.isfinite(values)]
    return float(np.quantile(values, q)) if values.size else np.nan
