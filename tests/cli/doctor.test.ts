/**
 * `face-studio doctor`: text that leads with the verdict and gives each backend a line (and a fix
 * where one was passed over), `--json` that parses, exit 0 on a machine without a GPU, and a
 * wrong call refused with the usage (exit 2).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/run';
import type { DoctorReport } from '../../src-main/engine/doctor';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('face-studio doctor', () => {
  it('says which backend runs and why no GPU backend is used', { timeout: 60_000 }, async () => {
    const { io, out } = capture();
    expect(await runCli(['doctor'], { io })).toBe(0);
    const text = out.join('\n');
    const lines = text.split('\n');
    expect(lines[0]).toBe('Training backend: wasm (the best that loaded)');
    expect(lines[1]).toBe('No GPU backend is used: see why below.');
    expect(text).toMatch(/^ {2}tensorflow-gpu {2}passed over: package not installed$/m);
    expect(text).toMatch(/^ {18}fix: NVIDIA GPUs only: .*CUDA 11\.2 and cuDNN 8\.1/m);
    expect(text).toMatch(/^ {2}webgpu {10}passed over: (no WebGPU adapter|only a software)/m);
    expect(text).toMatch(/^ {2}wasm {12}runs$/m);
    expect(text).toMatch(/^ {2}cpu {13}not needed: a better backend runs$/m);
    expect(text).toMatch(/^wasm: SIMD yes · threads no$/m);
    expect(text).toMatch(/^Versions: face-studio \d+\.\d+\.\d+ · node /m);
  });

  it('--json gives the whole report', { timeout: 60_000 }, async () => {
    const { io, out } = capture();
    expect(await runCli(['doctor', '--json'], { io })).toBe(0);
    const report = JSON.parse(out.join('\n')) as DoctorReport;
    expect(report.chosen).toMatchObject({ name: 'wasm' });
    expect(report.backends.map((b) => b.name)).toEqual([
      'tensorflow-gpu',
      'webgpu',
      'tensorflow',
      'wasm',
      'cpu',
    ]);
    expect(report.settingsFolder).toMatch(/Face Studio$/);
  });

  it('refuses an unexpected argument with the usage', async () => {
    const { io, err } = capture();
    expect(await runCli(['doctor', 'now'], { io })).toBe(2);
    expect(err.join('\n')).toContain('Unexpected argument now');
    expect(err.join('\n')).toContain('face-studio doctor [--json]');
  });
});
