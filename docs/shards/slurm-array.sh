#!/bin/sh
# One archive verified by the 4 tasks of a Slurm job array (docs/shards/README.md):
#   sbatch docs/shards/slurm-array.sh
# Each task reads the whole archive and verifies every 4th message; multimail takes its shard
# from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT. Merge afterwards:
#   multimail report merge out/shard-0.ndjson out/shard-1.ndjson out/shard-2.ndjson out/shard-3.ndjson
#SBATCH --job-name=multimail-verify
#SBATCH --array=0-3
#SBATCH --cpus-per-task=2
#SBATCH --output=out/slurm-%A_%a.log

ARCHIVE=${ARCHIVE:-archive}
KEYS=${KEYS:-keys.json}
OUT=${OUT:-out}
mkdir -p "$OUT"
multimail verify --keys "$KEYS" --ndjson --ordered --quiet "$ARCHIVE" > "$OUT/shard-$SLURM_ARRAY_TASK_ID.ndjson"
code=$?
# 1 means some message failed verification, which the merged report shows: the task still succeeded
[ "$code" -le 1 ]
