"""riverfish: fish eDNA (MiFish 12S) monitoring of river basins.

The library behind the Snakemake workflow: pure functions that the workflow's
scripts call, each unit-tested on small hand-made inputs.
"""

__version__ = "0.2.0"
