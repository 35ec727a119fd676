// ONNX Runtime (CPU) as a peer for scripts/bench_vs_peer.sh: times MODEL on
// a fixed pseudo-random input, 1 and then 2 intra-op threads, and prints
// "onnxruntime threads=T runs=N median=X min=Y" (ms) per thread count.
// usage: NODE_PATH=ORT_DIR/node_modules node scripts/onnxruntime_peer.js MODEL [RUNS]
// (ORT_DIR: where `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.31.1` ran)
const ort = require('onnxruntime-node');
(async () => {
  const model = process.argv[2], runs = parseInt(process.argv[3] || '20');
  for (const threads of [1, 2]) {
    const s = await ort.InferenceSession.create(model, {intraOpNumThreads: threads,
      interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all'});
    const shape = s.inputMetadata[0].shape.map(d => (typeof d === 'number' && d > 0 ? d : 1));
    const n = shape.reduce((a, b) => a * b, 1);
    const x = new Float32Array(n);
    let r = 12345;
    for (let i = 0; i < n; i++) { r = (r * 1664525 + 1013904223) >>> 0; x[i] = (r >>> 8) / 16777216 * 4 - 2; }
    const feeds = {};
    feeds[s.inputNames[0]] = new ort.Tensor('float32', x, shape);
    for (let k = 0; k < 2 + (runs / 10 | 0); k++) await s.run(feeds); // warm-up
    const t = [];
    for (let k = 0; k < runs; k++) {
      const t0 = process.hrtime.bigint();
      await s.run(feeds);
      t.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    t.sort((a, b) => a - b);
    console.log(`onnxruntime threads=${threads} runs=${runs} median=${t[t.length >> 1].toFixed(3)} min=${t[0].toFixed(3)}`);
    await s.release();
  }
})().catch(e => { console.error(e.message || e); process.exit(1); });
