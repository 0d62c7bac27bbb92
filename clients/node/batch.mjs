// The official `openai` Node SDK running an embeddings batch against the gateway (started by NodeClientsTest with a
// WireMock upstream whose vectors encode their input: "17" -> [17, 1]).
// env: GATEWAY_URL (http://127.0.0.1:PORT), GATEWAY_KEY (the master key), MODEL (the model of the batch lines)
import OpenAI from 'openai';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const base = process.env.GATEWAY_URL;
const key = process.env.GATEWAY_KEY;
const model = process.env.MODEL ?? 'echo';
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });
const n = 120;

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}: ${e && e.stack ? e.stack : e}`);
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'batch-'));
const input = path.join(dir, 'input.jsonl');
fs.writeFileSync(input, Array.from({ length: n }, (_, i) => JSON.stringify({
  custom_id: `line-${i}`, method: 'POST', url: '/v1/embeddings',
  body: { model, input: String(i), encoding_format: 'float' },
})).join('\n') + '\n');

let file;
let batch;
await check('files.create uploads the JSONL with purpose batch', async () => {
  file = await client.files.create({ file: fs.createReadStream(input), purpose: 'batch' });
  assert.ok(file.id.startsWith('file-'), file.id);
  assert.equal(file.purpose, 'batch');
  assert.equal(file.filename, 'input.jsonl');
  assert.equal(file.bytes, fs.statSync(input).size);
});

await check('batches.create, then batches.retrieve until completed', async () => {
  batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/embeddings', completion_window: '24h',
    metadata: { run: 'node-sdk' } });
  assert.ok(['validating', 'in_progress'].includes(batch.status), batch.status);
  const deadline = Date.now() + 60_000;
  while (!['completed', 'failed', 'expired', 'cancelled'].includes(batch.status)) {
    assert.ok(Date.now() < deadline, `still ${batch.status}`);
    await new Promise((r) => setTimeout(r, 200));
    batch = await client.batches.retrieve(batch.id);
  }
  assert.equal(batch.status, 'completed', JSON.stringify(batch));
  assert.deepEqual(batch.request_counts, { total: n, completed: n, failed: 0 });
  assert.equal(batch.metadata.run, 'node-sdk');
  assert.equal(batch.error_file_id, null);
});

await check('files.content of the output: every custom_id once with its vector', async () => {
  const res = await client.files.content(batch.output_file_id);
  const lines = (await res.text()).split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
  assert.equal(lines.length, n);
  const seen = new Set();
  for (const l of lines) {
    assert.ok(!seen.has(l.custom_id), `${l.custom_id} twice`);
    seen.add(l.custom_id);
    const i = Number(l.custom_id.slice('line-'.length));
    assert.equal(l.response.status_code, 200);
    assert.equal(l.error, null);
    assert.equal(l.response.body.model, model);
    assert.deepEqual(l.response.body.data[0].embedding, [i, 1]);
  }
  assert.equal(seen.size, n);
});

await check('batches.list and files.retrieve / files.delete', async () => {
  const ids = [];
  for await (const b of client.batches.list({ limit: 10 })) {
    ids.push(b.id);
  }
  assert.ok(ids.includes(batch.id));
  const out = await client.files.retrieve(batch.output_file_id);
  assert.equal(out.purpose, 'batch_output');
  const del = await client.files.delete(file.id);
  assert.equal(del.deleted, true);
  await assert.rejects(client.files.retrieve(file.id), (e) => e instanceof OpenAI.NotFoundError);
});

await check('a cancel of a finished batch is a ConflictError', async () => {
  await assert.rejects(client.batches.cancel(batch.id), (e) => e.status === 409);
});

fs.rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
