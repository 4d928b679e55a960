import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { graphFileHandler } from '../../../src-main/engine/backbones/graph-file-loader';
import { faceMeshModelPath } from '../../../src-main/engine/backbones/facemesh';

let dir: string | null = null;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

describe('graphFileHandler', () => {
  it('reads the topology and every weight shard of a converted graph', async () => {
    const artifacts = await graphFileHandler(faceMeshModelPath()).load();
    expect(artifacts.weightSpecs!.length).toBeGreaterThan(100);
    const shard = await stat(faceMeshModelPath().replace(/\.json$/, '.bin'));
    expect((artifacts.weightData as ArrayBuffer).byteLength).toBe(shard.size);
  });

  it('names the file when the JSON or a shard is missing or wrong', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'graph-loader-'));
    const json = path.join(dir, 'model.json');
    await expect(graphFileHandler(json).load()).rejects.toThrow(`Cannot read the model ${json}`);
    await writeFile(json, JSON.stringify({ format: 'graph-model' }));
    await expect(graphFileHandler(json).load()).rejects.toThrow(/not a TF.js graph model/);
    await writeFile(
      json,
      JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['w.bin'], weights: [] }] }),
    );
    await expect(graphFileHandler(json).load()).rejects.toThrow(path.join(dir, 'w.bin'));
  });
});
