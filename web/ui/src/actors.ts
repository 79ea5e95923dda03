// The actor tree, live. The server sends the whole tree (it is small) each time it
// changes: at once for a state, restart, error or a new or gone actor, every half second
// at most for mailbox and handled counts. Uptime is not sent as a change; the page counts
// it on from the last tree it got.
import { ReconnectingSource, type EventSourceLike, type StreamState } from "./events";
import type { ActorInfo } from "./types";

export interface ActorStreamOptions {
  onTree: (actors: ActorInfo[], receivedAt: number) => void;
  onState?: (state: StreamState) => void;
  /** For tests: how to open a connection, and the clock. */
  open?: (url: string) => EventSourceLike;
  now?: () => number;
}

/** Follows the tree; close it when the page goes. */
export function followActors(options: ActorStreamOptions): ReconnectingSource {
  const now = options.now ?? Date.now;
  return new ReconnectingSource({
    url: () => "/api/actors",
    onData: (data) => {
      let tree: unknown;
      try {
        tree = JSON.parse(data);
      } catch {
        return;
      }
      if (Array.isArray(tree)) options.onTree(tree as ActorInfo[], now());
    },
    onState: options.onState,
    open: options.open,
  });
}

/** How long `actor` has run at `now`, from what the server said at `receivedAt`. */
export function uptimeAt(actor: ActorInfo, receivedAt: number, now: number): number {
  return actor.uptime_ms + Math.max(0, now - receivedAt);
}
