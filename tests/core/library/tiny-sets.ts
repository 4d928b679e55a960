/** Small labelled sets written by the tests: tiny JPEGs made with sharp and their .pts files. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

export const PTS_POINTS = 68;
export const PTS_SIZE = 48;

/** The 68 points of face `i`, 0-based pixels inside a 48×48 image. */
export function ptsPoints(i: number): { x: number; y: number }[] {
  return Array.from({ length: PTS_POINTS }, (_, k) => ({
    x: 4 + ((k * 7 + i) % 40),
    y: 4 + ((k * 3 + 2 * i) % 40),
  }));
}

export function ptsText(points: readonly { x: number; y: number }[]): string {
  // .pts coordinates are 1-based.
  const lines = points.map((p) => `${p.x + 1} ${p.y + 1}`);
  return `version: 1\nn_points: ${points.length}\n{\n${lines.join('\n')}\n}\n`;
}

/** `count` faces: face-i.jpg (a different colour each, so a different id) and face-i.pts. */
export async function writePtsSet(dir: string, count: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    await sharp({
      create: {
        width: PTS_SIZE,
        height: PTS_SIZE,
        channels: 3,
        background: { r: 200 - 30 * i, g: 40 + 10 * i, b: 90 },
      },
    })
      .jpeg()
      .toFile(path.join(dir, `face-${i}.jpg`));
    await writeFile(path.join(dir, `face-${i}.pts`), ptsText(ptsPoints(i)));
    names.push(`face-${i}`);
  }
  return names;
}
