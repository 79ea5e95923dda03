// The event stream, kept in order and exactly once across reconnects.
//
// The server streams stored events after a cursor, then live ones (SSE, `?after=SEQ`).
// When the connection drops we open it again from the last sequence number we *applied*,
// not the one we first asked for, and drop anything at or below it, so a reconnect
// neither loses nor repeats an event.
import type { PlinthEvent } from "./types";

/** The last applied sequence number; `accept` says whether an event is new. */
export class Cursor {
  constructor(public last = 0) {}
  accept(event: { seq: number }): boolean {
    if (event.seq <= this.last) return false;
    this.last = event.seq;
    return true;
  }
}

export interface StreamFilter {
  task?: string;
  kind?: string;
}

export function streamUrl(filter: StreamFilter, after: number): string {
  const params = new URLSearchParams({ after: String(after) });
  if (filter.task) params.set("task", filter.task);
  if (filter.kind) params.set("kind", filter.kind);
  return `/api/events?${params}`;
}

/** The wait before reconnect attempt `n` (0-based): quick at first, at most 5 s. */
export function backoff(n: number): number {
  return Math.min(5000, 250 * 2 ** Math.min(n, 5));
}

export type StreamState = "connecting" | "live" | "reconnecting";

export interface EventSourceLike {
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: { data: string }) => void) | null;
  onerror: ((ev: any) => void) | null;
  close(): void;
}

export interface StreamOptions {
  filter: StreamFilter;
  after: number;
  onEvent: (event: PlinthEvent) => void;
  onState?: (state: StreamState) => void;
  /** For tests: how to open a connection. */
  open?: (url: string) => EventSourceLike;
}

export interface SourceOptions {
  /** Where to connect; asked again at each reconnect. */
  url: () => string;
  onData: (data: string) => void;
  onState?: (state: StreamState) => void;
  /** For tests: how to open a connection. */
  open?: (url: string) => EventSourceLike;
}

/** Every open source, so a test (or a curious user) can cut them all at once. */
const open = new Set<ReconnectingSource>();

/** Drops every stream's connection as a network failure would; each reconnects. */
export function dropStreams(): void {
  for (const source of open) source.drop();
}

/** An EventSource that we reopen ourselves after a failure, with backoff, from a URL made
 * anew each time (the browser's own retry would reuse the first URL). */
export class ReconnectingSource {
  private source: EventSourceLike | null = null;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(private readonly options: SourceOptions) {
    open.add(this);
    this.connect("connecting");
  }

  private connect(state: StreamState): void {
    if (this.closed) return;
    this.options.onState?.(state);
    const opener = this.options.open ?? ((u: string) => new EventSource(u) as EventSourceLike);
    const source = opener(this.options.url());
    this.source = source;
    source.onopen = () => {
      this.attempts = 0;
      this.options.onState?.("live");
    };
    source.onmessage = (message) => this.options.onData(message.data);
    source.onerror = () => this.lost(source);
  }

  private lost(source: EventSourceLike): void {
    source.close();
    if (this.source !== source || this.closed) return;
    this.source = null;
    this.options.onState?.("reconnecting");
    this.timer = setTimeout(() => this.connect("reconnecting"), backoff(this.attempts++));
  }

  /** As if the connection failed. */
  drop(): void {
    if (this.source) this.lost(this.source);
  }

  close(): void {
    open.delete(this);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.source?.close();
    this.source = null;
  }
}

export class EventStream {
  readonly cursor: Cursor;
  private readonly source: ReconnectingSource;

  constructor(options: StreamOptions) {
    this.cursor = new Cursor(options.after);
    this.source = new ReconnectingSource({
      // Reopened from the last event we applied, not the one we first asked for.
      url: () => streamUrl(options.filter, this.cursor.last),
      onData: (data) => {
        let event: PlinthEvent;
        try {
          event = JSON.parse(data);
        } catch {
          return;
        }
        if (this.cursor.accept(event)) options.onEvent(event);
      },
      onState: options.onState,
      open: options.open,
    });
  }

  /** As if the connection failed. */
  drop(): void {
    this.source.drop();
  }

  close(): void {
    this.source.close();
  }
}
