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

/** Every open stream, so a test (or a curious user) can cut them all at once. */
const open = new Set<EventStream>();

/** Drops every stream's connection as a network failure would; each reconnects. */
export function dropStreams(): void {
  for (const stream of open) stream.drop();
}

export class EventStream {
  readonly cursor: Cursor;
  private source: EventSourceLike | null = null;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(private readonly options: StreamOptions) {
    this.cursor = new Cursor(options.after);
    open.add(this);
    this.connect("connecting");
  }

  private connect(state: StreamState): void {
    if (this.closed) return;
    this.options.onState?.(state);
    const url = streamUrl(this.options.filter, this.cursor.last);
    const open = this.options.open ?? ((u: string) => new EventSource(u) as EventSourceLike);
    const source = open(url);
    this.source = source;
    source.onopen = () => {
      this.attempts = 0;
      this.options.onState?.("live");
    };
    source.onmessage = (message) => {
      let event: PlinthEvent;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (this.cursor.accept(event)) this.options.onEvent(event);
    };
    // The browser would reconnect by itself, but from the URL's `after`: we reopen from
    // our own cursor instead.
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
