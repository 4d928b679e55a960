import { describe, expect, it } from 'vitest';
import { parsePretrainConfig } from '../../../src-main/engine/pretrain/pretrain-config';

describe('pre-training config', () => {
  it('fills every default', () => {
    const c = parsePretrainConfig({});
    expect(c.model.preset).toBe('tiny');
    expect(c.batchSize).toBe(32);
    expect(c.localCrops).toBe(6);
    expect(c.prototypes).toBe(4096);
    expect(c.teacherTemperature).toBe(0.04);
    expect(c.teacherTemperatureFinal).toBe(0.07);
    expect(c.gradClip).toBe(3);
  });

  it('rejects an unknown key, naming it', () => {
    expect(() => parsePretrainConfig({ batchSzie: 8 })).toThrow(/batchSzie/);
    expect(() => parsePretrainConfig({ model: { preset: 'tiny', width: 3 } })).toThrow(/width/);
  });

  it('rejects a wrong type, naming the key', () => {
    expect(() => parsePretrainConfig({ lr: '0.1' })).toThrow(/lr/);
    expect(() => parsePretrainConfig({ model: { preset: 'huge' } })).toThrow(/model\.preset/);
    expect(() => parsePretrainConfig({ globalScale: [0.2] })).toThrow(/globalScale/);
  });
});
