import { useEffect } from "preact/hooks";
import { useSignal } from "@preact/signals";
import { get, describe } from "../api";
import type { Diff } from "../types";

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

  async function load() {
    loading.value = true;
    try {
      diff.value = await get<Diff>(`/api/tasks/${encodeURIComponent(id)}/diff`);
      error.value = null;
    } catch (err) {
      error.value = describe(err);
    } finally {
      loading.value = false;
    }
  }
  // Again whenever the task moves: its work tree changed.
  useEffect(() => void load(), [id, status]);

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
