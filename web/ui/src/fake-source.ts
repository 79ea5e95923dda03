// A stand-in for the browser's EventSource in unit tests: the test opens, feeds and fails
// it by hand.
import type { EventSourceLike } from "./events";

export class FakeSource implements EventSourceLike {
  onopen: ((ev: any) => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onerror: ((ev: any) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  close() {
    this.closed = true;
  }
  emit(data: unknown) {
    this.onmessage?.({ data: typeof data === "string" ? data : JSON.stringify(data) });
  }
}

/** An `open` for the stream under test that keeps every source it made. */
export function recordingOpen(): { sources: FakeSource[]; open: (url: string) => FakeSource } {
  const sources: FakeSource[] = [];
  return {
    sources,
    open: (url) => {
      const s = new FakeSource(url);
      sources.push(s);
      return s;
    },
  };
}
