// Run an ONNX model in ONNX Runtime (CPU, onnxruntime-node) on raw float32
// inputs, for the calo3dgan export tests and the benchmark.
//
//   node run_onnx.mjs --model M.onnx --input NAME=SOURCE:D0,D1,... [--input ...]
//                     [--out DIR] [--threads T] [--repeat R] [--warmup W]
//
// SOURCE is a file of little-endian float32 values (C order), `normal` (seeded
// standard normal values) or a number (every value equal to it).
// With --out, each output is written to DIR/NAME.f32 and DIR/outputs.json
// lists the session's input and output names and the output shapes.
// With --repeat R > 0, the model runs W + R times and a JSON line with the
// median and minimum milliseconds per run goes to stdout.
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';

function parseArgs(argv) {
  const args = { inputs: [], threads: 1, repeat: 0, warmup: 2 };
  for (let i = 0; i < argv.length; ++i) {
    const key = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${key} needs a value`);
    ++i;
    if (key === '--model') args.model = value;
    else if (key === '--input') args.inputs.push(value);
    else if (key === '--out') args.out = value;
    else if (key === '--threads') args.threads = Number(value);
    else if (key === '--repeat') args.repeat = Number(value);
    else if (key === '--warmup') args.warmup = Number(value);
    else throw new Error(`unknown option ${key}`);
  }
  if (!args.model) throw new Error('--model is required');
  return args;
}

// Small deterministic generator (mulberry32 + Box-Muller): benchmark inputs only.
function normalValues(count, seed) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; ++i) {
    out[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  }
  return out;
}

function readInput(spec, index) {
  const eq = spec.indexOf('=');
  const colon = spec.lastIndexOf(':');
  if (eq < 0 || colon < eq) throw new Error(`bad --input ${spec}: use NAME=SOURCE:D0,D1,...`);
  const name = spec.slice(0, eq);
  const source = spec.slice(eq + 1, colon);
  const dims = spec.slice(colon + 1).split(',').map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  let data;
  if (source === 'normal') {
    data = normalValues(count, 12345 + index);
  } else if (source !== '' && !Number.isNaN(Number(source))) {
    data = new Float32Array(count).fill(Number(source));
  } else {
    const bytes = fs.readFileSync(source);
    if (bytes.length !== count * 4) {
      throw new Error(`${source} has ${bytes.length / 4} floats, ${name} of shape [${dims}] needs ${count}`);
    }
    data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  }
  return [name, new ort.Tensor('float32', data, dims)];
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const session = await ort.InferenceSession.create(args.model, {
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = Object.fromEntries(args.inputs.map((spec, i) => readInput(spec, i)));
  if (args.out) {
    const results = await session.run(feeds);
    fs.mkdirSync(args.out, { recursive: true });
    const shapes = {};
    for (const name of session.outputNames) {
      const tensor = results[name];
      shapes[name] = tensor.dims;
      const data = Float32Array.from(tensor.data);
      fs.writeFileSync(path.join(args.out, `${name}.f32`), Buffer.from(data.buffer));
    }
    const summary = {
      onnxruntime: ort.env.versions.common,
      inputs: session.inputNames,
      outputs: session.outputNames,
      shapes,
    };
    fs.writeFileSync(path.join(args.out, 'outputs.json'), JSON.stringify(summary));
  }
  if (args.repeat > 0) {
    for (let i = 0; i < args.warmup; ++i) await session.run(feeds);
    const times = [];
    for (let i = 0; i < args.repeat; ++i) {
      const start = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    console.log(JSON.stringify({
      model: args.model, onnxruntime: ort.env.versions.common, threads: args.threads,
      repeat: args.repeat, median_ms: median(times), min_ms: Math.min(...times),
    }));
  }
}

main().catch((error) => {
  console.error(`run_onnx: ${error.message}`);
  process.exit(1);
});
