"""Checks of the configuration that a schema cannot make: relations between settings,
YAML's silent conversions, and the reference files' first lines. They run when the
workflow is parsed, so a bad setting is refused before any read is processed, with the
key (or the file and line) and what to do.
"""

from __future__ import annotations

import datetime
import gzip
from collections.abc import Mapping
from pathlib import Path

RANKS = ("species", "genus", "family", "order")


def check_raw(config: Mapping, known: list[str]) -> list[str]:
    """Problems of the configuration as YAML read it, before the schema: unknown
    top-level keys (in one line), campaign names YAML turned into dates or numbers, an
    empty or root ``output_dir``."""
    problems = []
    unknown = [str(k) for k in config if k not in known]
    if unknown:
        problems.append(
            f"unknown setting(s) {', '.join(repr(k) for k in unknown)} at the top of the "
            f"config; the settings are: {', '.join(known)} (check the spelling and indentation)"
        )
    campaigns = config.get("campaigns")
    if isinstance(campaigns, Mapping):
        for name, sheet in campaigns.items():
            if isinstance(name, (datetime.date, int, float, bool)):
                kind = "a date" if isinstance(name, datetime.date) else "a number"
                problems.append(
                    f"campaigns: the name {name} was read by YAML as {kind}, not text; "
                    f'quote it: "{name}": {sheet}'
                )
            if not isinstance(sheet, str):
                problems.append(
                    f"campaigns.{name}: expected the path of the campaign's sample sheet, "
                    f"got {sheet!r}"
                )
    elif campaigns is not None:
        problems.append(
            "campaigns: expected campaign name -> sample sheet lines, e.g. "
            "'2025-spring: config/campaigns/2025-spring.tsv'"
        )
    out = config.get("output_dir")
    if out is not None:
        text = str(out).strip()
        if not text:
            problems.append("output_dir is empty; give a folder, e.g. results")
        elif Path(text).resolve() == Path(Path(text).resolve().anchor):
            problems.append(
                f"output_dir is {out!r}, a filesystem root; give a folder of its own, e.g. results"
            )
    return problems


def check_relations(config: Mapping) -> list[str]:
    """Problems between settings (after the schema filled in the defaults)."""
    problems = []
    cls = config["classify"]
    th = cls["thresholds"]
    for rank in RANKS:
        value = th[rank]
        if not 0 < value <= 100:
            problems.append(
                f"classify.thresholds.{rank} is {value}; an identity threshold is a "
                "percentage above 0 and at most 100"
            )
    for finer, coarser in zip(RANKS, RANKS[1:], strict=False):
        if th[finer] < th[coarser]:
            problems.append(
                f"classify.thresholds.{finer} ({th[finer]}) is below "
                f"classify.thresholds.{coarser} ({th[coarser]}); a finer rank needs at least "
                f"the identity of a coarser one (species >= genus >= family >= order)"
            )
    if cls["min_identity"] > th["order"]:
        problems.append(
            f"classify.min_identity ({cls['min_identity']}) is above "
            f"classify.thresholds.order ({th['order']}): hits between them are dropped before "
            "the order could be named; set min_identity at or below the order threshold"
        )
    new = cls["new_haplotypes"]
    if new["enabled"] and new["min_identity"] > th["species"]:
        problems.append(
            f"classify.new_haplotypes.min_identity ({new['min_identity']}) is above "
            f"classify.thresholds.species ({th['species']}): the rule for haplotypes missing "
            "from the database would never apply; set it below the species threshold or "
            "disable it"
        )
    flt = config["filter"]
    if flt["min_length"] > flt["max_length"]:
        problems.append(
            f"filter.min_length ({flt['min_length']}) is above filter.max_length "
            f"({flt['max_length']}): no insert could be kept"
        )
    for campaign, overrides in (config.get("campaign_settings") or {}).items():
        f = {**flt, **(overrides.get("filter") or {})}
        if f["min_length"] > f["max_length"]:
            problems.append(
                f"campaign_settings.{campaign}.filter: min_length ({f['min_length']}) is above "
                f"max_length ({f['max_length']}): no insert could be kept"
            )
    return problems


def check_replicate_rule(min_replicates: int, site_replicates: Mapping[str, int]) -> list[str]:
    """``detection.min_replicates`` against the field replicates each site has (name ->
    most replicates in a campaign): an error when no site can meet it."""
    if not site_replicates:
        return []
    most = max(site_replicates.values())
    if min_replicates > most:
        return [
            f"detection.min_replicates is {min_replicates} but no site has more than {most} "
            f"field replicate(s) in a campaign: nothing could ever be detected; set it to "
            f"{most} or less"
        ]
    return []


def _head(path: Path, size: int = 4096) -> bytes:
    with open(path, "rb") as fh:
        start = fh.read(2)
    opener = gzip.open if start == b"\x1f\x8b" else open
    with opener(path, "rb") as fh:
        return fh.read(size)


def check_reference_files(files: Mapping[str, str]) -> list[str]:
    """The reference FASTA and lineage table at first sight (their first lines): an
    empty file, a FASTA that is not FASTA, a lineage table without its columns."""
    problems = []
    fasta = files.get("fasta")
    if fasta:
        try:
            head = _head(Path(fasta))
        except (OSError, EOFError) as exc:
            head = None
            problems.append(f"reference.fasta: cannot be read ({exc}): {fasta}")
        if head is not None:
            text = head.decode("utf-8", "replace").lstrip("\ufeff")
            first = next((line for line in text.splitlines() if line.strip()), "")
            if not first:
                problems.append(
                    f"reference.fasta is empty: {fasta}; give the MiFish-format FASTA "
                    "(>gb|ID|Genus_species lines, then the sequence)"
                )
            elif not first.startswith(">"):
                problems.append(
                    f"reference.fasta, line 1: {first[:40]!r} is not a FASTA header; a record "
                    f"starts with '>' (MiFish format >gb|ID|Genus_species): {fasta}"
                )
    lineage = files.get("lineage")
    if lineage:
        from riverfish.refinputs import LINEAGE_COLUMNS

        try:
            text = _head(Path(lineage)).decode("utf-8", "replace").lstrip("\ufeff")
        except (OSError, EOFError) as exc:
            text = None
            problems.append(f"reference.lineage: cannot be read ({exc}): {lineage}")
        if text is not None:
            first = text.splitlines()[0] if text.strip() else ""
            delimiter = "\t" if "\t" in first and "," not in first else ","
            header = [h.strip().strip('"') for h in first.split(delimiter)]
            missing = [c for c in LINEAGE_COLUMNS if c not in header]
            if not first:
                problems.append(f"reference.lineage is empty: {lineage}")
            elif missing:
                problems.append(
                    f"reference.lineage, line 1: the column(s) {', '.join(missing)} are "
                    f"missing (found {', '.join(header[:8])}); the MitoFish lineage.csv has "
                    f"{', '.join(LINEAGE_COLUMNS)}: {lineage}"
                )
    return problems
