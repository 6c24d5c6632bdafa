# riverfish: fish eDNA (MiFish 12S) monitoring of river basins.
# Reads of each campaign -> exact sequence variants -> taxa -> detections -> tallies.
from snakemake.utils import min_version

min_version("9.0")


# The bundled example unless a config is given with --configfile (which then stands alone:
# its campaigns are not merged with the example's).
if not workflow.config_settings.configfiles:

    configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/reads.smk"
include: "workflow/rules/asvs.smk"
include: "workflow/rules/reference.smk"
include: "workflow/rules/classify.smk"
include: "workflow/rules/controls.smk"
include: "workflow/rules/qc.smk"
include: "workflow/rules/tallies.smk"
include: "workflow/rules/stats.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/export.smk"


rule all:
    default_target: True
    input:
        all_targets(),
