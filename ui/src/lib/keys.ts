// The app's keyboard shortcuts: Ctrl+K opens the search, Ctrl+N makes something new where the
// user is ("new meeting" on Vergaderingen, "new action point" on an agenda item), Esc closes.
// Screens say what Ctrl+N does with `onNew`, which returns the function that stops it.

type Handler = () => void;

const newHandlers: Handler[] = [];

/** Makes `handler` what Ctrl+N does, until the returned function is called (the latest wins). */
export function onNew(handler: Handler): () => void {
  newHandlers.push(handler);
  return () => {
    const at = newHandlers.lastIndexOf(handler);
    if (at >= 0) newHandlers.splice(at, 1);
  };
}

/** Runs the Ctrl+N of the screen in front; false when none has one. */
export function runNew(): boolean {
  const handler = newHandlers[newHandlers.length - 1];
  if (!handler) return false;
  handler();
  return true;
}

/** Whether the event is Ctrl (or Cmd) with this letter and no other modifier. */
export function isShortcut(event: KeyboardEvent, letter: string): boolean {
  return (
    (event.ctrlKey || event.metaKey) &&
    !event.altKey &&
    !event.shiftKey &&
    event.key.toLowerCase() === letter
  );
}
