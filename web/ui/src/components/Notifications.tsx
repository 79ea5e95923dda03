import { useEffect } from "preact/hooks";
import { notes, toasts, notesError, markSeen, permission, askPermission, seenSeq, type Note } from "../notifications";
import { navigate } from "../router";

function NoteRow({ note, fresh }: { note: Note; fresh?: boolean }) {
  return (
    <li class={`note-row ${note.urgent ? "urgent" : ""} ${fresh ? "fresh" : ""}`} data-seq={note.seq}>
      <div>
        <strong>{note.title}</strong> <span class="muted">{new Date(note.at).toLocaleTimeString()}</span>
      </div>
      {note.body && <div>{note.body}</div>}
      {note.task && (
        <a
          href={`/tasks/${encodeURIComponent(note.task)}`}
          onClick={(e) => (e.preventDefault(), navigate({ page: "task", id: note.task!, tab: "transcript" }))}
        >
          {note.task}
        </a>
      )}
    </li>
  );
}

function Permission() {
  if (permission.value === "unsupported") return <p class="muted">This browser has no notifications; they show here only.</p>;
  if (permission.value === "granted") return <p class="muted">Browser notifications are on: you get one when this tab is hidden.</p>;
  if (permission.value === "denied") return <p class="muted">Browser notifications are blocked for this site (the browser's site settings can allow them).</p>;
  return (
    <p>
      <button onClick={() => void askPermission()}>Allow browser notifications</button>{" "}
      <span class="muted">to hear from plinth when this tab is hidden.</span>
    </p>
  );
}

export function NotificationsPage() {
  const seen = seenSeq.peek();
  // Opening the list marks everything in it as seen.
  useEffect(() => markSeen(), [notes.value.length]);
  const list = [...notes.value].reverse();
  return (
    <section class="notifications-page">
      <h1>Notifications</h1>
      <Permission />
      {notesError.value && (
        <p class="error" role="alert">
          {notesError.value}
        </p>
      )}
      {list.length === 0 && <p class="muted">None yet.</p>}
      <ul class="notes">
        {list.map((n) => (
          <NoteRow key={n.seq} note={n} fresh={n.seq > seen} />
        ))}
      </ul>
    </section>
  );
}

export function TaskNotes({ id }: { id: string }) {
  const list = notes.value.filter((n) => n.task === id).reverse();
  return (
    <div class="task-notes">
      {list.length === 0 && <p class="muted">No notifications for this task.</p>}
      <ul class="notes">
        {list.map((n) => (
          <NoteRow key={n.seq} note={n} />
        ))}
      </ul>
    </div>
  );
}

export function Toasts() {
  return (
    <div class="toasts" aria-live="polite">
      {toasts.value.map((n) => (
        <div key={n.seq} class={`toast ${n.urgent ? "urgent" : ""}`} role="status" data-testid="toast">
          <strong>{n.title}</strong>
          {n.body && <div>{n.body}</div>}
          {n.task && (
            <a
              href={`/tasks/${encodeURIComponent(n.task)}`}
              onClick={(e) => {
                e.preventDefault();
                navigate({ page: "task", id: n.task!, tab: "transcript" });
                toasts.value = toasts.value.filter((t) => t.seq !== n.seq);
              }}
            >
              open
            </a>
          )}
        </div>
      ))}
    </div>
  );
}
