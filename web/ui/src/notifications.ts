// Notifications: `notification` events, from any source. Shown in the page (a list and a
// toast for new ones), and as a browser notification when the tab is hidden and the user
// allowed them.
import { signal } from "@preact/signals";
import { describe, get } from "./api";
import { approveDeny, questionBody } from "./question";
import type { PlinthEvent, Question, Task } from "./types";

export interface Note {
  seq: number;
  task: string | null;
  title: string;
  body: string;
  urgent: boolean;
  at: number;
}

export function toNote(event: PlinthEvent): Note {
  const d = event.data ?? {};
  return {
    seq: event.seq,
    task: event.task,
    title: String(d.title ?? "notification"),
    body: String(d.body ?? ""),
    urgent: d.urgency === "needs-attention",
    at: Date.parse(event.at) || Date.now(),
  };
}

/** `list` with `note` in seq order, once. */
export function addNote(list: Note[], note: Note, keep = 200): Note[] {
  if (list.some((n) => n.seq === note.seq)) return list;
  const next = [...list, note].sort((a, b) => a.seq - b.seq);
  return next.length > keep ? next.slice(next.length - keep) : next;
}

/** Whether a note should also be a browser notification now. */
export function wantsBrowserNotification(hidden: boolean, permission: string): boolean {
  return hidden && permission === "granted";
}

export const notes = signal<Note[]>([]);
export const toasts = signal<Note[]>([]);
export const notesError = signal<string | null>(null);
/** The highest seq the user has seen in the list (kept across reloads). */
export const seenSeq = signal<number>(Number(localStorage.getItem("plinth.seenSeq") ?? 0));

export function markSeen(): void {
  const last = notes.value.at(-1)?.seq ?? 0;
  seenSeq.value = last;
  localStorage.setItem("plinth.seenSeq", String(last));
}

/** The notifications recorded before the page opened (the newest are kept). */
export async function loadNotes(upTo: number): Promise<void> {
  try {
    let after = 0;
    let list = notes.value;
    for (let page = 0; page < 20; page++) {
      const events = await get<PlinthEvent[]>(`/api/events?kind=notification&after=${after}&limit=10000`);
      for (const e of events) if (e.seq <= upTo) list = addNote(list, toNote(e));
      if (events.length < 10000) break;
      after = events[events.length - 1].seq;
    }
    notes.value = list;
  } catch (err) {
    notesError.value = `loading notifications: ${describe(err)}`;
  }
}

/** A notification event from the live stream. */
export function receive(event: PlinthEvent, open: (task: string) => void): void {
  const note = toNote(event);
  notes.value = addNote(notes.value, note);
  toasts.value = [...toasts.value, note].slice(-4);
  setTimeout(() => (toasts.value = toasts.value.filter((t) => t.seq !== note.seq)), 8000);
  if (typeof Notification !== "undefined" && wantsBrowserNotification(document.hidden, Notification.permission)) {
    void showBrowserNotification(note, open);
  }
}

/** What a browser notification of `note` says and offers: the task's question, if it
 * waits on one, with Approve and Deny as actions (answered by the service worker). */
export function browserNotification(note: Note, question: Question | null | undefined): {
  title: string;
  body: string;
  actions: { action: string; title: string }[];
  choices: Record<string, string>;
} {
  if (!question) return { title: note.title, body: note.body, actions: [], choices: {} };
  const { approve, deny } = approveDeny(question);
  const actions: { action: string; title: string }[] = [];
  const choices: Record<string, string> = {};
  if (approve) {
    actions.push({ action: "approve", title: "Approve" });
    choices.approve = approve.id;
  }
  if (deny) {
    actions.push({ action: "deny", title: "Deny" });
    choices.deny = deny.id;
  }
  return { title: note.title, body: questionBody(question), actions, choices };
}

async function showBrowserNotification(note: Note, open: (task: string) => void): Promise<void> {
  // The question comes with the task, read fresh: the status that brought it may still be
  // on its way to the list.
  let question: Question | null | undefined = null;
  if (note.task && note.urgent) {
    try {
      question = (await get<Task>(`/api/tasks/${encodeURIComponent(note.task)}`)).question;
    } catch {
      /* shown without it */
    }
  }
  const shown = browserNotification(note, question);
  const options = { body: shown.body, tag: `plinth-${note.seq}`, data: { task: note.task, choices: shown.choices } };
  const worker = "serviceWorker" in navigator ? await navigator.serviceWorker.getRegistration() : undefined;
  if (worker && shown.actions.length) {
    try {
      await worker.showNotification(shown.title, { ...options, actions: shown.actions } as NotificationOptions);
      return;
    } catch {
      /* no actions here: a plain one below */
    }
  }
  try {
    const n = new Notification(shown.title, options);
    n.onclick = () => {
      window.focus();
      if (note.task) open(note.task);
      n.close();
    };
  } catch {
    /* some browsers only allow notifications from a service worker */
  }
}

/** Registers the service worker that answers a notification's actions. */
export async function registerWorker(): Promise<void> {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register("/sw.js");
  } catch {
    /* notifications still show, without actions */
  }
}

export const permission = signal<string>(typeof Notification === "undefined" ? "unsupported" : Notification.permission);

export async function askPermission(): Promise<void> {
  if (typeof Notification === "undefined") return;
  permission.value = await Notification.requestPermission();
}
