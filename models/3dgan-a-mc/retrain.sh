#!/bin/sh
# Retrains the shipped model from scratch: the data, the sampling-fraction fit,
# the training, the epoch choice, the export and the validation, with the seeds
# and settings of the shipped run (README.md here). Needs about 14 GB of disk
# for the data and, on 2 cores, days of training (README.md, "Cost").
#
#   models/3dgan-a-mc/retrain.sh WORK_DIR [EPOCHS]
#
# A run stopped at any point continues where it stopped when started again.
set -eu
work=${1:?usage: retrain.sh WORK_DIR [EPOCHS]}
epochs=${2:-1000}
here=$(cd "$(dirname "$0")" && pwd)
calo=${CALO3DGAN:-$here/../../build/calo3dgan}
mkdir -p "$work"

# 200,000 training showers (the last 10 % are the run's test split) and 20,000
# showers for the final validation, from other seeds: the training never sees them.
[ -f "$work/ele-a/EleEscan_019.h5" ] ||
    "$calo" simulate -o "$work/ele-a" --events 200000 --energy 10:500 --format a --seed 11 --overwrite
[ -f "$work/ele-a-valid/EleEscan_001.h5" ] ||
    "$calo" simulate -o "$work/ele-a-valid" --events 20000 --energy 10:500 --format a --seed 12 --overwrite

# The fakes' ECAL targets: the Monte Carlo's own sampling fraction, fitted on
# the training split (the first 180,000 showers); this prints the --set line below.
"$calo" inspect "$work"/ele-a/EleEscan_00?.h5 "$work"/ele-a/EleEscan_01[0-7].h5 --fit-sampling-fraction 4 | tail -4

resume=""
[ -f "$work/run/latest" ] && resume="--resume"
"$calo" train --config a --data "$work/ele-a" -o "$work/run" $resume \
    --precision bf16 --seed 1 \
    --set 'train.sampling_fraction=[0.00207334, -0.0258049, 0.118933, -0.27496, 2.15195]' \
    --epochs "$epochs" --batches-per-epoch 150 --checkpoint-every 25 \
    --test-events 2000 --validate-every 1 --validate-events 2000

"$calo" validate --run "$work/run" --select-epoch --reference "$work/ele-a-valid" -o "$work/report" --overwrite
best=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["epoch_selection"]["checkpoint"])' \
    "$work/report/metrics.json")
"$calo" export --checkpoint "$best" -o "$work/generator.h5" --overwrite
