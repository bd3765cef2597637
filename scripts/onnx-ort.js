// Run an ONNX model in ONNX Runtime (onnxruntime-node, CPU, all graph
// optimisations, 1 thread) on a batch of inputs, one sample at a time.
// usage: NODE_PATH=<dir holding onnxruntime-node> node onnx-ort.js MODEL.onnx IN.f32 D1,D2,D3 OUT.f32
// IN.f32 holds N samples of shape [1,D1,D2,D3] (raw little-endian float32);
// OUT.f32 gets the N outputs, concatenated.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [modelPath, inPath, dims, outPath] = process.argv.slice(2);
  const shape = [1, ...dims.split(',').map(Number)];
  const per = shape.reduce((a, b) => a * b, 1);
  const b = fs.readFileSync(inPath);
  const x = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  const sess = await ort.InferenceSession.create(modelPath, {
    graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
  });
  const outs = [];
  for (let i = 0; i < x.length / per; i++) {
    const t = new ort.Tensor('float32', x.slice(i * per, (i + 1) * per), shape);
    const r = await sess.run({ [sess.inputNames[0]]: t });
    outs.push(Buffer.from(r[sess.outputNames[0]].data.buffer.slice(0)));
  }
  fs.writeFileSync(outPath, Buffer.concat(outs));
}

main().catch((e) => { console.error(e); process.exit(1); });
