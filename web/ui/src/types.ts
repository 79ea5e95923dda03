// The shapes the API answers with (docs/architecture.md lists them).

export interface PlinthEvent {
  seq: number;
  kind: string;
  task: string | null;
  at: string;
  data: any;
}

export type TaskStatus =
  | "starting"
  | "working"
  | "waiting-for-user"
  | "idle"
  | "stopped"
  | "finished"
  | "failed";

export interface Task {
  id: string;
  prompt: string;
  agent: string;
  status: TaskStatus | string;
  lifecycle: string;
  agent_status: string | null;
  detail: string | null;
  failure: string | null;
  project: string;
  project_path: string;
  base_branch: string;
  branch: string;
  sandbox: "docker" | "local";
  unsafe_sandbox: boolean;
  archived: boolean;
  created_at: string;
  updated_at: string;
  /** When `status` last changed. */
  status_since: string;
  /** What its model calls have used and cost, and its budget. */
  spend?: Spend | null;
  /** The question its agent waits on, with the answers it offers; null when none. */
  question?: Question | null;
}

export type ChoiceKind = "allow" | "allow-always" | "deny" | "other";

export interface Choice {
  /** The adapter's id for it: what `POST /api/tasks/{id}/answer` takes. */
  id: string;
  label: string;
  kind: ChoiceKind;
}

export interface Question {
  text: string;
  /** What it is about: the tool and its command, the file. */
  detail: string | null;
  choices: Choice[];
}

export interface Spend {
  calls: number;
  calls_in_flight: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_creation_tokens: number;
  /** Finished calls and what the calls under way have used so far. */
  cost: number;
  currency: string;
  budget: number | null;
  /** Models without a price: their calls' cost is not in `cost`. */
  unpriced_models: string[];
  prices_as_of: string;
}

export interface Agent {
  name: string;
  description: string;
  builtin: boolean;
  /** False when it imports capabilities it was not granted: a task naming it fails. */
  loads: boolean;
}

export interface Project {
  id: string;
  name: string;
  path: string;
  added_at: string;
}

export interface ActorInfo {
  id: number;
  name: string;
  kind: string;
  parent: number | null;
  state: string;
  mailbox: number;
  handled: number;
  restarts: number;
  last_error: string | null;
  started_at: number;
  uptime_ms: number;
  in_flight: string | null;
}

export interface Diff {
  task: string;
  source: string;
  base: string;
  head: string | null;
  files_changed: number;
  insertions: number;
  deletions: number;
  files: { path: string; insertions: number; deletions: number; binary: boolean }[];
  diff: string;
  truncated: boolean;
}
