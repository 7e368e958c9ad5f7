// A file the user chose in a file field or dropped on a drop zone (the calendar and list imports).

/** The file chosen in the field of `event`; the field is emptied so that the same file can be
 * chosen again. */
export function chosenFile(event: Event): File | null {
  const input = event.currentTarget as HTMLInputElement;
  const file = input.files?.[0] ?? null;
  input.value = '';
  return file;
}

/** The file dropped by `event` (the browser's own handling of the drop is prevented). */
export function droppedFile(event: DragEvent): File | null {
  event.preventDefault();
  return event.dataTransfer?.files?.[0] ?? null;
}
