# Configuration, sample sheets and helpers shared by every stage. Everything here runs
# when the workflow is parsed, so bad input stops the run before any job starts.
import json
import os
import sys
from pathlib import Path

import yaml

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger
from snakemake.settings.types import DeploymentMethod
from snakemake_interface_executor_plugins.settings import ExecMode
from snakemake.utils import validate

# jsonschema (config and sheet validation) imports rfc3987_syntax when JupyterLab's
# dependencies installed it, and that import compiles Lark grammars for ~2 s in every
# Snakemake start (python-jsonschema/jsonschema#1428). No schema here uses IRI formats:
# let jsonschema see it as absent.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)

# This workflow's own folder (from this file, so that it holds when the workflow is used
# as a module of another Snakefile) and the project's: the folder of the main Snakefile,
# which config and sheet paths are relative to (the same folder unless used as a module).
ROOT = Path(str(workflow.current_basedir)).resolve().parents[1]
LIB = ROOT / "workflow"
PROJECT = Path(workflow.basedir).resolve()
if str(LIB) not in sys.path:
    sys.path.insert(0, str(LIB))

from riverfish import dwca, jobenv, refdb, settings, sheets, tools  # noqa: E402
from riverfish.errors import RiverfishError  # noqa: E402

jobenv.prepare(LIB)

# A config of one's own needs only what differs: every setting has a default in the
# schema but the reference database's files, which come from the shipped settings
# (config/config.yaml) where the config leaves them out.
if isinstance(config.get("reference", {}), dict):
    with open(ROOT / "config" / "config.yaml", encoding="utf-8") as _fh:
        _shipped = yaml.safe_load(_fh).get("reference", {})
    config["reference"] = {**_shipped, **config.get("reference", {})}
_schema = sheets.load_schema(LIB / "schemas" / "config.schema.yaml")
_problems = settings.check_raw(config, list(_schema["properties"]))
if _problems:
    raise WorkflowError("invalid configuration:\n  " + "\n  ".join(_problems))
_export_problems = dwca.check_export(config.get("export"))
if _export_problems:
    raise WorkflowError(
        "invalid export block in the config:\n  " + "\n  ".join(_export_problems)
    )
validate(config, str(LIB / "schemas" / "config.schema.yaml"))
_problems = settings.check_relations(config)
if _problems:
    raise WorkflowError("invalid configuration:\n  " + "\n  ".join(_problems))

# The tools must be there (and recent enough) before anything runs; with --sdm conda they
# come with the jobs' environments instead.
if DeploymentMethod.CONDA not in workflow.deployment_settings.deployment_method:
    try:
        tools.tool_version("vsearch")
        tools.tool_version("cutadapt")
    except RiverfishError as exc:
        raise WorkflowError(str(exc)) from None

OUT = config["output_dir"].rstrip("/")
CAMPAIGNS = list(config["campaigns"])


def project_path(value):
    """A path of the config: absolute, or relative to the project; as a module, a shipped
    default (reference_db/, the example's reference) is found in this workflow's folder.
    """
    path = sheets.resolve_path(value, PROJECT)
    if not path.exists() and PROJECT != ROOT:
        shipped = sheets.resolve_path(value, ROOT)
        if shipped.exists():
            return shipped
    return path


try:
    SAMPLES = sheets.load_campaigns(
        config["campaigns"],
        sheets.load_schema(LIB / "schemas" / "samples.schema.yaml"),
        root=PROJECT,
        # the files are checked once, by the main process; cluster jobs re-parse the
        # workflow and need not open every FASTQ file of the programme again
        check_files=workflow.exec_mode == ExecMode.DEFAULT,
    )
except RiverfishError as exc:
    raise WorkflowError(f"invalid sample sheet(s):\n{exc}") from None
try:
    SAMPLES = sheets.order_sites(SAMPLES, config["site_order"])
except RiverfishError as exc:
    raise WorkflowError(str(exc)) from None
SAMPLES = SAMPLES.set_index("sample", drop=False)
_fields = SAMPLES.loc[SAMPLES["type"] == "sample"]
_problems = settings.check_replicate_rule(
    config["detection"]["min_replicates"],
    _fields.groupby(["basin", "site", "campaign"])["replicate"].nunique().to_dict(),
)
if _problems:
    raise WorkflowError("invalid configuration:\n  " + "\n  ".join(_problems))
# The validated sheets as plain records (campaign order, then sheet order): what the
# sample table of the results holds.
SAMPLE_RECORDS = SAMPLES[
    ["sample", "campaign", *[c for c in sheets.SHEET_COLUMNS if c != "sample"]]
].to_dict("records")
# The campaigns' sample sheets (absolute paths), in campaign order.
SHEETS = [str(project_path(p)) for p in config["campaigns"].values()]
# Basins with river-water samples, in order of first appearance in the sheets.
BASINS = list(dict.fromkeys(SAMPLES.loc[SAMPLES["type"] == "sample", "basin"]))
TRAITS = str(project_path(config["traits"]))


def reference_inputs():
    """The reference database's input files (absolute), by role; optional ones if given."""
    ref = config["reference"]
    files = {}
    for key in (
        "fasta",
        "lineage",
        "family_table",
        "common_names",
        "name_fixes",
        "family_orders",
    ):
        value = ref.get(key, "")
        if not value:
            if key in ("fasta", "lineage"):
                raise WorkflowError(
                    f"config: reference.{key} is not set; give the path of the MiFish-format "
                    "FASTA (reference.fasta) and of the genus lineage CSV (reference.lineage)"
                )
            continue
        path = project_path(value)
        if not path.is_file():
            raise WorkflowError(
                f"config: reference.{key} = {value!r}: file not found ({path}); paths are "
                "relative to the project root or absolute"
            )
        files[key] = str(path)
    return files


def species_list_files():
    """The classification's species list (a TSV, or none for "japan" and "") and the
    basins' lists, as absolute paths, checked to exist."""
    cls = config["classify"]
    out = {}
    entries = [("species_list", cls["species_list"])]
    entries += [
        (f"basin_species_lists.{b}", p) for b, p in cls["basin_species_lists"].items()
    ]
    unknown = [b for b in cls["basin_species_lists"] if b not in BASINS]
    if unknown:
        raise WorkflowError(
            f"config: classify.basin_species_lists names basins without samples: "
            f"{', '.join(unknown)}; the basins are {', '.join(BASINS)}"
        )
    for key, value in entries:
        if value in ("", "japan") and key == "species_list":
            continue
        path = project_path(value)
        if not path.is_file():
            raise WorkflowError(
                f"config: classify.{key} = {value!r}: file not found ({path}); give a TSV "
                "with a column 'species' (paths relative to the project root or absolute)"
            )
        out[key] = str(path)
    return out


SPECIES_LISTS = species_list_files()


# The built database lives in a folder named by the checksum of its inputs, so a changed
# input builds a new version beside the old one, and classification caches are per version.
_problems = settings.check_reference_files(reference_inputs())
if _problems:
    raise WorkflowError(
        "invalid reference database input:\n  " + "\n  ".join(_problems)
    )
REFDB_CHECKSUM = refdb.database_checksum(*reference_inputs().values())[:16]
REFDB = f"{OUT}/reference/{REFDB_CHECKSUM}"
CLASSIFY_CACHE = f"{OUT}/cache/classify"


# Character classes, not lists of names: Snakemake writes these into every output
# pattern, and an alternation of thousands of sample names makes every DAG step slow.
# The sheets allow only these characters; the input functions refuse unknown names.
wildcard_constraints:
    sample=r"[A-Za-z0-9][A-Za-z0-9._-]*",
    campaign=r"[A-Za-z0-9][A-Za-z0-9._-]*",


def campaign_samples(campaign):
    """Sample names of a campaign, in sheet order."""
    return CAMPAIGN_SAMPLES[campaign]


FASTQ = {r["sample"]: {"r1": r["fq1"], "r2": r["fq2"]} for r in SAMPLE_RECORDS}
CAMPAIGN_SAMPLES = {c: [] for c in CAMPAIGNS}
for _r in SAMPLE_RECORDS:
    CAMPAIGN_SAMPLES[_r["campaign"]].append(_r["sample"])


def campaign_fastq(wildcards):
    """Every read file of a campaign's samples (R1 and R2, sample by sample)."""
    return [
        FASTQ[sample][mate]
        for sample in campaign_samples(wildcards.campaign)
        for mate in ("r1", "r2")
    ]


def campaign_read_settings():
    """Each campaign's primers, merge and filter sections: the config's, with the
    campaign's own keys from ``campaign_settings`` put over them, checked with the schema.
    """
    overrides = config.get("campaign_settings", {})
    unknown = [c for c in overrides if c not in config["campaigns"]]
    if unknown:
        raise WorkflowError(
            f"config: campaign_settings names campaigns that are not in 'campaigns': "
            f"{', '.join(map(str, unknown))}; campaigns are {', '.join(CAMPAIGNS)}"
        )
    out = {}
    for campaign in CAMPAIGNS:
        merged = {k: dict(config[k]) for k in ("primers", "merge", "filter")}
        for section, values in overrides.get(campaign, {}).items():
            merged[section].update(values)
        if campaign in overrides:
            try:
                validate(
                    {**config, **merged}, str(LIB / "schemas" / "config.schema.yaml")
                )
            except WorkflowError as exc:
                raise WorkflowError(
                    f"config: campaign_settings of campaign '{campaign}' are not valid: {exc}"
                ) from None
        out[campaign] = merged
    return out


READ_SETTINGS = campaign_read_settings()


def read_params(campaign):
    """The read steps' science settings of a campaign, as the JSON the reads module takes."""
    s = READ_SETTINGS[campaign]
    p, m, f = s["primers"], s["merge"], s["filter"]
    return json.dumps(
        {
            "forward": p["forward"],
            "reverse": p["reverse"],
            "random_prefix_max": p["random_prefix_max"],
            "max_error_rate": p["max_error_rate"],
            "both_orientations": p["both_orientations"],
            "indels": p["indels"],
            "min_overlap": m["min_overlap"],
            "max_diffs": m["max_diffs"],
            "max_diff_pct": m["max_diff_pct"],
            "truncate_r1": m["truncate_r1"],
            "truncate_r2": m["truncate_r2"],
            "retry_lengths": m["retry_lengths"],
            "min_length": f["min_length"],
            "max_length": f["max_length"],
            "max_expected_errors": f["max_expected_errors"],
        },
        sort_keys=True,
    )


def say_warnings(path):
    """Every warning of the run again at its end, where a person looks."""
    if not os.path.exists(path):
        return
    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    for row in rows:
        todo = f". Try: {row['setting']}" if row["setting"] else ""
        logger.warning(f"{row['source']}: {row['message']}{todo}")
    if rows:
        logger.warning(
            f"{len(rows)} warning(s): see {path} and the report's start page"
        )


def all_targets():
    return [
        f"{OUT}/asv/asvs.fasta",
        f"{OUT}/asv/asv_counts.tsv",
        f"{OUT}/qc/read_tracking.tsv",
        f"{OUT}/qc/run_warnings.tsv",
        f"{OUT}/taxonomy/asv_taxonomy.tsv",
        f"{OUT}/tables/detections.tsv",
        f"{OUT}/tallies/basin_campaign.tsv",
        f"{OUT}/plots/richness.png",
        f"{OUT}/stats/recovery_verdicts.tsv",
        f"{OUT}/report/findings.rst",
        f"{OUT}/report/tallies.html",
        f"{OUT}/tables/species_tables.xlsx",
        f"{OUT}/export/state_of_nature.tsv",
        *([f"{OUT}/export/dwca.zip"] if config.get("export") else []),
        f"{OUT}/qc/provenance.tsv",
        f"{OUT}/tables/samples.tsv",
        f"{OUT}/qc/warnings.tsv",
        *([f"{OUT}/qc/strict_check.txt"] if config["strict"] else []),
    ]
