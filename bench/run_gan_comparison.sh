#!/usr/bin/env bash
# Side-by-side benchmark of the C++ 3DGAN (bench/bench_gan.cc) and the PyTorch
# reference (scripts/reference/bench_reference.py): training real samples/s
# and generated showers/s, same model, loop, batch, data and thread count,
# in one invocation. Writes bench/results/gan_comparison.{json,md}
# (gan_comparison_bf16.* with --precision bf16: PyTorch's bf16 autocast).
#
#   bench/run_gan_comparison.sh [--build-dir build-bench] [--threads "2 1"]
#       [--device cpu|cuda] [--precision fp32|bf16] [--batch-a 16] [--warmup 3] [--steps 5]
#       [--gen-batch 128] [--gen-warmup 1] [--gen-steps 3]
#       [--with-b] [--batch-b 8] [--out-dir bench/results]
#
# Build first:  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release && cmake --build build-bench -j2 --target bench_gan
# The reference needs Debian's /usr/bin/python3 (torch 1.13, h5py, numpy);
# override with PYTHON=... . For each (model, thread count) both programs
# start together and take turns step by step through named pipes (C++ step 1,
# PyTorch step 1, PyTorch step 2, C++ step 2, ...; never both at once), so
# that both sides see the same host load; OMP_NUM_THREADS, MKL_NUM_THREADS
# and torch's intra-op threads are all N. Model A alone (threads 2 and 1)
# takes about 5 minutes on the 2-core machine; --with-b adds model B (batch 8,
# 2 warm-up + 3 timed steps, generation at batch 128 with 1 warm-up + 2 timed
# calls) at the first thread count only, about 3 more minutes. Results and
# discussion: docs/benchmarks.md.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=build-bench
threads_list="2 1"
device=cpu
precision=fp32
batch_a=16
batch_b=8
warmup=3
steps=5
gen_batch=128
gen_warmup=1
gen_steps=3
with_b=0
out_dir=bench/results
python=${PYTHON:-/usr/bin/python3}
command_line="bench/run_gan_comparison.sh $*"

while [[ $# -gt 0 ]]; do
  case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --threads) threads_list=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --precision) precision=$2; shift 2 ;;
    --batch-a) batch_a=$2; shift 2 ;;
    --batch-b) batch_b=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --gen-batch) gen_batch=$2; shift 2 ;;
    --gen-warmup) gen_warmup=$2; shift 2 ;;
    --gen-steps) gen_steps=$2; shift 2 ;;
    --with-b) with_b=1; shift ;;
    --out-dir) out_dir=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "run_gan_comparison.sh: unknown option '$1' — see --help" >&2; exit 2 ;;
  esac
done

cd "$root"
bench_gan=$build_dir/bench/bench_gan
if [[ ! -x $bench_gan ]]; then
  echo "run_gan_comparison.sh: $bench_gan not found — build it: cmake -S . -B $build_dir -DCMAKE_BUILD_TYPE=Release && cmake --build $build_dir -j2 --target bench_gan" >&2
  exit 1
fi
if ! "$python" -c 'import torch, h5py, numpy' 2>/dev/null; then
  echo "run_gan_comparison.sh: $python cannot import torch, h5py and numpy — use Debian's /usr/bin/python3 or set PYTHON" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/gan_comparison.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out_dir"

# The same simulated showers for both sides; enough training events (90 %) for
# every step without wrapping around.
events_for() { echo $(( ($2 + $3) * $1 * 10 / 9 + 16 )); }
"$bench_gan" write-data --model a --events "$(events_for "$batch_a" "$warmup" "$steps")" --out "$work/showers_a.h5"
cases="a $batch_a $warmup $steps $gen_warmup $gen_steps $threads_list"
if [[ $with_b == 1 ]]; then
  "$bench_gan" write-data --model b --events "$(events_for "$batch_b" 2 3)" --out "$work/showers_b.h5"
  cases="$cases;b $batch_b 2 3 1 2 ${threads_list%% *}"
fi

cat > "$work/orchestrate.py" <<'EOF'
"""Run both sides of each case in turns, then write the JSON and markdown."""
import datetime, json, os, platform, subprocess, sys, time

(work, out_dir, command, bench_gan, python, device, gen_batch, cases, precision) = sys.argv[1:10]
STEM = "gan_comparison" if precision == "fp32" else f"gan_comparison_{precision}"


def probe():
    """Host-contention probe: wall/CPU time of a 1-thread busy loop (1.0 on
    an idle host; this virtual machine's vCPUs are shared with other guests)."""
    t, c = time.perf_counter(), time.process_time()
    x = 0
    for i in range(10_000_000):
        x += i
    return round((time.perf_counter() - t) / (time.process_time() - c), 2)


def open_write(path, proc):
    """Open a pipe for writing once the child has opened it for reading."""
    while True:
        try:
            return os.fdopen(os.open(path, os.O_WRONLY | os.O_NONBLOCK), "w", buffering=1)
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"{proc.args[0]} exited with {proc.returncode} before the first step — "
                                 f"see {proc.stderr_path}")
            time.sleep(0.05)


def run_case(model, batch, warmup, steps, gen_warmup, gen_steps, threads):
    tag = f"{model}_t{threads}"
    args = ["--model", model, "--data", f"{work}/showers_{model}.h5", "--threads", str(threads),
            "--batch", str(batch), "--warmup", str(warmup), "--steps", str(steps), "--gen-batch", gen_batch,
            "--gen-warmup", str(gen_warmup), "--gen-steps", str(gen_steps), "--device", device,
            "--precision", precision]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    sides = {}
    for side, cmd in (("cxx", [bench_gan, "run"]), ("pytorch", [python, "scripts/reference/bench_reference.py"])):
        fifo_in, fifo_out = f"{work}/{side}_{tag}.in", f"{work}/{side}_{tag}.out"
        os.mkfifo(fifo_in)
        os.mkfifo(fifo_out)
        out = open(f"{work}/{side}_{tag}.json", "w")
        err_path = f"{work}/{side}_{tag}.err"
        proc = subprocess.Popen(cmd + args + ["--turn-in", fifo_in, "--turn-out", fifo_out], stdout=out,
                                stderr=open(err_path, "w"), env=env)
        proc.stderr_path = err_path
        sides[side] = (proc, fifo_in, fifo_out, out)
    pipes = {}
    for side, (proc, fifo_in, fifo_out, _) in sides.items():
        pipes[side] = (open_write(fifo_in, proc), open(fifo_out))
    units = (warmup + steps if steps > 0 else 0) + (gen_warmup + gen_steps if gen_steps > 0 else 0)
    print(f"[{time.strftime('%T')}] model {model.upper()}, {threads} thread(s): {units} turns per side",
          file=sys.stderr, flush=True)
    for k in range(units):
        for side in (("cxx", "pytorch") if k % 2 == 0 else ("pytorch", "cxx")):
            go, done = pipes[side]
            go.write("go\n")
            if not done.readline():
                proc = sides[side][0]
                proc.wait()
                sys.stderr.write(open(proc.stderr_path).read())
                raise SystemExit(f"{side} side of model {model} exited with {proc.returncode} during turn {k}")
    results = {}
    for side, (proc, _, _, out) in sides.items():
        if proc.wait() != 0:
            sys.stderr.write(open(proc.stderr_path).read())
            raise SystemExit(f"{side} side of model {model} exited with {proc.returncode}")
        out.close()
        results[side] = json.load(open(f"{work}/{side}_{tag}.json"))
    results["cxx"].pop("parallel_info", None)
    return results


def median(values):
    v = sorted(values)
    if not v:
        return None
    m = len(v) // 2
    return v[m] if len(v) % 2 else 0.5 * (v[m - 1] + v[m])


def summarize(model, res):
    cxx, py = res["cxx"], res["pytorch"]

    def rate(r, key_t, per_unit):
        t = median(r[key_t]) if r[key_t] else None
        return per_unit / t if t else None

    def ratio(a, b):
        return a / b if a and b else None

    for r in (cxx, py):
        r["train_step_total_seconds"] = [a + b for a, b in zip(r["load_seconds"], r["step_seconds"])]
        per_step = r["train_samples"] / len(r["step_seconds"]) if r["step_seconds"] else 0
        r["train_samples_per_s_median"] = rate(r, "train_step_total_seconds", per_step)
        r["gen_showers_per_s_median"] = rate(r, "gen_call_seconds", r["gen_batch"])
    # Paired: step i of one side ran right next to step i of the other.
    per_step_c = cxx["train_samples"] / max(1, len(cxx["step_seconds"]))
    per_step_p = py["train_samples"] / max(1, len(py["step_seconds"]))
    paired_train = [(per_step_c / c) / (per_step_p / p)
                    for c, p in zip(cxx["train_step_total_seconds"], py["train_step_total_seconds"])]
    paired_gen = [p / c for c, p in zip(cxx["gen_call_seconds"], py["gen_call_seconds"])]
    return {
        "model": model, "threads": cxx["threads"], "batch": cxx["batch"], "gen_batch": cxx["gen_batch"],
        "cxx": cxx, "pytorch": py,
        "paired_train_ratios": paired_train,
        "paired_gen_ratios": paired_gen,
        "ratio_train_paired_median": median(paired_train),
        "ratio_train_samples_per_s_median": ratio(cxx["train_samples_per_s_median"], py["train_samples_per_s_median"]),
        "ratio_train_samples_per_s_mean": ratio(cxx["train_samples_per_s"], py["train_samples_per_s"]),
        "ratio_train_samples_per_cpu_s": ratio(cxx["train_samples_per_cpu_s"], py["train_samples_per_cpu_s"]),
        "ratio_gen_paired_median": median(paired_gen),
        "ratio_gen_showers_per_s_median": ratio(cxx["gen_showers_per_s_median"], py["gen_showers_per_s_median"]),
        "ratio_gen_showers_per_s_mean": ratio(cxx["gen_showers_per_s"], py["gen_showers_per_s"]),
        "ratio_gen_showers_per_cpu_s": ratio(cxx["gen_showers_per_cpu_s"], py["gen_showers_per_cpu_s"]),
    }


def machine_info():
    def first(path, prefix):
        with open(path) as f:
            for line in f:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    return {
        "cpu": first("/proc/cpuinfo", "model name"), "nproc": os.cpu_count(),
        "memory_gib": round(int(first("/proc/meminfo", "MemTotal").split()[0]) / 2**20, 1),
        "kernel": platform.release(), "python": platform.python_version(),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"), "git_revision": rev,
    }


def fmt(x, digits=3):
    return "—" if x is None else f"{x:.{digits}g}"


def main():
    start = time.time()
    probe_before = probe()
    summaries = []
    for case in cases.split(";"):
        model, batch, warmup, steps, gen_warmup, gen_steps, *threads_list = case.split()
        for threads in threads_list:
            res = run_case(model, int(batch), int(warmup), int(steps), int(gen_warmup), int(gen_steps), int(threads))
            summaries.append(summarize(model, res))
    elapsed = round(time.time() - start)
    machine = machine_info()
    machine["contention_probe_wall_over_cpu"] = [probe_before, probe()]
    machine["libtorch"] = summaries[0]["cxx"]["torch_version"]
    machine["pytorch"] = summaries[0]["pytorch"]["torch_version"]
    machine["device"] = device
    if device != "cpu":
        gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True).stdout.strip().splitlines()
        machine["gpu"] = gpu[0] if gpu else None
    result = {"command": command, "elapsed_seconds": elapsed, "machine": machine, "cases": summaries}
    with open(os.path.join(out_dir, f"{STEM}.json"), "w") as f:
        json.dump(result, f, indent=2)

    lines = [
        "# 3DGAN C++ vs PyTorch (generated by bench/run_gan_comparison.sh)",
        "",
        f"- command: `{command}` ({elapsed} s)",
        f"- machine: {machine['cpu']}, {machine['nproc']} cores, {machine['memory_gib']} GiB, "
        f"libtorch {machine['libtorch']} (C++), torch {machine['pytorch']} (Python {machine['python']}), "
        f"device {device}" + (f" ({machine['gpu']})" if machine.get("gpu") else ""),
        f"- date: {machine['date']}, git {machine['git_revision']}; host-contention probe (wall/CPU of a "
        f"1-thread loop, 1.0 = idle host) before/after: {machine['contention_probe_wall_over_cpu']}",
        "",
        "Both sides run in turns, step by step. Rates: from the median timed step (call). C++/PyTorch: the median",
        "over the pairs of neighbouring steps (calls), then from the mean over the timed steps, then per CPU-second",
        "(process CPU time of all threads, which leaves out time the host gave to other guests).",
        "",
        "| model | threads | quantity | C++ | PyTorch | C++/PyTorch (paired median) | (mean) | (per CPU-s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in summaries:
        x, p = c["cxx"], c["pytorch"]
        lines.append(
            f"| {c['model'].upper()} | {c['threads']} | training real samples/s (batch {c['batch']}, "
            f"{x['timed_steps']} timed steps after {x['warmup_steps']}) | {fmt(x['train_samples_per_s_median'])} | "
            f"{fmt(p['train_samples_per_s_median'])} | **{fmt(c['ratio_train_paired_median'])}** | "
            f"{fmt(c['ratio_train_samples_per_s_mean'])} | {fmt(c['ratio_train_samples_per_cpu_s'])} |")
        lines.append(
            f"| {c['model'].upper()} | {c['threads']} | generated showers/s (batch {c['gen_batch']}, "
            f"{x['gen_timed_calls']} timed calls after {x['gen_warmup_calls']}) | "
            f"{fmt(x['gen_showers_per_s_median'])} | {fmt(p['gen_showers_per_s_median'])} | "
            f"**{fmt(c['ratio_gen_paired_median'])}** | {fmt(c['ratio_gen_showers_per_s_mean'])} | "
            f"{fmt(c['ratio_gen_showers_per_cpu_s'])} |")
    lines += [
        "",
        "| model | threads | side | data load s/step | train step s (each timed step) | warm-up steps s | "
        "generation s (each timed call) | train CPU s/sample |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in summaries:
        for side in ("cxx", "pytorch"):
            r = c[side]

            def listing(key):
                return ", ".join(f"{s:.3g}" for s in r.get(key) or [])

            cpu = r["train_cpu_seconds"] / r["train_samples"] if r["train_samples"] else None
            lines.append(
                f"| {c['model'].upper()} | {c['threads']} | {'C++' if side == 'cxx' else 'PyTorch'} | "
                f"{fmt(r['load_seconds_per_step'], 2)} | {listing('step_seconds')} | "
                f"{listing('warmup_step_seconds')} | {listing('gen_call_seconds')} | {fmt(cpu, 3)} |")
    with open(os.path.join(out_dir, f"{STEM}.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


main()
EOF

"$python" "$work/orchestrate.py" "$work" "$out_dir" "$command_line" "$bench_gan" "$python" "$device" "$gen_batch" "$cases" "$precision"
