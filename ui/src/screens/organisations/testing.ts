// Helpers for this folder's component tests.

/** Types into a field as a user does (an input event that bubbles). */
export function type(input: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

/** Chooses an option of a select. */
export function choose(select: HTMLSelectElement, value: string): void {
  select.value = value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
}

/** Clicks an element found by its test id (in the whole document: dialogs included). */
export function click(testid: string, within: ParentNode = document): void {
  const element = within.querySelector<HTMLElement>(`[data-testid="${testid}"]`);
  if (!element) throw new Error(`no [data-testid="${testid}"]`);
  element.click();
}

/** The element with this test id, or an error naming it. */
export function byTestId<E extends Element = HTMLElement>(testid: string, within: ParentNode = document): E {
  const element = within.querySelector<E>(`[data-testid="${testid}"]`);
  if (!element) throw new Error(`no [data-testid="${testid}"]`);
  return element;
}
