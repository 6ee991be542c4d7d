#!/usr/bin/env bash
# Architecture search benchmarks (docs/benchmarks.md, "Architecture search"):
#  1. the regressor search against random search and the AISIS 2019 paper's fixed
#     network at equal budget, over 5 search seeds (1 rank);
#  2. candidate trainings per second and load balance: the same search on
#     2 ranks (must equal the 1-rank one exactly) and in the asynchronous mode;
#  3. combined architecture-and-weight evolution (--weights ga);
#  4. the 3DGAN hyper-parameter search with a budget that fits a 2-core machine.
#
# Usage: bench/run_search.sh [BUILD_DIR] [WORK_DIR]     (about 15 minutes on 2 quiet cores)
#        SEARCH_BENCH_PARTS=throughput bench/run_search.sh ...   (part 2 alone, with a 1-rank reference run:
#        to repeat the timing on a quiet machine; the other parts' results are deterministic)
set -euo pipefail
parts=${SEARCH_BENCH_PARTS:-all}
build=${1:-build}
work=${2:-/tmp/calo3dgan-search-bench}
calo="$build/calo3dgan"
[[ -x "$calo" ]] || { echo "run_search.sh: $calo not found — build calo3dgan" >&2; exit 2; }
src=$(cd "$(dirname "$0")/.." && pwd)
root_flag=()
[[ "$(id -u)" == 0 ]] && root_flag=(--allow-run-as-root)
mpi=(mpirun --oversubscribe "${root_flag[@]}" --bind-to core -x OMP_NUM_THREADS)
export OMP_NUM_THREADS=1
mkdir -p "$work"
data="$work/data"
# 5000 training + 1000 validation + 1000 test showers, 2-500 GeV.
[[ -d "$data" ]] || "$calo" -q simulate -o "$data" --events 7000 --energy 2:500 --seed 11
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
common=(--data "$data" --population 8 --elites 2 --epochs-per-candidate 3 --threads 1 --no-plots)
search=("${common[@]}" --budget 64)

if [[ "$parts" == throughput ]]; then
  echo "== throughput only: 1 rank, 2 ranks, 2 ranks asynchronous (seed 1, search only)" >&2
  for run in one two-ranks async; do rm -rf "$work/tp-$run"; done
  "$calo" -q search "${search[@]}" -o "$work/tp-one" --seed 1
  "${mpi[@]}" -np 2 "$calo" -q search "${search[@]}" -o "$work/tp-two-ranks" --seed 1
  "${mpi[@]}" -np 2 "$calo" -q search "${search[@]}" -o "$work/tp-async" --seed 1 --asynchronous
  python3 - "$work" <<'PY'
import json, os, statistics as st, sys
work = sys.argv[1]
runs = {n: json.load(open(os.path.join(work, f"tp-{n}", "results.json")))["search"] for n in ("one", "two-ranks", "async")}
strip = lambda s: [{k: v for k, v in c.items() if k != "rank"} | {"result": {k: v for k, v in c["result"].items() if k != "seconds"}} for c in s["candidates"]]
print("2 ranks reproduce the 1-rank search exactly:", strip(runs["one"]) == strip(runs["two-ranks"]))
for name, s in runs.items():
    lb = s["load_balance"]
    per_gen = [g["load_balance"] for g in s.get("generations", [])]
    print(f"{name}: {s['evaluations']} candidates in {s['wall_seconds']:.1f} s = {s['candidates_per_second']:.2f}/s; "
          f"training {s['candidate_seconds']:.1f} s; busy {['%.1f' % x for x in lb['rank_busy_seconds']]} s, balance "
          f"{lb['balance']:.3f}, busy fraction {lb['busy_fraction']:.3f}"
          + (f", per-generation balance mean {st.mean(per_gen):.3f} min {min(per_gen):.3f}" if per_gen else "")
          + f"; best test {s['test_error']:.4f}")
PY
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  exit 0
fi

echo "== search vs random search vs the paper's fixed network, 5 seeds" >&2
for seed in 1 2 3 4 5; do
  rm -rf "$work/seed$seed"
  /usr/bin/time -f "seed $seed: %e s wall" "$calo" -q search "${search[@]}" -o "$work/seed$seed" --seed "$seed" \
    --compare random,seed
done

echo "== 2 ranks, generational and asynchronous (seed 1, search only)" >&2
rm -rf "$work/two-ranks" "$work/async"
"${mpi[@]}" -np 2 "$calo" -q search "${search[@]}" -o "$work/two-ranks" --seed 1
"${mpi[@]}" -np 2 "$calo" -q search "${search[@]}" -o "$work/async" --seed 1 --asynchronous

echo "== architecture and weights by the GA (--weights ga), seed 1" >&2
rm -rf "$work/ga"
"$calo" -q search "${common[@]}" -o "$work/ga" --seed 1 --weights ga --budget 32

echo "== 3DGAN training hyper-parameters (model A), 2 ranks" >&2
rm -rf "$work/gan"
/usr/bin/time -f "3dgan search: %e s wall" "${mpi[@]}" -np 2 "$calo" -q search --target 3dgan \
  --config "$src/configs/3dgan-a.toml" --data "$data" -o "$work/gan" --events 5000 --validation-events 500 \
  --test-events 500 --population 4 --elites 2 --budget 8 --steps-per-candidate 4 --threads 1 --no-plots 2>&1 \
  | grep -v "^info: epoch"

python3 - "$work" <<'PY'
import json, os, statistics as st, sys
work = sys.argv[1]
def load(name):
    return json.load(open(os.path.join(work, name, "results.json")))
rows = {"search": [], "random": [], "seed": [], "seed_one": []}
print("seed | search test (val) | random test (val) | seed net, budget (epochs) | seed net, 1 candidate | best architecture")
for seed in range(1, 6):
    r = load(f"seed{seed}")
    s, q, b = r["search"], r["random"], r["seed"]
    rows["search"].append(s["test_error"]); rows["random"].append(q["test_error"])
    rows["seed"].append(b["test_error"]); rows["seed_one"].append(b["one_candidate_test_error"])
    a = s["best"]["result"]["details"]["architecture"]
    layers = " ".join(f"{l['filters']}x{l['kernel']}/{l['stride']}" for l in a["conv_layers"])
    print(f"{seed} | {s['test_error']:.4f} ({s['validation_error']:.4f}) | {q['test_error']:.4f} ({q['validation_error']:.4f}) | "
          f"{b['test_error']:.4f} ({b['best_epochs']}) | {b['one_candidate_test_error']:.4f} | conv {layers}, "
          f"{a['activation']}, hidden {a['hidden_units']}, bias {a['bias']}, lr {a['learning_rate']:.2e}, "
          f"batch {a['batch']}, {s['best']['result']['parameters']} parameters; "
          f"{s['candidates_per_second']:.2f} cand/s, random {q['candidates_per_second']:.2f} cand/s")
for k, v in rows.items():
    print(f"{k}: mean {st.mean(v):.4f}, std {st.stdev(v):.4f}, min {min(v):.4f}, max {max(v):.4f}")
one, two, asy = load("seed1")["search"], load("two-ranks")["search"], load("async")["search"]
strip = lambda s: [{k: v for k, v in c.items() if k != "rank"} | {"result": {k: v for k, v in c["result"].items() if k != "seconds"}} for c in s["candidates"]]
print("2 ranks reproduce the 1-rank search exactly:", strip(one) == strip(two))
for name, s in (("1 rank", one), ("2 ranks", two), ("2 ranks async", asy)):
    lb = s["load_balance"]
    per_gen = [g["load_balance"] for g in s.get("generations", [])]
    print(f"{name}: {s['evaluations']} candidates in {s['wall_seconds']:.1f} s = {s['candidates_per_second']:.2f}/s; "
          f"busy {['%.1f' % x for x in lb['rank_busy_seconds']]} s, balance {lb['balance']:.3f}, busy fraction "
          f"{lb['busy_fraction']:.3f}" + (f", per-generation balance mean {st.mean(per_gen):.3f} min {min(per_gen):.3f}" if per_gen else "")
          + f"; best test {s['test_error']:.4f}")
g = load("ga")["search"]
print(f"GA weights: best test {g['test_error']:.4f} (val {g['validation_error']:.4f}), {g['evaluations']} candidates in "
      f"{g['wall_seconds']:.1f} s, architecture {g['best']['result']['details']['architecture']}")
n = load("gan")["search"]
print(f"3DGAN: {n['evaluations']} candidates in {n['wall_seconds']:.1f} s ({n['candidate_seconds']:.1f} s of training), "
      f"best validation FoM {n['validation_error']:.3f}, test FoM {n['test_error']:.3f}, config {n['best']['result']['details']['config']}")
for c in n["candidates"]:
    print(f"  candidate {c['index']} gen {c['generation']} rank {c['rank']}: val {c['result']['validation_error']:.3f} "
          f"test {c['result']['test_error']:.3f} {c['result']['seconds']:.1f} s {c['result']['details']['config']}")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
