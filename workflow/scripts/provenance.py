"""Snakemake adapter: versions, database checksum and configuration of this run."""

import json
import platform
from importlib.metadata import PackageNotFoundError, version

import pandas as pd

import riverfish
from riverfish import jobenv
from riverfish.tables import write_tsv
from riverfish.tools import tool_version

sm = snakemake  # noqa: F821 (injected by Snakemake)


def package(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


with jobenv.job_log(sm.log[0]) as log:
    rows = [
        ("riverfish", riverfish.__version__),
        ("python", platform.python_version()),
        ("snakemake", package("snakemake")),
    ]
    for tool in ("vsearch", "cutadapt"):
        path, found = tool_version(tool)
        rows.append((tool, ".".join(map(str, found))))
    rows += [(name, package(name)) for name in ("pandas", "scikit-bio", "matplotlib")]
    rows.append(("reference_database_sha256", sm.params.checksum))
    rows.append(("config", json.dumps(sm.params.config, sort_keys=True, ensure_ascii=False)))
    write_tsv(pd.DataFrame(rows, columns=["item", "value"]), sm.output[0])
