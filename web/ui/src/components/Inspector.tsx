import { useEffect } from "preact/hooks";
import { useSignal } from "@preact/signals";
import { followActors, uptimeAt } from "../actors";
import { get } from "../api";
import type { StreamState } from "../events";
import { formatDuration, now } from "../time";
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

export function Inspector() {
  const actors = useSignal<ActorInfo[] | null>(null);
  const receivedAt = useSignal(0);
  const state = useSignal<StreamState>("connecting");
  useEffect(() => {
    const stream = followActors({
      onTree: (tree, at) => {
        actors.value = tree;
        receivedAt.value = at;
      },
      onState: (s) => {
        state.value = s;
        // An EventSource does not say why it failed: ask, so a lost session shows as such.
        if (s === "reconnecting") get("/api/health").catch(() => {});
      },
    });
    return () => stream.close();
  }, []);
  const rows = actors.value ? treeOrder(actors.value) : [];
  const error = state.value === "reconnecting" ? "The connection to plinth was lost; reconnecting…" : null;
  return (
    <section class="inspector">
      <h1>Inspector</h1>
      <p class="muted">
        The actor tree, as <code>plinth ps</code> shows it, live.
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="table-wrap">
        <table class="actors" data-testid="actors">
          <thead>
            <tr>
              <th class="wide-only">id</th>
              <th>actor</th>
              <th class="wide-only">kind</th>
              <th>state</th>
              <th class="num">mailbox</th>
              <th class="num wide-only">handled</th>
              <th class="num">restarts</th>
              <th class="wide-only">up</th>
              <th>last error</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ actor, depth }) => (
              <tr key={actor.id} class={`a-${actor.state}`} data-actor={actor.name}>
                <td class="num wide-only">{actor.id}</td>
                <td class="actor-name" style={{ paddingLeft: `${0.5 + depth * 1.1}em` }}>
                  {actor.name.split("/").pop()}
                  {actor.in_flight && <span class="muted"> ({actor.in_flight})</span>}
                </td>
                <td class="muted wide-only">{actor.kind}</td>
                <td>
                  <span class={`state st-${actor.state}`}>{actor.state}</span>
                </td>
                <td class="num">{actor.mailbox}</td>
                <td class="num wide-only">{actor.handled}</td>
                <td class={`num ${actor.restarts ? "warn" : ""}`}>{actor.restarts}</td>
                <td class="wide-only">{formatDuration(uptimeAt(actor, receivedAt.value, now.value))}</td>
                <td class="error-cell">
                  {actor.last_error && (
                    <div title={actor.last_error} onClick={(e) => e.currentTarget.classList.toggle("open")}>
                      {actor.last_error}
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
