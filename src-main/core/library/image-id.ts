/** An image's id: the content hash of its file, after checking the file can be an image. */
import { sha256File } from './content-hash';
import { ImageRejected } from './image-rejected';
import { checkImageFileSize } from './image-source';

/**
 * The image id (sha256 of the bytes); a file that cannot be read, or is too large to be an image
 * (checked before a byte is hashed), is rejected by name.
 */
export async function imageIdOf(path: string): Promise<string> {
  await checkImageFileSize(path);
  try {
    return await sha256File(path);
  } catch (error) {
    throw new ImageRejected(path, 'unreadable', `cannot be read (${String(error)})`, {
      cause: error,
    });
  }
}
