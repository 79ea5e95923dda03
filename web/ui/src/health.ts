// The server's own health, polled: what the event stream cannot say, such as a store that
// has stopped taking writes while the server still answers. The page shows it as a banner.
import { signal } from "@preact/signals";
import { get } from "./api";

export type Health = {
  status: string;
  store?: { writable?: boolean; last_error?: string | null };
};

/** What is wrong with the server, in words, or null while all is well. */
export const healthProblem = signal<string | null>(null);

/** The banner's text for a health answer; null when it is `ok`. */
export function problemOf(health: Health): string | null {
  if (health.status === "ok") return null;
  if (health.status === "store-failing") {
    const why = health.store?.last_error ? ` (${health.store.last_error})` : "";
    return (
      `plinth cannot write to its store${why}: nothing new is being saved. ` +
      "Check the disk space and that plinth.db in PLINTH_HOME is writable; this banner goes once a write succeeds."
    );
  }
  return `plinth reports a problem: ${health.status}`;
}

/** How often the page asks; a problem shows within this long. */
const INTERVAL_MS = 5000;

let timer: ReturnType<typeof setInterval> | null = null;

/** Asks now and then every few seconds; an unreachable server is the stream's to show. */
export function watchHealth(interval = INTERVAL_MS): void {
  const ask = () =>
    get<Health>("/api/health")
      .then((h) => (healthProblem.value = problemOf(h)))
      .catch(() => {});
  void ask();
  if (timer) clearInterval(timer);
  timer = setInterval(ask, interval);
}
