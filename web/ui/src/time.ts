// Durations as the task list shows them: short, and precise enough to see movement.
import { signal } from "@preact/signals";

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  const d = Math.floor(h / 24);
  return `${d}d ${h % 24}h`;
}

/** The clock the page's durations tick with: one update a second for everything. */
export const now = signal(Date.now());
let ticking = false;
export function startClock(): void {
  if (ticking) return;
  ticking = true;
  setInterval(() => (now.value = Date.now()), 1000);
}
