// Keyboard first: one key per move, none while typing in a field (except Escape).
export type KeyAction =
  | "new"
  | "next"
  | "prev"
  | "open-first-waiting"
  | "inspector"
  | "home"
  | "notifications"
  | "reply"
  | "transcript"
  | "diff"
  | "terminal"
  | "task-notifications"
  | "help"
  | "escape";

export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** The event's target is a text field, a select or the terminal. */
  typing: boolean;
}

export const KEYS: [string, string][] = [
  ["n", "new task"],
  ["j / ↓", "next task"],
  ["k / ↑", "previous task"],
  ["w", "the first task waiting for you"],
  ["r", "reply: the message box"],
  ["1 2 3 4", "transcript, diff, terminal, the task's notifications"],
  ["i", "inspector (actors)"],
  ["b", "notifications"],
  ["g", "home"],
  ["Enter", "send the message (Shift+Enter: new line)"],
  ["Ctrl+Enter", "create the task"],
  ["Esc", "leave the field / close"],
  ["?", "these keys"],
];

export function keyAction(e: KeyInput): KeyAction | null {
  if (e.key === "Escape") return "escape";
  if (e.typing || e.ctrlKey || e.metaKey || e.altKey) return null;
  switch (e.key) {
    case "n":
      return "new";
    case "j":
    case "ArrowDown":
      return "next";
    case "k":
    case "ArrowUp":
      return "prev";
    case "w":
      return "open-first-waiting";
    case "i":
      return "inspector";
    case "g":
      return "home";
    case "b":
      return "notifications";
    case "r":
      return "reply";
    case "1":
      return "transcript";
    case "2":
      return "diff";
    case "3":
      return "terminal";
    case "4":
      return "task-notifications";
    case "?":
      return "help";
    default:
      return null;
  }
}

/** The id after (or before) `current` in `ids`, staying at the ends. */
export function step(ids: string[], current: string | null, by: 1 | -1): string | null {
  if (!ids.length) return null;
  const at = current === null ? -1 : ids.indexOf(current);
  if (at === -1) return by === 1 ? ids[0] : ids[ids.length - 1];
  return ids[Math.min(ids.length - 1, Math.max(0, at + by))];
}

export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return (
    el.tagName === "INPUT" ||
    el.tagName === "TEXTAREA" ||
    el.tagName === "SELECT" ||
    el.isContentEditable ||
    !!el.closest?.(".xterm")
  );
}
