"""Designs of a simulated programme: generated (basins, sites, campaigns, communities)
or read from a design table.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from riverfish.errors import InputError
from riverfish.simmodel import (
    BASIN_NAMES,
    DEFAULT_CONTAMINANT,
    NEGATIVE_CONTROL_TYPES,
    SEASONS,
    SampleDesign,
)

# --------------------------------------------------------------------------------------
# Designs
# --------------------------------------------------------------------------------------


def split_pairs(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` read pairs in proportion to ``weights`` (largest remainders)."""
    w = np.asarray(weights, dtype=np.float64)
    exact = total * w / w.sum()
    base = np.floor(exact).astype(np.int64)
    rest = int(total - base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return [int(x) for x in base]


def _campaign_names(n: int) -> list[str]:
    return [f"{2025 + i // 2}-{SEASONS[i % 2]}" for i in range(n)]


def _site_name(basin: str, index: int) -> str:
    return f"{basin[:2].upper()}-s{index + 1:02d}"


def _layout(n_samples: int, campaigns: int | None, basins: int | None, pool: Sequence[str]):
    """Campaign and basin counts (defaults by size), checked against the samples asked."""
    if campaigns is None:
        campaigns = 2 if n_samples >= 8 else 1
    if basins is None:
        basins = 2 if n_samples >= 8 else 1
    if basins > len(BASIN_NAMES):
        raise InputError(f"at most {len(BASIN_NAMES)} basins can be generated")
    n_blanks = campaigns * basins
    if n_samples - n_blanks < 1:
        raise InputError(
            f"{n_samples} samples leave no field sample beside {n_blanks} blanks "
            f"({campaigns} campaign(s) x {basins} basin(s))",
            hint="ask for more samples, or fewer campaigns or basins",
        )
    if len(pool) < 2:
        raise InputError("fewer than 2 species are available for the design")
    return _campaign_names(campaigns), list(BASIN_NAMES[:basins])


def _skeleton(n_field, campaign_names, basin_names, replicates):
    """(campaign, basin, site, replicate, type) of every sample, and sites per basin:
    the field samples shared evenly over campaigns and basins, a blank after each."""
    basins = len(basin_names)
    slots = split_pairs(n_field, [1.0] * (len(campaign_names) * basins))
    per_slot = {
        (c, b): slots[i * basins + j]
        for i, c in enumerate(campaign_names)
        for j, b in enumerate(basin_names)
    }
    n_sites = {
        b: max(1, math.ceil(max(per_slot[(c, b)] for c in campaign_names) / replicates))
        for b in basin_names
    }
    skeleton: list[tuple[str, str, str, int, str]] = []
    for c in campaign_names:
        for b in basin_names:
            left = per_slot[(c, b)]
            for s in range(n_sites[b]):
                for r in range(1, replicates + 1):
                    if left == 0:
                        break
                    skeleton.append((c, b, _site_name(b, s), r, "sample"))
                    left -= 1
            skeleton.append((c, b, f"{b}-blank", 1, "field_blank"))
    return skeleton, n_sites


def _site_communities(rng, basin_pool, n_sites, campaign_names, species_per_site, k_cap):
    """Species of each site per campaign (a few lost or gained between campaigns) and
    the abundance weights of each site's basin species."""
    site_species: dict[tuple[str, str], list[str]] = {}
    site_weights: dict[tuple[str, str], dict[str, float]] = {}
    for b, bp in basin_pool.items():
        for s in range(n_sites[b]):
            site = _site_name(b, s)
            k = int(np.clip(species_per_site + rng.integers(-3, 4), 1, min(len(bp), k_cap)))
            chosen = [bp[i] for i in sorted(rng.choice(len(bp), k, replace=False))]
            for i, c in enumerate(campaign_names):
                if i > 0:
                    chosen = list(chosen)
                    if len(chosen) > 1 and rng.random() < 0.4:
                        chosen.pop(int(rng.integers(len(chosen))))
                    absent = [x for x in bp if x not in chosen]
                    if absent and len(chosen) < k_cap and rng.random() < 0.5:
                        chosen.append(absent[int(rng.integers(len(absent)))])
                site_species[(c, site)] = list(chosen)
            site_weights[(b, site)] = {
                sp: float(np.exp(rng.normal(0.0, 1.0))) for sp in sorted(set(bp))
            }
    return site_species, site_weights


def _field_composition(rng, species, weights, n, min_reads, min_fraction):
    """Relative abundances of a field sample of ``n`` pairs: the site's weights with
    replicate noise, each species at least five times the detection limits."""
    w = np.array([weights[sp] for sp in species])
    w = w * np.exp(rng.normal(0.0, 0.3, size=len(w)))
    floor = max(5 * min_fraction, 5 * min_reads / max(n, 1))
    floor = min(floor, 0.6 / len(species))
    frac = floor + (1.0 - floor * len(species)) * w / w.sum()
    return tuple((sp, round(float(f), 6)) for sp, f in zip(species, frac, strict=True))


def generate_design(
    pool: Sequence[str],
    n_samples: int,
    total_pairs: int,
    seed: int = 1,
    campaigns: int | None = None,
    basins: int | None = None,
    replicates: int = 2,
    species_per_site: int = 8,
    blank_fraction: float = 0.05,
    min_reads: int = 10,
    min_fraction: float = 0.001,
    contaminant: str = DEFAULT_CONTAMINANT,
) -> list[SampleDesign]:
    """A monitoring programme of ``n_samples`` samples (one field blank per basin and
    campaign among them) sharing ``total_pairs`` read pairs.

    Basins have sites (the first is the upstream reference), each sampled in every
    campaign with ``replicates`` field replicates; a site's species come from its basin's
    species and change a little between campaigns; replicates share the species with
    different abundances. Every designed taxon gets at least five times the detection
    limits (``min_reads`` reads, ``min_fraction`` of the sample), so that the truth is the
    design. Field samples differ in depth (log-normal, sd 0.25); a blank gets
    ``blank_fraction`` of a mean sample.
    """
    campaign_names, basin_names = _layout(n_samples, campaigns, basins, pool)
    rng = np.random.default_rng([seed, 0x5EED])
    n_field = n_samples - len(campaign_names) * len(basin_names)
    skeleton, n_sites = _skeleton(n_field, campaign_names, basin_names, replicates)
    # depths first: the abundance floor of a sample depends on its reads
    weights = [
        float(np.exp(rng.normal(0.0, 0.25))) if kind == "sample" else blank_fraction
        for *_, kind in skeleton
    ]
    pairs = split_pairs(total_pairs, weights)
    # communities: basin species, then site species per campaign
    basin_pool = {
        b: [pool[i] for i in sorted(rng.choice(len(pool), min(len(pool), 30), replace=False))]
        for b in basin_names
    }
    min_pairs = min(p for p, (*_, kind) in zip(pairs, skeleton, strict=True) if kind == "sample")
    floor_all = max(5 * min_fraction, 5 * min_reads / max(min_pairs, 1))
    k_cap = max(1, int(0.6 / floor_all))
    site_species, site_weights = _site_communities(
        rng, basin_pool, n_sites, campaign_names, species_per_site, k_cap
    )
    designs = []
    for (c, b, site, rep, kind), n in zip(skeleton, pairs, strict=True):
        if kind == "sample":
            comp = _field_composition(
                rng, site_species[(c, site)], site_weights[(b, site)], n, min_reads, min_fraction
            )
            name = f"{site}_{c}_r{rep}"
            role = "reference" if site.endswith("-s01") else ""
        else:
            comp, name, role = ((contaminant, 1.0),), f"{site}_{c}", ""
        designs.append(
            SampleDesign(
                sample=name,
                campaign=c,
                basin=b,
                site=site,
                replicate=rep,
                type=kind,
                site_role=role,
                pairs=n,
                composition=comp,
            )
        )
    return designs


DESIGN_COLUMNS = ("basin", "site", "campaign", "replicate", "taxon", "relative_abundance")


def read_design(
    path: str | os.PathLike,
    pairs_per_sample: int,
    blank_fraction: float = 0.05,
    contaminant: str = DEFAULT_CONTAMINANT,
) -> list[SampleDesign]:
    """Read a design table (TSV): one row per sample and taxon.

    Columns basin, site, campaign, replicate, taxon, relative_abundance; optional type
    (``sample`` default, or a negative control type), site_role, sample (name; default
    ``<site>_<campaign>_r<replicate>``, for a control ``<site>_<campaign>``) and pairs
    (read pairs of the sample; default ``pairs_per_sample``, a control
    ``blank_fraction`` of it). A control row may leave taxon empty; a control always holds
    the contaminant. Abundances are normalised per sample. Samples keep the table's order.
    """
    path = Path(path)
    samples: dict[str, dict] = {}
    for lineno, row in enumerate(_design_rows(path), start=2):
        _add_design_row(samples, row, path, lineno)
    return [
        _sample_of(name, e, pairs_per_sample, blank_fraction, contaminant)
        for name, e in samples.items()
    ]


def _design_rows(path: Path) -> list[dict]:
    """The rows of a design table, its header checked."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
            header = rows[0].keys() if rows else []
    except OSError as exc:
        raise InputError(f"cannot read the design ({exc})", path=path) from None
    missing = [c for c in DESIGN_COLUMNS if c not in header]
    if missing:
        raise InputError(
            f"the design lacks the column(s) {', '.join(missing)}",
            path=path,
            line=1,
            hint=f"columns: {', '.join(DESIGN_COLUMNS)} (tab-separated)",
        )
    return rows


def _add_design_row(samples: dict[str, dict], row: dict, path: Path, lineno: int) -> None:
    """Add one row (a taxon of a sample) to ``samples`` (name -> sample fields)."""
    kind = (row.get("type") or "sample").strip()
    if kind not in ("sample", *NEGATIVE_CONTROL_TYPES):
        raise InputError(f"unknown type {kind!r}", path=path, line=lineno)
    try:
        rep = int(row["replicate"])
    except ValueError:
        raise InputError(
            f"replicate {row['replicate']!r} is not a whole number", path=path, line=lineno
        ) from None
    site, campaign = row["site"].strip(), row["campaign"].strip()
    default = f"{site}_{campaign}_r{rep}" if kind == "sample" else f"{site}_{campaign}"
    name = (row.get("sample") or "").strip() or default
    entry = samples.setdefault(
        name,
        {
            "campaign": campaign,
            "basin": row["basin"].strip(),
            "site": site,
            "replicate": rep,
            "type": kind,
            "site_role": (row.get("site_role") or "").strip(),
            "pairs": None,
            "composition": {},
        },
    )
    if (row.get("pairs") or "").strip():
        entry["pairs"] = int(row["pairs"])
    taxon = (row.get("taxon") or "").strip()
    if not taxon:
        if kind == "sample":
            raise InputError("a sample row without taxon", path=path, line=lineno)
        return
    try:
        abundance = float(row["relative_abundance"])
    except ValueError:
        raise InputError(
            f"relative_abundance {row['relative_abundance']!r} is not a number",
            path=path,
            line=lineno,
        ) from None
    if abundance <= 0:
        raise InputError("relative_abundance must be > 0", path=path, line=lineno)
    entry["composition"][taxon] = entry["composition"].get(taxon, 0.0) + abundance


def _sample_of(name, e, pairs_per_sample, blank_fraction, contaminant) -> SampleDesign:
    """A read sample: abundances normalised, a control given the contaminant and its
    share of the pairs."""
    comp = dict(e["composition"])
    if e["type"] != "sample":
        comp = {contaminant: 1.0, **{k: v for k, v in comp.items() if k != contaminant}}
    total = sum(comp.values())
    n = e["pairs"]
    if n is None:
        n = pairs_per_sample if e["type"] == "sample" else round(pairs_per_sample * blank_fraction)
    return SampleDesign(
        sample=name,
        campaign=e["campaign"],
        basin=e["basin"],
        site=e["site"],
        replicate=e["replicate"],
        type=e["type"],
        site_role=e["site_role"],
        pairs=int(n),
        composition=tuple((k, v / total) for k, v in comp.items()),
    )
