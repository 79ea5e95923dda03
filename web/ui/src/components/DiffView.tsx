import { useEffect, useRef } from "preact/hooks";
import { useSignal } from "@preact/signals";
import { get, describe } from "../api";
import { coalesce } from "../coalesce";
import { onEvent } from "../tasks";
import type { Diff } from "../types";

/** Events after which the task's files may have changed: a tool's result or any other
 * transcript entry, a model call's end, a sync. */
export function mayChangeFiles(kind: string): boolean {
  return kind === "task.transcript" || kind === "task.llm.finished" || kind === "task.synced";
}

/** Lines drawn at most; a bigger diff is cut here (the CLI has it whole). */
const MAX_LINES = 20_000;

export function lineClass(line: string): string {
  if (line.startsWith("+++") || line.startsWith("---") || line.startsWith("diff ") || line.startsWith("index ")) return "d-file";
  if (line.startsWith("@@")) return "d-hunk";
  if (line.startsWith("+")) return "d-add";
  if (line.startsWith("-")) return "d-del";
  return "";
}

export function DiffView({ id, status }: { id: string; status: string }) {
  const diff = useSignal<Diff | null>(null);
  const error = useSignal<string | null>(null);
  const loading = useSignal(false);

  // Reads can overlap (a reload while the last is under way): only the latest one counts.
  const latest = useRef(0);

  async function load() {
    const mine = ++latest.current;
    loading.value = true;
    try {
      const read = await get<Diff>(`/api/tasks/${encodeURIComponent(id)}/diff`);
      if (mine !== latest.current) return;
      diff.value = read;
      error.value = null;
    } catch (err) {
      if (mine === latest.current) error.value = describe(err);
    } finally {
      if (mine === latest.current) loading.value = false;
    }
  }
  // Again whenever the task moves, and while it works, after what it does (at most one
  // read per burst: a diff in a container is a `git diff` run there).
  useEffect(() => void load(), [id, status]);
  useEffect(() => {
    const reload = coalesce(() => void load(), 700, 3000);
    const stop = onEvent((event) => {
      if (event.task === id && mayChangeFiles(event.kind)) reload.request();
    });
    return () => {
      stop();
      reload.cancel();
    };
  }, [id]);

  const d = diff.value;
  const lines = d ? d.diff.split("\n") : [];
  return (
    <div class="diff-view">
      <div class="diff-head">
        <button onClick={() => void load()} disabled={loading.value}>
          {loading.value ? "Loading…" : "Refresh"}
        </button>
        {d && (
          <span data-testid="diff-summary">
            {d.files_changed} file{d.files_changed === 1 ? "" : "s"}, <span class="d-add">+{d.insertions}</span>{" "}
            <span class="d-del">−{d.deletions}</span> against <code>{d.base.slice(0, 10)}</code> ({d.source === "environment" ? "the sandbox's work tree" : "the synced branch"})
          </span>
        )}
      </div>
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
      {d && d.files.length > 0 && (
        <ul class="diff-files">
          {d.files.map((f) => (
            <li key={f.path}>
              <code>{f.path}</code> {f.binary ? "(binary)" : <><span class="d-add">+{f.insertions}</span> <span class="d-del">−{f.deletions}</span></>}
            </li>
          ))}
        </ul>
      )}
      {d && d.files.length === 0 && <p class="muted">No changes yet.</p>}
      {d && d.diff && (
        <pre class="diff">
          {lines.slice(0, MAX_LINES).map((line, i) => (
            <div key={i} class={lineClass(line)}>
              {line || " "}
            </div>
          ))}
        </pre>
      )}
      {d && (d.truncated || lines.length > MAX_LINES) && <p class="muted">The diff is cut here; `plinth task diff {id}` shows it whole.</p>}
    </div>
  );
}
