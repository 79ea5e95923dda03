import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { useVirtualizer } from "@tanstack/react-virtual";
import { EventStream, type StreamState } from "../events";
import { Transcript, type Entry } from "../transcript";
import { StatusBadge } from "./Status";

/** Within this many pixels of the end counts as "at the end": new text keeps it there. */
const STICK = 48;

/** The transcript on screen, for `window.plinth.transcript()` (tests, debugging). */
export let shownTranscript: Transcript | null = null;

export function TranscriptView({ id }: { id: string }) {
  const model = useRef(new Transcript());
  const [version, setVersion] = useState(0);
  const [state, setState] = useState<StreamState>("connecting");
  const scroller = useRef<HTMLDivElement>(null);
  const atEnd = useRef(true);

  useEffect(() => {
    model.current = new Transcript();
    shownTranscript = model.current;
    let frame = 0;
    // Many events can arrive in one frame (a replay of thousands): draw once per frame.
    const stream = new EventStream({
      filter: { task: id },
      after: 0,
      onState: setState,
      onEvent: (event) => {
        if (model.current.apply(event) && !frame) {
          frame = requestAnimationFrame(() => {
            frame = 0;
            setVersion((v) => v + 1);
          });
        }
      },
    });
    return () => {
      stream.close();
      cancelAnimationFrame(frame);
    };
  }, [id]);

  const entries = model.current.entries;
  const virtualizer = useVirtualizer({
    count: entries.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 44,
    overscan: 8,
    getItemKey: (i) => entries[i]?.key ?? i,
  });
  const total = virtualizer.getTotalSize();

  // Keep the end in view while the user is there; leave them alone when they scrolled up.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [version, total]);

  return (
    <div class="transcript-frame">
      {/* Over the entries, not above them: showing it must not move the text. */}
      {state !== "live" && <div class="stream-state">{state === "connecting" ? "connecting…" : "reconnecting…"}</div>}
    <div
      class="transcript"
      ref={scroller}
      data-testid="transcript"
      data-entries={entries.length}
      onScroll={(e) => {
        const el = e.currentTarget;
        atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK;
      }}
    >
      {entries.length === 0 && state === "live" && <p class="muted pad">Nothing yet.</p>}
      <div style={{ height: `${total}px`, position: "relative", width: "100%" }}>
        {virtualizer.getVirtualItems().map((item) => (
          <div
            key={item.key}
            data-index={item.index}
            ref={virtualizer.measureElement}
            class="entry-wrap"
            style={{ position: "absolute", top: 0, left: 0, width: "100%", transform: `translateY(${item.start}px)` }}
          >
            <EntryView entry={entries[item.index]} />
          </div>
        ))}
      </div>
    </div>
    </div>
  );
}

function EntryView({ entry }: { entry: Entry }) {
  switch (entry.type) {
    case "message":
      return (
        <div class={`entry msg role-${entry.role} ${entry.streaming ? "streaming" : ""}`} data-key={entry.key}>
          <span class="who">{entry.role === "agent" ? "agent" : entry.role}</span>
          <div class="text">{entry.text}</div>
        </div>
      );
    case "tool":
      return (
        <details class="entry tool">
          <summary>
            <span class="who">tool</span> <strong>{entry.name}</strong> <span class="muted">{entry.summary}</span>
            {entry.result !== null && <span class="has-result"> ✓</span>}
          </summary>
          {entry.input !== null && <pre>{typeof entry.input === "string" ? entry.input : JSON.stringify(entry.input, null, 2)}</pre>}
          {entry.result !== null && (
            <>
              <div class="muted">result</div>
              <pre>{entry.result}</pre>
            </>
          )}
        </details>
      );
    case "status":
      return (
        <div class="entry status-line">
          <StatusBadge status={entry.status} /> <span class="muted">{entry.detail}</span>
        </div>
      );
    case "notification":
      return (
        <div class={`entry note ${entry.urgent ? "urgent" : ""}`}>
          <span class="who">notice</span> <strong>{entry.title}</strong> {entry.body}
        </div>
      );
    case "error":
      return <div class="entry error">{entry.text}</div>;
  }
}
