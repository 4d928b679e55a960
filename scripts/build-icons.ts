/**
 * Renders the app icon set in resources/icons from resources/icons/icon.svg with sharp: the Linux
 * set (`<size>x<size>.png`, which electron-builder's `linux.icon` folder expects), whose
 * 1024x1024.png electron-builder turns into the Windows `.ico` and the macOS `.icns` when it builds
 * those installers. Run after changing the SVG:
 *   npx tsx scripts/build-icons.ts
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const ICONS = fileURLToPath(new URL('../resources/icons/', import.meta.url));
/** The sizes desktop environments ask for (hicolor theme), up to macOS's 1024. */
const SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

const svg = await readFile(`${ICONS}icon.svg`);
for (const size of SIZES) {
  // Rendered at the target density rather than scaled down from one bitmap, so small sizes stay sharp.
  const image = sharp(svg, { density: (72 * size) / 1024 })
    .resize(size, size)
    .png({ compressionLevel: 9 });
  await image.toFile(`${ICONS}${size}x${size}.png`);
}
console.log(`resources/icons: ${SIZES.map((s) => `${s}x${s}.png`).join(', ')}`);
