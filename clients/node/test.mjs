// Real Node clients against a running gateway (started by NodeClientsTest with the local model).
// env: GATEWAY_URL (http://127.0.0.1:PORT), GATEWAY_KEY (the master key), MODEL (default all-minilm-l6-v2)
import OpenAI, { AzureOpenAI } from 'openai';
import { OpenAIEmbeddings } from '@langchain/openai';
import assert from 'node:assert/strict';

const base = process.env.GATEWAY_URL;
const key = process.env.GATEWAY_KEY;
const model = process.env.MODEL ?? 'all-minilm-l6-v2';
const texts = ['A man is eating food.', 'A man is eating a piece of bread.', 'A man is riding a horse.',
  'Ein Mann isst.', 'emoji 😀 and 日本語'];

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

// the gateway's own float answer, by plain HTTP
async function floats(input) {
  const r = await fetch(`${base}/v1/embeddings`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
    body: JSON.stringify({ model, input, encoding_format: 'float' }),
  });
  assert.equal(r.status, 200);
  const body = await r.json();
  return body.data.map((d) => d.embedding);
}

function assertSameVectors(actual, expected) {
  assert.equal(actual.length, expected.length, 'vector count');
  for (let i = 0; i < expected.length; i++) {
    assert.equal(actual[i].length, expected[i].length, `length of vector ${i}`);
    for (let j = 0; j < expected[i].length; j++) {
      assert.ok(Math.abs(actual[i][j] - expected[i][j]) <= 1e-7, `vector ${i}[${j}]: ${actual[i][j]} != ${expected[i][j]}`);
    }
  }
}

const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });
const expected = await floats(texts);

await check('openai: default create (base64 under the hood) gives float vectors of 384', async () => {
  const r = await client.embeddings.create({ model, input: texts });
  assert.equal(r.object, 'list');
  assert.equal(r.model, model);
  assert.deepEqual(r.data.map((d) => d.index), [0, 1, 2, 3, 4]);
  assertSameVectors(r.data.map((d) => Array.from(d.embedding)), expected);
  assert.ok(r.usage.prompt_tokens > 0);
});

await check('openai: explicit float', async () => {
  const r = await client.embeddings.create({ model, input: texts[2], encoding_format: 'float' });
  assertSameVectors(r.data.map((d) => d.embedding), [expected[2]]);
});

await check('openai: explicit base64 string decodes to the floats', async () => {
  const r = await client.embeddings.create({ model, input: texts[0], encoding_format: 'base64' });
  const buf = Buffer.from(r.data[0].embedding, 'base64');
  const v = Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4));
  assertSameVectors([v], [expected[0]]);
});

await check('openai: dimensions equal to the native size is accepted', async () => {
  const r = await client.embeddings.create({ model, input: texts[1], dimensions: 384 });
  assertSameVectors(r.data.map((d) => Array.from(d.embedding)), [expected[1]]);
});

await check('openai: unsupported dimensions is a 400 BadRequestError on param dimensions', async () => {
  await assert.rejects(client.embeddings.create({ model, input: 'x', dimensions: 64 }), (e) => {
    assert.ok(e instanceof OpenAI.BadRequestError, `got ${e?.constructor?.name}`);
    assert.equal(e.status, 400);
    assert.equal(e.param, 'dimensions');
    return true;
  });
});

await check('openai: unknown model is a 404 NotFoundError with code model_not_found', async () => {
  await assert.rejects(client.embeddings.create({ model: 'no-such-model', input: 'x' }), (e) => {
    assert.ok(e instanceof OpenAI.NotFoundError, `got ${e?.constructor?.name}`);
    assert.equal(e.code, 'model_not_found');
    return true;
  });
});

await check('openai: a bad key is a 401 AuthenticationError', async () => {
  const bad = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
  await assert.rejects(bad.embeddings.create({ model, input: 'x' }), (e) => {
    assert.ok(e instanceof OpenAI.AuthenticationError, `got ${e?.constructor?.name}`);
    return true;
  });
});

await check('openai: AzureOpenAI client on the Azure deployments path', async () => {
  const azure = new AzureOpenAI({ endpoint: base, apiKey: key, apiVersion: '2024-10-21', deployment: model, maxRetries: 0 });
  const r = await azure.embeddings.create({ model, input: texts });
  assertSameVectors(r.data.map((d) => Array.from(d.embedding)), expected);
});

await check('openai: AzureOpenAI with an unknown deployment is a 404', async () => {
  const azure = new AzureOpenAI({ endpoint: base, apiKey: key, apiVersion: '2024-10-21', deployment: 'nope', maxRetries: 0 });
  await assert.rejects(azure.embeddings.create({ model: 'nope', input: 'x' }), (e) => e instanceof OpenAI.NotFoundError);
});

await check('@langchain/openai: OpenAIEmbeddings defaults, batched, vectors in input order', async () => {
  const lc = new OpenAIEmbeddings({ model, apiKey: key, batchSize: 2, maxRetries: 0, configuration: { baseURL: `${base}/v1` } });
  const docs = await lc.embedDocuments(texts);
  assertSameVectors(docs.map((d) => Array.from(d)), expected);
  const q = await lc.embedQuery(texts[3]);
  assertSameVectors([Array.from(q)], [expected[3]]);
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
