#!/usr/bin/env bash
# fp32 training losses step by step over 20 steps of two calo3dgan builds
# (for example the one before a change and the one after), dropout off
# (KEEP_DROPOUT=1 keeps it, for builds with the same dropout masks), next to the first build against itself on 1 thread instead of 2: the size
# of float reassociation alone (docs/training-performance.md, "Checks").
# MODEL=b runs model B (simulated 51x51x25 showers at 60-120 degrees).
set -e
if [[ $# -lt 2 ]]; then echo "usage: bench/run_loss_equivalence.sh OLD_CALO3DGAN NEW_CALO3DGAN [WORK_DIR]" >&2; exit 2; fi
old=$1; new=$2
d=${3:-$(mktemp -d)}; mkdir -p "$d"  # simulated data and the three runs
model=${MODEL:-a}
format=""; [[ $model == b ]] && format="--format b --theta 60:120"
$new -q simulate -o $d/data --events 120 --energy 10:500 --seed 21 $format
nodrop=""; [[ ${KEEP_DROPOUT:-0} == 1 ]] || nodrop="--set discriminator.blocks.0.dropout=0 --set discriminator.blocks.1.dropout=0 --set discriminator.blocks.2.dropout=0 --set discriminator.blocks.3.dropout=0"
run() { OMP_NUM_THREADS=$2 $1 -q train --data $d/data -o $d/$3 --threads $2 --batch 4 --steps 20 --batches-per-epoch 1 --test-events 8 --seed 3 --config $model $nodrop; }
run $old 2 old_t2; run $old 1 old_t1; run $new 2 new_t2
/usr/bin/python3 - "$d" <<'PY'
import json, sys
d = sys.argv[1]
h = {k: json.load(open(f"{d}/{k}/history.json")) for k in ("old_t2", "old_t1", "new_t2")}
keys = ("discriminator_real", "discriminator_fake", "generator")
def rel(a, b, i, k): x, y = a[i]["train"][k]["total"], b[i]["train"][k]["total"]; return abs(x - y) / abs(x)
print("step | old vs new (2 threads): D real, D fake, G | old 2 vs 1 thread: D real, D fake, G")
for i in range(len(h["old_t2"])):
    a = [rel(h["old_t2"], h["new_t2"], i, k) for k in keys]; b = [rel(h["old_t2"], h["old_t1"], i, k) for k in keys]
    print(f"{i+1:4d} | " + " ".join(f"{v:.1e}" for v in a) + " | " + " ".join(f"{v:.1e}" for v in b))
PY
