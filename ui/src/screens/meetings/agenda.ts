// The order of an agenda. Items carry positions with gaps (10, 20, 30, …) so that adding one at
// the end touches nothing else; a move hands the existing positions out again in the new order
// (swapping two for a move by one), written in one batch.

export const POSITION_STEP = 10;

export interface Positioned {
  id: string;
  position: number;
}

/** The position for an item added at the end. */
export function nextPosition(items: Positioned[]): number {
  const last = items.reduce((max, item) => Math.max(max, item.position), 0);
  return last + POSITION_STEP;
}

/** The items in their new order after moving the one at `from` to `to`. */
export function moved<T>(items: T[], from: number, to: number): T[] {
  const next = [...items];
  const [item] = next.splice(from, 1);
  next.splice(to, 0, item);
  return next;
}

/** The position each item gets in `order` (the new order): the positions the items had, sorted,
 * when they are all different; otherwise fresh ones with gaps. Only changed ones are returned. */
export function positionsFor(order: Positioned[]): { id: string; position: number }[] {
  const sorted = order.map((item) => item.position).sort((a, b) => a - b);
  const distinct = sorted.every((p, i) => i === 0 || p > sorted[i - 1]);
  const positions = distinct ? sorted : order.map((_, i) => (i + 1) * POSITION_STEP);
  return order
    .map((item, i) => ({ id: item.id, position: positions[i] }))
    .filter((change, i) => change.position !== order[i].position);
}
