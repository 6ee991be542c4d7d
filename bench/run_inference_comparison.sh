#!/usr/bin/env bash
# Generation speed side by side, in one run on one machine: calo3dgan's
# inference engine (fp32, bf16), calo3dgan's libtorch generator, and the
# PyTorch reference (scripts/reference/bench_generation.py: fp32 and bf16
# autocast), batch 128 and 1, at 1 and 2 threads; then the whole `generate`
# command (HDF5 included) on the engine against the libtorch path.
# Usage: bench/run_inference_comparison.sh BUILD_DIR OUT_DIR [MODEL a|b] [SHOWERS]
set -euo pipefail
build=${1:?build folder}
out=${2:?output folder}
model=${3:-a}
showers=${4:-2048}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
repeats=${REPEATS:-7}
batches=${BATCHES:-128 1}
[ "$model" = b ] && repeats=${REPEATS:-3}
for threads in 1 2; do
  OMP_NUM_THREADS=$threads "$build/bench/bench_inference" --model "$model" --threads "$threads" --batch $batches \
    --repeats "$repeats" --warmup 2 > "$out/calo-$model-$threads.json"
  OMP_NUM_THREADS=$threads /usr/bin/python3 "$root/scripts/reference/bench_generation.py" --model "$model" \
    --threads "$threads" --batch $batches --repeats "$repeats" --warmup 2 > "$out/pytorch-$model-$threads.json" 2>/dev/null
done
"$build/bench/bench_inference" --peak > "$out/peak.json"
CALO3DGAN_INFERENCE_LIBRARY_ONLY=1 "$build/bench/bench_inference" --model "$model" --threads 1 --batch $batches \
  --repeats "$repeats" --warmup 2 --engines fp32 bf16 > "$out/calo-$model-library-only.json"

# The whole command, model file from a seeded random generator (speed does not depend on the weights).
python3_fixture="$out/fixture"
/usr/bin/python3 "$root/scripts/reference/write_model_fixture.py" --model "$model" --out "$python3_fixture" --seed 1234 --batch 2 > /dev/null
"$build/calo3dgan" -q import-keras --model "$model" --generator "$python3_fixture/3dgan-${model}_generator_weights.h5" \
  -o "$out/generator-$model.pt" --overwrite
command_time() {  # seconds of one generate run
  local start=$EPOCHREALTIME
  "$build/calo3dgan" -q generate --checkpoint "$out/generator-$model.pt" -n "$showers" --seed 1 -o "$out/cmd.h5" --overwrite "$@"
  local end=$EPOCHREALTIME
  /usr/bin/python3 -c "print($end - $start)"
}
torch_s=$(command_time --engine torch)
fp32_s=$(command_time --precision fp32)
auto_s=$(command_time --precision auto)
rm -f "$out/cmd.h5"
"$build/calo3dgan" -q export --checkpoint "$out/generator-$model.pt" -o "$out/generator-$model.h5" --overwrite
"$build/bench/bench_inference" --memory --precision fp32 --model-file "$out/generator-$model.h5" > "$out/memory-fp32.json"
"$build/bench/bench_inference" --memory --precision auto --model-file "$out/generator-$model.h5" > "$out/memory-auto.json"

/usr/bin/python3 - "$out" "$model" "$showers" "$torch_s" "$fp32_s" "$auto_s" <<'PY'
import json, platform, subprocess, sys
out, model, showers = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch_s, fp32_s, auto_s = map(float, sys.argv[4:7])
rows = []
for threads in (1, 2):
    for name in (f"calo-{model}-{threads}", f"pytorch-{model}-{threads}"):
        rows += json.load(open(f"{out}/{name}.json"))["results"]
library_only = json.load(open(f"{out}/calo-{model}-library-only.json"))["results"]
def ms(engine, threads, batch, table=rows):
    for r in table:
        if r["engine"] == engine and r["threads"] == threads and r["batch"] == batch:
            return r["ms_per_shower"]
    return None
cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
model_name = next((l.split(":", 1)[1].strip() for l in cpu.splitlines() if l.startswith("Model name")), "?")
flags = next((l.split(":", 1)[1].split() for l in cpu.splitlines() if l.startswith("Flags")), [])
relevant = [f for f in flags if f.startswith(("avx512", "amx", "avx2", "fma"))]
print(f"machine: {model_name}, {len(open('/proc/cpuinfo').read().split('processor')) - 1} vCPUs; flags {' '.join(relevant)}")
print()
print("| threads | batch | PyTorch fp32 | PyTorch bf16 autocast | calo3dgan libtorch | engine fp32 | engine bf16 | fp32 / PyTorch fp32 | bf16 / PyTorch bf16 |")
print("|---|---|---|---|---|---|---|---|---|")
summary = []
batches = sorted({r["batch"] for r in rows}, reverse=True)
peak = json.load(open(f"{out}/peak.json"))
for threads in (1, 2):
    for batch in batches:
        p32, p16 = ms("pytorch-fp32", threads, batch), ms("pytorch-bf16", threads, batch)
        t, e32, e16 = ms("torch", threads, batch), ms("fp32", threads, batch), ms("bf16", threads, batch)
        f = lambda v: f"{v:.3f}" if v else "-"
        r32 = p32 / e32 if p32 and e32 else None
        r16 = p16 / e16 if p16 and e16 else None
        print(f"| {threads} | {batch} | {f(p32)} | {f(p16)} | {f(t)} | {f(e32)} | {f(e16)} | "
              f"{f'{r32:.1f}x' if r32 else '-'} | {f'{r16:.1f}x' if r16 else '-'} |")
        summary.append(dict(threads=threads, batch=batch, pytorch_fp32=p32, pytorch_bf16=p16, calo_torch=t,
                            engine_fp32=e32, engine_bf16=e16, fp32_speedup=r32, bf16_speedup=r16))
print()
macs = next((r["multiply_adds_per_shower"] for r in rows if "multiply_adds_per_shower" in r), None)
print(f"peak per core (measured FMA / dot-product chains): fp32 {peak['fp32_gflops_per_core']:.0f} GFLOP/s, "
      f"bf16 {peak['bf16_gflops_per_core']:.0f} GFLOP/s; engine multiply-adds per shower {macs / 1e6:.1f} M")
for s in summary:
    for p, key in (("fp32", "engine_fp32"), ("bf16", "engine_bf16")):
        if s[key]:
            rate = 2 * macs / (s[key] * 1e-3) * 1e-9
            print(f"  {p} {s['threads']} thread(s) batch {s['batch']}: {rate:.0f} GFLOP/s = "
                  f"{100 * rate / (s['threads'] * peak[p + '_gflops_per_core']):.0f} % of peak")
print()
print("last layer on oneDNN instead of the hand-written kernel (1 thread, ms per shower):",
      {f"{r['engine']} batch {r['batch']}": round(r["ms_per_shower"], 3) for r in library_only})
print(f"whole command, {showers} showers, all cores: --engine torch {torch_s:.1f} s ({showers / torch_s:.0f}/s), "
      f"engine fp32 {fp32_s:.1f} s ({showers / fp32_s:.0f}/s, {torch_s / fp32_s:.1f}x), "
      f"engine auto {auto_s:.1f} s ({showers / auto_s:.0f}/s, {torch_s / auto_s:.1f}x)")
mem = {p: json.load(open(f"{out}/memory-{p}.json")) for p in ("fp32", "auto")}
for p, m in mem.items():
    print(f"memory ({m['precision']}): +{m['added_by_model_mb']:.1f} MB holding the model, "
          f"+{m['added_with_generation_mb']:.1f} MB peak after generating 128 showers "
          f"(of which {m['output_buffer_mb']:.1f} MB the caller's output)")
json.dump(dict(machine=model_name, flags=relevant, model=model, table=summary, library_only=library_only, peak=peak,
               multiply_adds_per_shower=macs,
               command=dict(showers=showers, torch_s=torch_s, engine_fp32_s=fp32_s, engine_auto_s=auto_s),
               memory=mem), open(f"{out}/inference_comparison_{model}.json", "w"), indent=2)
PY
