// The message after a file was saved into the downloads folder, with "Openen": the file opens in
// the program the user set for its kind (an .ics in Outlook, a PDF in the PDF reader).
import { openExportedFile, toIpcError } from './ipc';
import { t } from './i18n.svelte';
import { showToast } from './toast.svelte';

export function showSavedFile(message: string, path: string): void {
  showToast(message, {
    millis: 10_000,
    action: {
      label: t('common.open_file'),
      run: async () => {
        try {
          await openExportedFile(path);
        } catch (e) {
          showToast(toIpcError(e).message, { kind: 'error', millis: 10_000 });
        }
      },
    },
  });
}
