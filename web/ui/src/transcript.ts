// A task's transcript, built from its events in order.
//
// Two sources tell what the agent does: the adapter's `task.transcript` entries (user
// messages, the agent's replies, the tools it runs) and plinth's model proxy, which
// streams the model's text as it arrives (`task.llm.text`) and its tool calls
// (`task.llm.tool`). Streamed text shows at once; when the adapter then records the same
// reply, that entry takes the streamed one's place instead of showing it twice. A tool
// call seen from both sides is one entry, folded, with its result when one comes.
import type { PlinthEvent } from "./types";

export type Entry =
  | { type: "message"; key: string; role: string; text: string; streaming: boolean }
  | {
      type: "tool";
      key: string;
      name: string;
      summary: string;
      input: unknown;
      result: string | null;
    }
  | { type: "status"; key: string; status: string; detail: string }
  | { type: "notification"; key: string; title: string; body: string; urgent: boolean }
  | { type: "error"; key: string; text: string };

export class Transcript {
  readonly entries: Entry[] = [];
  /** Streamed text blocks by `call:index`, while they may still grow or be replaced. */
  private streams = new Map<string, number>();
  /** Tool calls from the model not yet matched by the adapter's entry, by tool name. */
  private openTools = new Map<string, number[]>();
  /** Tool entries by the model's call id (`toolu_…`), for their results. */
  private toolsById = new Map<string, number>();
  /** The latest tool entry of each tool, for a result that names no known call. */
  private lastTool = new Map<string, number>();
  private lastStatus = "";

  /** Applies one event; true when the entries changed. */
  apply(event: PlinthEvent): boolean {
    const d = event.data ?? {};
    const key = `e${event.seq}`;
    switch (event.kind) {
      case "task.llm.text": {
        const id = `${d.id}:${d.index}`;
        const at = this.streams.get(id);
        if (at !== undefined) {
          const entry = this.entries[at];
          if (entry.type === "message") entry.text += String(d.text ?? "");
          this.entries[at] = { ...entry };
        } else {
          this.streams.set(id, this.entries.length);
          this.entries.push({ type: "message", key, role: "agent", text: String(d.text ?? ""), streaming: true });
        }
        return true;
      }
      case "task.llm.finished": {
        let changed = false;
        for (const [id, at] of this.streams) {
          if (!id.startsWith(`${d.id}:`)) continue;
          const entry = this.entries[at];
          if (entry.type === "message" && entry.streaming) {
            this.entries[at] = { ...entry, streaming: false };
            changed = true;
          }
        }
        if (d.error) {
          this.entries.push({ type: "error", key, text: `model call failed: ${d.error}` });
          changed = true;
        }
        return changed;
      }
      case "task.llm.tool": {
        const name = String(d.name ?? "tool");
        const list = this.openTools.get(name) ?? [];
        list.push(this.entries.length);
        this.openTools.set(name, list);
        if (d.tool_id) this.toolsById.set(String(d.tool_id), this.entries.length);
        this.lastTool.set(name, this.entries.length);
        this.entries.push({ type: "tool", key, name, summary: summarize(d.input), input: d.input ?? null, result: null });
        return true;
      }
      case "task.transcript":
        return this.transcriptEntry(key, d);
      case "task.status": {
        const status = String(d.status ?? "");
        if (status === this.lastStatus) return false;
        this.lastStatus = status;
        this.entries.push({ type: "status", key, status, detail: String(d.detail ?? "") });
        return true;
      }
      case "notification":
        this.entries.push({
          type: "notification",
          key,
          title: String(d.title ?? ""),
          body: String(d.body ?? ""),
          urgent: d.urgency === "needs-attention",
        });
        return true;
      case "task.failed":
        if (d.failure || d.lifecycle?.reason) {
          this.entries.push({ type: "error", key, text: String(d.failure ?? d.lifecycle?.reason) });
          return true;
        }
        return false;
      default:
        return false;
    }
  }

  private transcriptEntry(key: string, d: any): boolean {
    const role = String(d.role ?? "agent");
    const text = String(d.text ?? "");
    if (role === "tool") {
      const name = String(d.tool ?? "tool");
      const result = toolResult(d.data);
      if (isResultOnly(d.data)) {
        // A tool's result, recorded when it finished: folded under its call.
        const at = this.toolsById.get(String(d.data.tool_use_id)) ?? this.lastTool.get(name);
        const entry = at === undefined ? undefined : this.entries[at];
        if (at !== undefined && entry?.type === "tool" && entry.result === null) {
          this.entries[at] = { ...entry, result };
          return true;
        }
        this.entries.push({ type: "tool", key, name, summary: text, input: null, result });
        return true;
      }
      const open = this.openTools.get(name);
      if (open && open.length) {
        const at = open.shift()!;
        const entry = this.entries[at];
        if (entry.type === "tool") {
          this.entries[at] = { ...entry, summary: text || entry.summary, result: result ?? entry.result };
          return true;
        }
      }
      this.lastTool.set(name, this.entries.length);
      this.entries.push({ type: "tool", key, name, summary: text, input: d.data ?? null, result });
      return true;
    }
    if (role === "agent") {
      // The adapter's copy of a reply we streamed: it takes the streamed entry's place.
      const wanted = text.trim();
      for (const [id, at] of this.streams) {
        const entry = this.entries[at];
        if (entry.type === "message" && entry.text.trim() === wanted) {
          this.entries[at] = { type: "message", key: entry.key, role, text, streaming: false };
          this.streams.delete(id);
          return true;
        }
      }
    }
    this.entries.push({ type: "message", key, role, text, streaming: false });
    return true;
  }
}

/** An adapter's entry that carries only a finished tool's result (`{tool_use_id, result}`). */
function isResultOnly(data: any): boolean {
  return !!data && typeof data === "object" && "tool_use_id" in data && "result" in data;
}

/** A tool's result, where the adapter recorded one with its call. */
function toolResult(data: any): string | null {
  if (!data || typeof data !== "object") return null;
  const r = data.result ?? data.tool_response ?? data.output;
  if (r === undefined || r === null) return null;
  return typeof r === "string" ? r : JSON.stringify(r, null, 2);
}

/** One line that says what a tool call is about. */
export function summarize(input: unknown): string {
  if (input === null || input === undefined) return "";
  if (typeof input === "string") return firstLine(input);
  if (typeof input === "object") {
    const o = input as Record<string, unknown>;
    for (const k of ["command", "file_path", "path", "pattern", "url", "description", "prompt"]) {
      if (typeof o[k] === "string") return firstLine(o[k] as string);
    }
    return firstLine(JSON.stringify(input));
  }
  return String(input);
}

function firstLine(s: string): string {
  const line = s.split("\n", 1)[0];
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}
