"""Simulate the MiSeq reads of a MiFish monitoring programme, with the truth to check against.

A mock community per sample (species and relative abundances, from a design table or
generated) becomes paired FASTQ files as a MiSeq run writes them: each read pair is an
amplicon ``random prefix + forward primer + insert + reverse complement of the reverse
primer + random suffix`` read from both ends, with substitution errors drawn from the
quality strings of a real run (the written qualities are the drawn ones). On top of the
design come PCR chimeras (two parents of the sample joined at a random breakpoint),
tag-jumps (reads of other samples of the campaign), primer dimers, a contaminant taxon that
fills the field blanks and reaches the samples at trace level, and reads running into the
sequencing adapter when the fragment is short.

Written into the output folder:

- ``reads/<sample>_S<n>_L001_R1_001.fastq.gz`` and ``..._R2_001.fastq.gz``;
- ``samples.tsv`` (the layout of ``../shared/data/dev-campaigns``) and one workflow sample
  sheet per campaign (``campaigns/<campaign>.tsv``), plus a ready ``config.yaml``;
- the truth: ``truth_composition.tsv``, ``truth_tallies.tsv``, ``truth_sites.tsv``;
- ``design.tsv`` (every designed taxon of every sample with its simulated reads, also
  those too rare to be in the truth) and ``simulated_reads.tsv`` (per sample: read pairs
  of each kind).

The taxon the truth names for a haplotype is what the reference database allows: the
haplotype is searched against the database (vsearch, as the workflow does) and the hits
within the classifier's margin of the best decide: one species, or ``Genus_sp`` when the
sequence is shared by congeners. Haplotypes the database cannot place within one genus are
not used. Everything is deterministic for a given seed (same bytes; gzip without time
stamps). Run ``python -m riverfish.simulate --help``.

This module runs a whole campaign set and holds the command line; the pieces are in
:mod:`riverfish.simmodel` (settings, data classes, defaults), :mod:`riverfish.simrefs`
(quality profiles, reference haplotypes), :mod:`riverfish.simdesign` (designs) and
:mod:`riverfish.simreads` (a sample's reads, the truth tables), re-exported here.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from riverfish.errors import InputError, RiverfishError
from riverfish.simdesign import (
    generate_design,
    read_design,
)
from riverfish.simmodel import (
    COMMON_RIVER_FISH,
    DEFAULT_CONTAMINANT,
    DEFAULT_PROFILE,
    MIFISH_U_FORWARD,
    MIFISH_U_REVERSE,
    ROOT,
    Haplotype,
    QualityProfile,
    SampleDesign,
    SimParams,
)
from riverfish.simreads import (
    SampleCounts,
    simulate_sample,
    truth_tables,
)
from riverfish.simrefs import (
    aligned_pairs,
    chimera,
    choose_haplotypes,
    close_pairs,
    learn_quality_profile,
    load_reference,
    place_haplotypes,
    species_pool,
    synthetic_quality_profile,
)

__all__ = [
    "COMMON_RIVER_FISH",
    "Haplotype",
    "QualityProfile",
    "SampleCounts",
    "SampleDesign",
    "SimParams",
    "aligned_pairs",
    "chimera",
    "choose_haplotypes",
    "close_pairs",
    "generate_design",
    "learn_quality_profile",
    "load_reference",
    "main",
    "place_haplotypes",
    "read_design",
    "simulate_campaign",
    "simulate_sample",
    "species_pool",
    "synthetic_quality_profile",
    "truth_tables",
]


# --------------------------------------------------------------------------------------
# A whole campaign set
# --------------------------------------------------------------------------------------


def _write_tsv(path: Path, rows: Sequence[Mapping], columns: Sequence[str]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(columns) + "\n")
        for r in rows:
            fh.write("\t".join(str(r.get(c, "")) for c in columns) + "\n")
    os.replace(tmp, path)


def _jump_mixtures(designs: Sequence[SampleDesign]) -> dict[str, list[tuple[str, float]]]:
    """Per sample: the species composition of the other samples' reads of its campaign."""
    by_campaign: dict[str, list[SampleDesign]] = defaultdict(list)
    for d in designs:
        by_campaign[d.campaign].append(d)
    out = {}
    for group in by_campaign.values():
        totals: dict[str, float] = defaultdict(float)
        for d in group:
            for sp, f in d.composition:
                totals[sp] += f * d.pairs
        for d in group:
            mix = dict(totals)
            for sp, f in d.composition:
                mix[sp] -= f * d.pairs
            out[d.sample] = [(sp, w) for sp, w in sorted(mix.items()) if w > 1e-9]
    return out


_WORKER: dict = {}


def _init_worker(state: dict) -> None:
    _WORKER.update(state)


def _simulate_one(job: tuple) -> SampleCounts:
    design, index, mixture, r1, r2 = job
    w = _WORKER
    return simulate_sample(
        design,
        index,
        w["haplotypes"],
        mixture,
        w["profile"],
        w["params"],
        w["seed"],
        r1,
        r2,
        w["compresslevel"],
        w["alignments"],
    )


def _config_for(base: Mapping, sheets: Mapping[str, Path], params: SimParams) -> dict:
    """The base configuration with the simulated campaigns and absolute reference paths."""
    import copy

    cfg = copy.deepcopy(dict(base))
    cfg["campaigns"] = {c: str(p) for c, p in sheets.items()}
    ref = dict(cfg.get("reference", {}))
    for key in ("fasta", "lineage", "family_table", "common_names"):
        if ref.get(key):
            path = Path(ref[key])
            ref[key] = os.path.normpath(path if path.is_absolute() else ROOT / path)
    cfg["reference"] = ref
    primers = dict(cfg.get("primers", {}))
    primers.update(forward=params.forward.upper(), reverse=params.reverse.upper())
    primers["random_prefix_max"] = max(
        int(primers.get("random_prefix_max", 6)), params.prefix_length
    )
    cfg["primers"] = primers
    return cfg


SHEET_COLUMNS = ("sample", "basin", "site", "campaign", "replicate", "type", "fq1", "fq2")
CAMPAIGN_SHEET_COLUMNS = ("sample", "basin", "site", "site_role", "replicate", "type", "fq1", "fq2")
DESIGN_TABLE_COLUMNS = (
    "sample",
    "campaign",
    "basin",
    "site",
    "replicate",
    "type",
    "species",
    "relative_abundance",
    "ref_id",
    "taxon",
    "simulated_reads",
    "in_truth",
)


def _check_campaign(designs: Sequence[SampleDesign], profile: QualityProfile, params) -> None:
    """The settings, the profile's read length and unique sample names."""
    params.check()
    if profile.length < params.read_length:
        raise InputError(
            f"the quality profile has reads of {profile.length} bases, "
            f"shorter than the read length {params.read_length}"
        )
    names = [d.sample for d in designs]
    if len(set(names)) != len(names):
        dup = sorted({x for x in names if names.count(x) > 1})
        raise InputError(f"sample names occur more than once: {', '.join(dup[:5])}")


def _read_files(designs: Sequence[SampleDesign], reads: Path) -> dict[str, tuple[Path, Path]]:
    """sample -> (R1, R2) paths, named as a MiSeq run names them."""
    return {
        d.sample: (
            reads / f"{d.sample}_S{i}_L001_R1_001.fastq.gz",
            reads / f"{d.sample}_S{i}_L001_R2_001.fastq.gz",
        )
        for i, d in enumerate(designs, start=1)
    }


def _simulate_all(jobs: list[tuple], state: dict, threads: int) -> list[SampleCounts]:
    """Simulate every sample, in worker processes when ``threads`` > 1 (same bytes)."""
    if threads > 1 and len(jobs) > 1:
        import multiprocessing

        ctx = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        with ProcessPoolExecutor(
            threads, mp_context=ctx, initializer=_init_worker, initargs=(state,)
        ) as ex:
            return list(ex.map(_simulate_one, jobs, chunksize=1))
    _init_worker(state)
    return [_simulate_one(job) for job in jobs]


def _write_sheets(
    out: Path, designs: Sequence[SampleDesign], files: Mapping[str, tuple[Path, Path]]
) -> dict[str, Path]:
    """``samples.tsv`` (the dev-campaigns layout, relative paths) and one workflow sheet
    per campaign (absolute paths); returns campaign -> sheet."""

    def row(d: SampleDesign, relative: bool) -> dict:
        fq1, fq2 = files[d.sample]
        if relative:
            fq1, fq2 = fq1.relative_to(out), fq2.relative_to(out)
        return {**vars(d), "fq1": fq1, "fq2": fq2}

    _write_tsv(out / "samples.tsv", [row(d, True) for d in designs], SHEET_COLUMNS)
    sheets: dict[str, Path] = {}
    for campaign in dict.fromkeys(d.campaign for d in designs):
        sheets[campaign] = out / "campaigns" / f"{campaign}.tsv"
        rows = [row(d, False) for d in designs if d.campaign == campaign]
        _write_tsv(sheets[campaign], rows, CAMPAIGN_SHEET_COLUMNS)
    return sheets


def _write_truth(out: Path, designs, haplotypes, counts, min_reads, min_fraction) -> None:
    """The truth tables, the design with its simulated reads and the reads of each kind."""
    composition, tallies, sites, design_rows = truth_tables(
        designs, haplotypes, counts, min_reads=min_reads, min_fraction=min_fraction
    )
    _write_tsv(
        out / "truth_composition.tsv",
        composition,
        ["sample", "taxon", "rank", "genus", "family", "order", "expected_reads"],
    )
    _write_tsv(
        out / "truth_tallies.tsv",
        tallies,
        ["basin", "campaign", "n_orders", "n_families", "n_species"],
    )
    _write_tsv(out / "truth_sites.tsv", sites, ["basin", "site", "campaign", "n_species"])
    _write_tsv(out / "design.tsv", design_rows, DESIGN_TABLE_COLUMNS)
    _write_tsv(
        out / "simulated_reads.tsv",
        [vars(counts[d.sample]) for d in designs],
        ["sample", "pairs", "true", "chimeras", "tag_jumps", "dimers", "contaminant"],
    )


def simulate_campaign(
    designs: Sequence[SampleDesign],
    haplotypes: Mapping[str, Haplotype],
    profile: QualityProfile,
    params: SimParams,
    out: str | os.PathLike,
    base_config: Mapping,
    seed: int = 1,
    threads: int = 1,
    compresslevel: int = 1,
    min_reads: int = 10,
    min_fraction: float = 0.001,
    vsearch: str | None = None,
) -> dict[str, SampleCounts]:
    """Write the reads, sheets, config and truth of a design into ``out``."""
    import yaml

    _check_campaign(designs, profile, params)
    out = Path(out).resolve()
    (out / "reads").mkdir(parents=True, exist_ok=True)
    (out / "campaigns").mkdir(exist_ok=True)
    files = _read_files(designs, out / "reads")
    mixtures = _jump_mixtures(designs)
    jobs = [
        (d, i, mixtures[d.sample], str(files[d.sample][0]), str(files[d.sample][1]))
        for i, d in enumerate(designs, start=1)
    ]
    in_samples = {sp for d in designs if d.type == "sample" for sp, _ in d.composition}
    state = {
        "alignments": aligned_pairs(haplotypes, in_samples, vsearch),
        "haplotypes": dict(haplotypes),
        "profile": profile,
        "params": params,
        "seed": seed,
        "compresslevel": compresslevel,
    }
    counts = {c.sample: c for c in _simulate_all(jobs, state, threads)}
    sheets = _write_sheets(out, designs, files)
    cfg = _config_for(base_config, sheets, params)
    (out / "config.yaml").write_text(
        "# Simulated campaigns (python -m riverfish.simulate); every other key as in the\n"
        "# base configuration.\n" + yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True)
    )
    _write_truth(out, designs, haplotypes, counts, min_reads, min_fraction)
    return counts


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def _resolve(path: str | os.PathLike) -> Path:
    p = Path(path)
    return Path(os.path.normpath(p if p.is_absolute() else ROOT / p))


def _read_species_list(path: str | os.PathLike) -> list[str]:
    names = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line.split()[0])
    return names


def _design_arguments(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("design")
    g.add_argument(
        "--design",
        type=Path,
        help="design TSV: basin, site, campaign, replicate, taxon, relative_abundance, "
        "optionally type, site_role, sample, pairs; without it a design is generated",
    )
    g.add_argument(
        "--samples",
        type=int,
        default=100,
        help="samples of a generated design, blanks included (default %(default)s)",
    )
    g.add_argument(
        "--pairs",
        type=int,
        default=1_000_000,
        help="read pairs of a generated design, all samples together (default %(default)s)",
    )
    g.add_argument(
        "--pairs-per-sample",
        type=int,
        default=10_000,
        help="read pairs per sample of a design TSV without a pairs column (default %(default)s)",
    )
    g.add_argument("--campaigns", type=int, help="campaigns (default 2; 1 under 8 samples)")
    g.add_argument("--basins", type=int, help="basins (default 2; 1 under 8 samples)")
    g.add_argument("--replicates", type=int, default=2, help="field replicates per site (2)")
    g.add_argument(
        "--species-per-site", type=int, default=8, help="species per site, +-3 (default 8)"
    )
    g.add_argument(
        "--species-list",
        type=Path,
        help="species to draw from, one per line (default: common Japanese river fish)",
    )
    g.add_argument(
        "--blank-fraction",
        type=float,
        default=0.05,
        help="read pairs of a field blank relative to a mean sample (default %(default)s)",
    )
    g.add_argument(
        "--contaminant",
        default=DEFAULT_CONTAMINANT,
        help="taxon of the blanks, at trace level in samples (default %(default)s)",
    )


def _read_arguments(ap: argparse.ArgumentParser) -> None:
    r = ap.add_argument_group("reads")
    r.add_argument("--read-length", type=int, default=150, help="bases per read (150)")
    r.add_argument(
        "--prefix-length", type=int, default=6, help="random bases before each primer, 0-6 (6)"
    )
    r.add_argument("--forward", default=MIFISH_U_FORWARD, help="forward primer (MiFish-U)")
    r.add_argument("--reverse", default=MIFISH_U_REVERSE, help="reverse primer (MiFish-U)")
    r.add_argument("--chimera-rate", type=float, default=0.02, help="PCR chimeras per pair (0.02)")
    r.add_argument(
        "--tag-jump-rate",
        type=float,
        default=0.003,
        help="pairs from other samples of the campaign (0.003)",
    )
    r.add_argument("--dimer-rate", type=float, default=0.005, help="primer dimers (0.005)")
    r.add_argument(
        "--contaminant-trace",
        type=float,
        default=0.0002,
        help="contaminant pairs in a field sample (0.0002)",
    )
    r.add_argument(
        "--quality-profile",
        default="auto",
        help="R1 FASTQ of a real run whose quality strings are drawn (R2 found by its "
        "name), 'synthetic', or 'auto': the PMiFish MiSeq run of the shared data when "
        "present, else synthetic",
    )
    r.add_argument(
        "--quality-model",
        choices=("pairs", "positions"),
        default="pairs",
        help="draw the qualities of whole real read pairs (default), or each position on "
        "its own from the per-position distribution",
    )
    r.add_argument(
        "--no-errors", action="store_true", help="write the drawn qualities, but no errors"
    )


def _setting_arguments(ap: argparse.ArgumentParser) -> None:
    c = ap.add_argument_group("reference database and workflow settings")
    c.add_argument(
        "--config",
        type=Path,
        default=ROOT / "config" / "config.yaml",
        help="workflow config whose keys the written config.yaml copies, and whose "
        "reference, classify and detection settings the truth follows (default: the "
        "project's config/config.yaml)",
    )
    c.add_argument("--reference", type=Path, help="MiFish-format FASTA (default: the config's)")
    c.add_argument("--lineage", type=Path, help="genus lineage CSV (default: the config's)")
    c.add_argument("--vsearch", help="vsearch executable (default: on PATH)")
    o = ap.add_argument_group("run")
    o.add_argument("--seed", type=int, default=1, help="random seed (1)")
    o.add_argument(
        "--threads",
        type=int,
        default=min(4, os.cpu_count() or 1),
        help="worker processes (the files do not depend on it)",
    )
    o.add_argument("--compresslevel", type=int, default=1, help="gzip level of the FASTQ files (1)")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m riverfish.simulate",
        description="Simulate the paired MiSeq reads of MiFish mock communities (a generated "
        "monitoring programme or a design table), with sample sheets, a workflow config and "
        "the truth tables.",
    )
    ap.add_argument("--out", required=True, type=Path, help="output folder (created)")
    _design_arguments(ap)
    _read_arguments(ap)
    _setting_arguments(ap)
    return ap


def _base_config(args: argparse.Namespace) -> dict:
    """The base configuration, its reference replaced by --reference / --lineage."""
    import yaml

    base = yaml.safe_load(Path(args.config).read_text(encoding="utf-8")) or {}
    ref = dict(base.get("reference", {}))
    if args.reference:
        ref["fasta"] = str(Path(args.reference).resolve())
        ref.pop("family_table", None)
        ref.pop("common_names", None)
    if args.lineage:
        ref["lineage"] = str(Path(args.lineage).resolve())
    if not ref.get("fasta") or not ref.get("lineage"):
        raise InputError(
            "no reference database: give --reference and --lineage, or a config with them"
        )
    base["reference"] = ref
    return base


def _sim_params(args: argparse.Namespace) -> SimParams:
    params = SimParams(
        read_length=args.read_length,
        prefix_length=args.prefix_length,
        forward=args.forward,
        reverse=args.reverse,
        chimera_rate=args.chimera_rate,
        tag_jump_rate=args.tag_jump_rate,
        dimer_rate=args.dimer_rate,
        contaminant_trace=args.contaminant_trace,
        contaminant=args.contaminant,
        errors=not args.no_errors,
        quality_model=args.quality_model,
    )
    params.check()
    return params


def _length_window(params: SimParams, filt: Mapping) -> tuple[int, int]:
    """Insert lengths the workflow keeps and the reads can cover with a merge overlap."""
    longest = (
        2 * params.read_length
        - 20
        - len(params.forward)
        - len(params.reverse)
        - 2 * params.prefix_length
    )
    return int(filt.get("min_length", 130)), min(int(filt.get("max_length", 220)), longest)


def _design_from_table(args, wanted, placed, rejected, log) -> list[SampleDesign]:
    """The designs of --design, every taxon checked to be simulable."""
    missing = [sp for sp in wanted if sp not in placed]
    if missing:
        absent = "not in the reference database (or no A/C/G/T sequence in the window)"
        details = "; ".join(f"{sp}: {rejected.get(sp, absent)}" for sp in missing)
        raise InputError(f"design taxa that cannot be simulated: {details}", path=args.design)
    designs = read_design(args.design, args.pairs_per_sample, args.blank_fraction, args.contaminant)
    for a, b, ident in close_pairs({sp: placed[sp] for sp in wanted}, 97.0, args.vsearch):
        print(
            f"warning: {a} and {b} are {ident:.1f} % identical; denoising may merge them",
            file=log,
        )
    return designs


def _generated_design(args, order, chosen, placed, rejected, detection, log):
    """A generated monitoring programme drawn from the placeable species of ``order``."""
    pool = species_pool(placed, [sp for sp in order if sp != args.contaminant], 97.0, args.vsearch)
    designs = generate_design(
        pool,
        args.samples,
        args.pairs,
        seed=args.seed,
        campaigns=args.campaigns,
        basins=args.basins,
        replicates=args.replicates,
        species_per_site=args.species_per_site,
        blank_fraction=args.blank_fraction,
        min_reads=detection[0],
        min_fraction=detection[1],
        contaminant=args.contaminant,
    )
    print(
        f"species pool: {len(pool)} of {len(order)} listed "
        f"({len([s for s in order if s not in chosen])} not in the database, "
        f"{len([s for s in order if s in rejected])} not placeable within a genus)",
        file=log,
    )
    return designs


def _quality_profile(args: argparse.Namespace, params: SimParams) -> QualityProfile:
    source = args.quality_profile
    if source == "auto":
        source = str(DEFAULT_PROFILE) if DEFAULT_PROFILE.is_file() else "synthetic"
    if source == "synthetic":
        return synthetic_quality_profile(params.read_length)
    return learn_quality_profile(source, length=params.read_length)


def run(args: argparse.Namespace, log=sys.stderr) -> dict[str, SampleCounts]:
    """Everything ``main`` does, from parsed arguments."""
    base = _base_config(args)
    ref = base["reference"]
    margin = float(base.get("classify", {}).get("margin", 0.5))
    detection = base.get("detection", {})
    min_reads = int(detection.get("min_reads", 10))
    min_fraction = float(detection.get("min_fraction", 0.001))
    params = _sim_params(args)
    window = _length_window(params, base.get("filter", {}))

    records = load_reference(
        _resolve(ref["fasta"]),
        _resolve(ref["lineage"]),
        _resolve(ref["family_table"]) if ref.get("family_table") else None,
    )
    if args.design:
        design_species = [sp for d in read_design(args.design, 1) for sp, _ in d.composition]
        wanted = list(dict.fromkeys([*design_species, args.contaminant]))
    else:
        order = (
            _read_species_list(args.species_list) if args.species_list else list(COMMON_RIVER_FISH)
        )
        wanted = list(dict.fromkeys([*order, args.contaminant]))
    chosen = choose_haplotypes(records, wanted, *window)
    placed, rejected = place_haplotypes(chosen, records, margin=margin, vsearch=args.vsearch)
    if args.contaminant not in placed:
        why = rejected.get(
            args.contaminant, "not in the reference database (or no usable sequence)"
        )
        raise InputError(f"contaminant {args.contaminant}: {why}")
    if args.design:
        designs = _design_from_table(args, wanted, placed, rejected, log)
    else:
        designs = _generated_design(
            args, order, chosen, placed, rejected, (min_reads, min_fraction), log
        )
    profile = _quality_profile(args, params)
    counts = simulate_campaign(
        designs,
        placed,
        profile,
        params,
        args.out,
        base,
        seed=args.seed,
        threads=args.threads,
        compresslevel=args.compresslevel,
        min_reads=min_reads,
        min_fraction=min_fraction,
        vsearch=args.vsearch,
    )
    total = sum(c.pairs for c in counts.values())
    print(
        f"{len(designs)} samples, {total} read pairs written to {Path(args.out).resolve()} "
        f"(quality profile: {profile.source})",
        file=log,
    )
    return counts


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        run(args)
    except RiverfishError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
