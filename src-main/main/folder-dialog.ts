/** The native folder picker behind `dialog:pickFolder`. */
import { dialog, type BrowserWindow, type OpenDialogOptions } from 'electron';

export async function pickFolder(
  parent: BrowserWindow | null,
  title?: string,
): Promise<{ dir: string | null; supported: boolean }> {
  const options: OpenDialogOptions = {
    title: title ?? 'Choose a folder',
    properties: ['openDirectory', 'createDirectory'],
  };
  // Modal to the window when there is one, so the user cannot lose the dialog behind it.
  const result = parent
    ? await dialog.showOpenDialog(parent, options)
    : await dialog.showOpenDialog(options);
  return { dir: result.canceled ? null : (result.filePaths[0] ?? null), supported: true };
}
