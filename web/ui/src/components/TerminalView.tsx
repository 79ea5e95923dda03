import { useEffect, useRef } from "preact/hooks";
import { useSignal } from "@preact/signals";
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";

/** The task's tmux session over the terminal WebSocket (docs/architecture.md, web terminal). */
export default function TerminalView({ id }: { id: string }) {
  const host = useRef<HTMLDivElement>(null);
  const state = useSignal<"connecting" | "open" | "ended" | "error">("connecting");
  const error = useSignal<string | null>(null);
  const attempt = useSignal(0);

  useEffect(() => {
    const term = new Terminal({ cursorBlink: true, fontSize: 13, scrollback: 5000, convertEol: false });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host.current!);
    fit.fit();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/api/tasks/${encodeURIComponent(id)}/terminal?cols=${term.cols}&rows=${term.rows}`;
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    state.value = "connecting";
    error.value = null;
    const encoder = new TextEncoder();
    ws.onopen = () => {
      state.value = "open";
      term.focus();
    };
    ws.onmessage = (m) => {
      if (typeof m.data === "string") {
        try {
          const control = JSON.parse(m.data);
          if (control.type === "error") error.value = control.error;
        } catch {
          /* unknown control messages are ignored, as the protocol says */
        }
      } else {
        term.write(new Uint8Array(m.data as ArrayBuffer));
      }
    };
    ws.onclose = (e) => {
      if (e.code === 1000) state.value = "ended";
      else {
        state.value = "error";
        if (!error.value)
          error.value = `the terminal closed (code ${e.code}${e.reason ? `: ${e.reason}` : ""}); the task may have no terminal session yet, or it is not running`;
      }
    };
    const data = term.onData((d) => ws.readyState === WebSocket.OPEN && ws.send(encoder.encode(d)));
    const resize = term.onResize(({ cols, rows }) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "resize", cols, rows }));
    });
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(host.current!);
    return () => {
      observer.disconnect();
      data.dispose();
      resize.dispose();
      ws.close(1000);
      term.dispose();
    };
  }, [id, attempt.value]);

  return (
    <div class="terminal-view">
      <div class="terminal-head">
        <span class={`term-state t-${state.value}`} data-testid="terminal-state">
          {state.value === "open" ? "connected" : state.value === "ended" ? "the session ended" : state.value}
        </span>
        {state.value !== "open" && state.value !== "connecting" && (
          <button onClick={() => (attempt.value += 1)}>Reconnect</button>
        )}
        <span class="muted">Keys (Esc too) go to the agent's terminal; click outside it for plinth's keys.</span>
      </div>
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
      <div class="terminal-host" ref={host} />
    </div>
  );
}
