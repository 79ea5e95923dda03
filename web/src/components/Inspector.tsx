import { useEffect } from "preact/hooks";
import { useSignal } from "@preact/signals";
import { get, describe } from "../api";
import { formatDuration } from "../time";
import type { ActorInfo } from "../types";

/** The actor tree in depth-first order, each with its depth (children by id). */
export function treeOrder(actors: ActorInfo[]): { actor: ActorInfo; depth: number }[] {
  const byParent = new Map<number | null, ActorInfo[]>();
  const ids = new Set(actors.map((a) => a.id));
  for (const a of actors) {
    const parent = a.parent !== null && ids.has(a.parent) ? a.parent : null;
    const list = byParent.get(parent) ?? [];
    list.push(a);
    byParent.set(parent, list);
  }
  for (const list of byParent.values()) list.sort((a, b) => a.id - b.id);
  const out: { actor: ActorInfo; depth: number }[] = [];
  const walk = (parent: number | null, depth: number) => {
    for (const a of byParent.get(parent) ?? []) {
      out.push({ actor: a, depth });
      walk(a.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** The registry has no events of its own: the inspector reads it again every second. */
const POLL_MS = 1000;

export function Inspector() {
  const actors = useSignal<ActorInfo[] | null>(null);
  const error = useSignal<string | null>(null);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      try {
        actors.value = await get<ActorInfo[]>("/api/actors");
        error.value = null;
      } catch (err) {
        error.value = describe(err);
      }
      if (!stopped) timer = setTimeout(poll, document.hidden ? POLL_MS * 5 : POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);
  const rows = actors.value ? treeOrder(actors.value) : [];
  return (
    <section class="inspector">
      <h1>Inspector</h1>
      <p class="muted">The actor tree, as `plinth ps` shows it, read every second.</p>
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
      <div class="table-wrap">
        <table class="actors" data-testid="actors">
          <thead>
            <tr>
              <th>id</th>
              <th>actor</th>
              <th>kind</th>
              <th>state</th>
              <th class="num">mailbox</th>
              <th class="num">handled</th>
              <th class="num">restarts</th>
              <th>up</th>
              <th>last error</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ actor, depth }) => (
              <tr key={actor.id} class={`a-${actor.state}`} data-actor={actor.name}>
                <td class="num">{actor.id}</td>
                <td style={{ paddingLeft: `${0.5 + depth * 1.1}em` }}>
                  {actor.name.split("/").pop()}
                  {actor.in_flight && <span class="muted"> ({actor.in_flight})</span>}
                </td>
                <td class="muted">{actor.kind}</td>
                <td>
                  <span class={`state st-${actor.state}`}>{actor.state}</span>
                </td>
                <td class="num">{actor.mailbox}</td>
                <td class="num">{actor.handled}</td>
                <td class={`num ${actor.restarts ? "warn" : ""}`}>{actor.restarts}</td>
                <td>{formatDuration(actor.uptime_ms)}</td>
                <td class="error-cell">{actor.last_error ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
