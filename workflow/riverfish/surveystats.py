"""Monitoring statistics of the detections: occupancy, survey design and richness.

Input: the sample detections (one row per library x taxon that passed the controls and
thresholds, :func:`riverfish.controls.sample_detections`) and the sample table. The
sampling design is read from the sheet: a **site** of a basin, its **water samples** (the
field replicates, column ``replicate``) and their **PCR replicates** (libraries of the same
water sample, optional column ``pcr_replicate``; without it each water sample is one PCR).

- :func:`occupancy_tables`: per taxon x basin x campaign, the multi-scale occupancy model
  (:mod:`riverfish.occupancy`) over the basin's sites; the probability that the taxon is
  present where it was not detected; the water samples a survey needs to detect it with
  95 % probability.
- :func:`richness_estimates`: per site x campaign and basin x campaign, Chao2 and sample
  coverage over the water samples (:mod:`riverfish.richness`).

Taxa are counted by the tallies' rule (species-rank taxa, plus genus-rank taxa whose genus
has no species-rank taxon in the group), so the observed richness equals ``n_species`` of
the tallies wherever one replicate suffices for a detection (``detection.min_replicates``
1, the default).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import occupancy, richness
from .controls import (
    FIELD_SAMPLE,
    as_text,
    campaign_sort_key,
    normalise_samples,
    require_columns,
)
from .errors import InputError

OCCUPANCY_COLUMNS = [
    "basin",
    "campaign",
    "taxon",
    "rank",
    "common_name",
    "n_sites",
    "n_sites_detected",
    "n_samples",
    "n_samples_detected",
    "pcr_replicates",
    "psi",
    "psi_lower",
    "psi_upper",
    "theta",
    "theta_lower",
    "theta_upper",
    "p",
    "p_lower",
    "p_upper",
    "detection_model",
    "note",
]
PRESENCE_COLUMNS = [
    "basin",
    "campaign",
    "site",
    "taxon",
    "common_name",
    "n_samples",
    "probability_present",
    "lower",
    "upper",
    "detection_model",
]
DESIGN_COLUMNS = [
    "basin",
    "campaign",
    "taxon",
    "common_name",
    "pcr_replicates",
    "detection_per_sample",
    "lower",
    "upper",
    "samples_for_95",
    "samples_for_95_cautious",
    "samples_taken",
    "detection_model",
]
RICHNESS_COLUMNS = [
    "level",
    "basin",
    "site",
    "campaign",
    "n_samples",
    "observed",
    "q1",
    "q2",
    "chao2",
    "chao2_lower",
    "chao2_upper",
    "chao2_se",
    "coverage",
    "note",
]

OWN = "own"
SHARED = "shared"
NOTE_SHARED = (
    "too few detections for the taxon's own detection estimates: theta and p shared by the "
    "{n} taxa of the basin and campaign; psi interval given them"
)
NOTE_OWN_FAILED = "own fit failed ({error}): detection shared across taxa"


def water_samples(samples: pd.DataFrame, campaigns: Sequence[str]) -> pd.DataFrame:
    """The field libraries of the listed campaigns with their water sample (basin, campaign,
    site, replicate) and ``pcr_replicate`` (1 where the sheet has none)."""
    sheet = normalise_samples(samples)
    fields = sheet.loc[
        (sheet["type"] == FIELD_SAMPLE) & sheet["campaign"].isin(list(campaigns))
    ].copy()
    if "pcr_replicate" not in fields.columns:
        fields["pcr_replicate"] = 1
    pcr = pd.to_numeric(as_text(fields["pcr_replicate"]).replace("", "1"), errors="coerce")
    if pcr.isna().any() or (pcr < 1).any() or (pcr % 1 != 0).any():
        bad = fields.loc[pcr.isna() | (pcr < 1) | (pcr % 1 != 0), "sample"].tolist()
        raise InputError(
            f"pcr_replicate is not a whole number >= 1 for sample(s) {', '.join(bad[:10])}",
            hint="number the PCR replicates (libraries) of a water sample 1, 2, ...",
        )
    fields["pcr_replicate"] = pcr.astype(int)
    key = ["campaign", "basin", "site", "replicate", "pcr_replicate"]
    dupes = fields.loc[fields.duplicated(key, keep=False)]
    if not dupes.empty:
        raise InputError(
            "samples share campaign, site, replicate and pcr_replicate: "
            + ", ".join(dupes["sample"].head(10)),
            hint="give each library of a water sample its own pcr_replicate number",
        )
    return fields.reset_index(drop=True)


def _detections(sample_dets: pd.DataFrame, fields: pd.DataFrame) -> pd.DataFrame:
    """Sample detections of the field libraries, with their water sample."""
    require_columns(
        sample_dets, ("sample", "taxon", "rank", "genus", "reads"), "the sample detections"
    )
    dets = sample_dets.loc[:, ["sample", "taxon", "rank", "genus"]].copy()
    for col in dets.columns:
        dets[col] = as_text(dets[col])
    dets["common_name"] = (
        as_text(sample_dets["common_name"]) if "common_name" in sample_dets else ""
    )
    dets = dets.loc[dets["sample"].isin(set(fields["sample"]))]
    return dets.merge(
        fields.loc[:, ["sample", "basin", "campaign", "site", "replicate", "pcr_replicate"]],
        on="sample",
    )


def _site_order(fields: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(fields["site"]))


def community(
    fields: pd.DataFrame, dets: pd.DataFrame
) -> tuple[occupancy.Community, list[list[int]]]:
    """The detections of one basin x campaign as an occupancy :class:`Community` (sites in
    sheet order), and the water samples (replicate numbers) of each site."""
    sites = _site_order(fields)
    reps = [sorted(set(fields.loc[fields["site"] == s, "replicate"])) for s in sites]
    width = max(len(r) for r in reps)
    n = np.zeros((len(sites), width))
    for i, (site, rs) in enumerate(zip(sites, reps, strict=True)):
        libs = fields.loc[fields["site"] == site].groupby("replicate")["sample"].nunique()
        n[i, : len(rs)] = [libs[r] for r in rs]
    taxa = list(dict.fromkeys(dets["taxon"]))
    s = np.zeros((len(taxa), len(sites), width))
    pos = dets.drop_duplicates(["taxon", "sample"])
    col = {
        (site, r): (i, j)
        for i, rs in enumerate(reps)
        for j, r in enumerate(rs)
        for site in [sites[i]]
    }
    t_index = {t: k for k, t in enumerate(taxa)}
    for taxon, site, rep in pos[["taxon", "site", "replicate"]].itertuples(index=False):
        i, j = col[(site, rep)]
        s[t_index[taxon], i, j] += 1
    return occupancy.Community(sites, taxa, n, s), reps


def pattern(data: occupancy.Data) -> tuple:
    """The detections of a taxon as the model sees them: the likelihood does not change
    when sites, or the water samples of a site, are put in another order. Taxa with the
    same pattern (common in a basin: e.g. found in every sample of one site) have the same
    fit, made once."""
    per_site = [
        tuple(sorted(zip(n.tolist(), s.tolist(), strict=True)))
        for n, s in zip(data.n, data.s, strict=True)
    ]
    return tuple(sorted(per_site))


def _cached(cache: dict, key, function, *args):
    if key not in cache:
        cache[key] = function(*args)
    return cache[key]


def _interval(fit: occupancy.Fit, name: str) -> tuple[float, float]:
    return fit.intervals.get(name, (math.nan, math.nan))


def occupancy_tables(
    sample_dets: pd.DataFrame,
    samples: pd.DataFrame,
    campaigns: Sequence[str],
    min_samples: int = 3,
    min_sites: int = 2,
    target: float = 0.95,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Occupancy, presence where not detected and survey design per taxon x basin x
    campaign.

    A taxon gets its own theta and p when it was detected in at least ``min_samples`` water
    samples at ``min_sites`` sites of the basin in the campaign; otherwise (or when its own
    fit fails) theta and p are those shared by all taxa of the basin and campaign
    (:func:`riverfish.occupancy.fit_shared`) and only psi is its own
    (``detection_model`` says which). With one PCR per water sample, theta is the
    probability that a water sample of an occupied site gives a detection and p is empty.

    Returns (occupancy, presence, design); columns ``OCCUPANCY_COLUMNS``,
    ``PRESENCE_COLUMNS``, ``DESIGN_COLUMNS``.
    """
    fields = water_samples(samples, campaigns)
    dets = _detections(sample_dets, fields)
    occ_rows, presence_rows, design_rows = [], [], []
    for (basin, campaign), group in fields.groupby(["basin", "campaign"], sort=False):
        here = dets.loc[(dets["basin"] == basin) & (dets["campaign"] == campaign)]
        if here.empty:
            continue
        comm, reps = community(group, here)
        info = here.drop_duplicates("taxon").set_index("taxon")
        shared = occupancy.fit_shared(comm)
        fits: dict = {}
        pcr = int(round(float(np.median(comm.n[comm.n > 0]))))
        for k, taxon in enumerate(comm.taxa):
            data = comm.taxon(k)
            pos_samples = int(np.sum(data.s > 0))
            pos_sites = int(np.sum(np.any(data.s > 0, axis=1)))
            fit = _taxon_fit(
                data,
                shared,
                fits,
                len(comm.taxa),
                pos_samples >= min_samples and pos_sites >= min_sites,
            )
            where = {"basin": basin, "campaign": campaign, "taxon": taxon}
            common = info.loc[taxon, "common_name"]
            occ_rows.append(
                {
                    **where,
                    "rank": info.loc[taxon, "rank"],
                    "common_name": common,
                    "n_sites": len(comm.sites),
                    "n_sites_detected": pos_sites,
                    "n_samples": int(np.sum(comm.n > 0)),
                    "n_samples_detected": pos_samples,
                    "pcr_replicates": pcr,
                    **fit.estimates(),
                    "detection_model": fit.model,
                    "note": "; ".join(t for t in fit.notes if t),
                }
            )
            presence_rows += _presence_rows(where, common, comm, reps, data, fit)
            design_rows.append(_design_row(where, common, pcr, reps, fit, target))
    occ = _ordered(pd.DataFrame(occ_rows, columns=OCCUPANCY_COLUMNS), campaigns)
    presence = _ordered(pd.DataFrame(presence_rows, columns=PRESENCE_COLUMNS), campaigns)
    design = _ordered(pd.DataFrame(design_rows, columns=DESIGN_COLUMNS), campaigns)
    for table in (occ, presence, design):
        for col in table.columns:
            if table[col].dtype == float:
                table[col] = table[col].round(4)
    for col in ("samples_for_95", "samples_for_95_cautious"):
        design[col] = design[col].astype("Int64")
    return occ, presence, design


def _one_pcr(v: float) -> float:
    """p where it is empty (one PCR per water sample): 1."""
    return 1.0 if math.isnan(v) else v


@dataclass
class _TaxonFit:
    """A taxon's occupancy fit: psi from ``psi_fit``, theta and p from ``det_fit`` (its
    own fit, or the basin's shared one), the model and the notes."""

    psi_fit: object
    det_fit: object
    model: str
    notes: list

    def __post_init__(self):
        self.psi = self.psi_fit.estimates["psi"]
        self.theta, self.p = self.det_fit.estimates["theta"], self.det_fit.estimates["p"]
        self.psi_lo, self.psi_hi = _interval(self.psi_fit, "psi")
        self.th_lo, self.th_hi = _interval(self.det_fit, "theta")
        self.p_lo, self.p_hi = _interval(self.det_fit, "p")

    def estimates(self) -> dict:
        return {
            "psi": self.psi,
            "psi_lower": self.psi_lo,
            "psi_upper": self.psi_hi,
            "theta": self.theta,
            "theta_lower": self.th_lo,
            "theta_upper": self.th_hi,
            "p": self.p,
            "p_lower": self.p_lo,
            "p_upper": self.p_hi,
        }


def _taxon_fit(data, shared, fits: dict, n_taxa: int, enough: bool) -> _TaxonFit:
    """The taxon's own fit where it was detected in enough water samples and sites (and
    the fit succeeds), else psi given the basin's shared theta and p."""
    model, note, own = SHARED, NOTE_SHARED.format(n=n_taxa), None
    if enough:
        try:
            own = _cached(fits, ("own", pattern(data)), occupancy.fit, data)
            model, note = OWN, ""
        except (InputError, ValueError, RuntimeError) as exc:
            note = NOTE_OWN_FAILED.format(error=exc)
    if own is None:
        theta_s, p_s = shared.estimates["theta"], shared.estimates["p"]
        psi_fit = _cached(
            fits, ("shared", pattern(data)), occupancy.psi_given_detection, data, theta_s, p_s
        )
        det_fit = shared
    else:
        psi_fit = det_fit = own
    notes = [note] + [
        f"{name}: {text}"
        for name, text in {**det_fit.notes, **psi_fit.notes}.items()
        if name == "psi" or model == OWN
    ]
    if model == SHARED:
        notes += [f"{n} (shared): {t}" for n, t in shared.notes.items()]
    return _TaxonFit(psi_fit, det_fit, model, notes)


def _presence_rows(where: dict, common: str, comm, reps, data, fit: _TaxonFit) -> list[dict]:
    """The probability the taxon is present at each site where it was not detected."""
    rows = []
    for i, site in enumerate(comm.sites):
        if np.any(data.s[i] > 0):
            continue
        runs = comm.n[i, : len(reps[i])]
        rows.append(
            {
                "basin": where["basin"],
                "campaign": where["campaign"],
                "site": site,
                "taxon": where["taxon"],
                "common_name": common,
                "n_samples": len(reps[i]),
                "probability_present": occupancy.presence_if_undetected(
                    fit.psi, occupancy.miss_probability(fit.theta, fit.p, runs)
                ),
                # the interval ends of psi, theta and p taken together (each moves the
                # probability one way): a cautious range, wider than a joint interval
                "lower": occupancy.presence_if_undetected(
                    fit.psi_lo, occupancy.miss_probability(fit.th_hi, _one_pcr(fit.p_hi), runs)
                ),
                "upper": occupancy.presence_if_undetected(
                    fit.psi_hi, occupancy.miss_probability(fit.th_lo, _one_pcr(fit.p_lo), runs)
                ),
                "detection_model": fit.model,
            }
        )
    return rows


def _design_row(where: dict, common: str, pcr: int, reps, fit: _TaxonFit, target: float) -> dict:
    """How likely a water sample detects the taxon, and how many it needs for ``target``."""
    per = 1.0 - occupancy.miss_probability(fit.theta, fit.p, [pcr])
    per_lo = 1.0 - occupancy.miss_probability(fit.th_lo, _one_pcr(fit.p_lo), [pcr])
    per_hi = 1.0 - occupancy.miss_probability(fit.th_hi, _one_pcr(fit.p_hi), [pcr])
    return {
        **where,
        "common_name": common,
        "pcr_replicates": pcr,
        "detection_per_sample": per,
        "lower": per_lo,
        "upper": per_hi,
        "samples_for_95": occupancy.samples_needed(per, target),
        "samples_for_95_cautious": occupancy.samples_needed(per_lo, target),
        "samples_taken": int(round(float(np.mean([len(r) for r in reps])))),
        "detection_model": fit.model,
    }


def _ordered(table: pd.DataFrame, campaigns: Sequence[str]) -> pd.DataFrame:
    keys = [k for k in ("basin", "campaign", "taxon", "site") if k in table.columns]
    return table.sort_values(keys, key=campaign_sort_key(campaigns), kind="stable").reset_index(
        drop=True
    )


def counted_units(taxa: pd.DataFrame) -> set[str]:
    """The taxa of a group that the tallies' n_species counts: species-rank taxa, and
    genus-rank taxa whose genus has no species-rank taxon in the group."""
    rank = taxa["rank"].str.lower()
    genus = taxa["genus"].where(taxa["genus"] != "", taxa["taxon"].str.split("_").str[0])
    species_genera = set(genus[rank == "species"])
    keep = (rank == "species") | ((rank == "genus") & ~genus.isin(species_genera))
    return set(taxa.loc[keep, "taxon"])


def richness_estimates(
    sample_dets: pd.DataFrame, samples: pd.DataFrame, campaigns: Sequence[str]
) -> pd.DataFrame:
    """Chao2 and sample coverage over the water samples, per site x campaign (level
    ``site``) and basin x campaign (level ``basin``, every water sample of the basin).

    A taxon is in a water sample where any of its PCR replicates detected it. Columns:
    ``RICHNESS_COLUMNS``; ``site`` is empty on basin rows.
    """
    fields = water_samples(samples, campaigns)
    dets = _detections(sample_dets, fields)
    rows = []
    for level, keys in (("basin", ["basin", "campaign"]), ("site", ["basin", "site", "campaign"])):
        for key, group in fields.groupby(keys, sort=False):
            where = dict(zip(keys, key, strict=True))
            mask = np.ones(len(dets), dtype=bool)
            for k, v in where.items():
                mask &= (dets[k] == v).to_numpy()
            here = dets.loc[mask]
            units = group[["site", "replicate"]].drop_duplicates()
            counted = counted_units(here.drop_duplicates("taxon")) if len(here) else set()
            kept = here.loc[here["taxon"].isin(counted)]
            incidence = kept.drop_duplicates(["taxon", "site", "replicate"]).groupby("taxon").size()
            est = richness.chao2(incidence.to_numpy(), len(units))
            rows.append(
                {
                    "level": level,
                    "basin": where["basin"],
                    "site": where.get("site", ""),
                    "campaign": where["campaign"],
                    "n_samples": est.units,
                    "observed": est.observed,
                    "q1": est.q1,
                    "q2": est.q2,
                    "chao2": est.estimate,
                    "chao2_lower": est.lower,
                    "chao2_upper": est.upper,
                    "chao2_se": est.se,
                    "coverage": est.coverage,
                    "note": est.note,
                }
            )
    table = pd.DataFrame(rows, columns=RICHNESS_COLUMNS)
    for col in ("chao2", "chao2_lower", "chao2_upper", "chao2_se", "coverage"):
        table[col] = table[col].astype(float).round(3)
    level_order = {"basin": 0, "site": 1}
    table["_l"] = table["level"].map(level_order)
    table = table.sort_values(
        ["basin", "campaign", "_l", "site"], key=campaign_sort_key(campaigns), kind="stable"
    )
    return table.drop(columns="_l").reset_index(drop=True)
