import { useEffect, useRef } from "preact/hooks";
import { useSignal } from "@preact/signals";
import { get, post, describe } from "../api";
import { navigate } from "../router";
import { putTask } from "../tasks";
import type { Agent, Project, Task } from "../types";

/** What the form offers before the server has answered (the built-in adapters). */
const BUILT_IN: Agent[] = [
  { name: "claude-code", description: "Claude Code", builtin: true, loads: true },
  { name: "scripted", description: "a scripted stand-in agent", builtin: true, loads: true },
];

/** What the form says under the agent field: why the named one cannot run, if it cannot. */
export function agentProblem(name: string, agents: Agent[]): string | null {
  const wanted = name.trim();
  if (!wanted) return null;
  const agent = agents.find((a) => a.name === wanted);
  if (!agent) return `No agent is called ${wanted}: ${agents.map((a) => a.name).join(", ")} can run (plinth agents add adds one).`;
  if (!agent.loads) return `${wanted} was not granted everything it imports, so it cannot load (plinth agents inspect ${wanted}).`;
  return null;
}

export function NewTask({ compact = false }: { compact?: boolean }) {
  const projects = useSignal<Project[] | null>(null);
  const agents = useSignal<Agent[]>(BUILT_IN);
  const repo = useSignal("");
  const prompt = useSignal("");
  const agent = useSignal("claude-code");
  const base = useSignal("");
  const sandbox = useSignal<"docker" | "local">("docker");
  const dockerError = useSignal<string | null>(null);
  const error = useSignal<string | null>(null);
  const busy = useSignal(false);
  const promptRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (!compact) promptRef.current?.focus();
    get<Project[]>("/api/projects")
      .then((list) => {
        projects.value = list;
        if (!repo.value && list.length) repo.value = list[list.length - 1].path;
      })
      .catch((err) => (error.value = `loading the projects: ${describe(err)}`));
    get<Agent[]>("/api/agents")
      .then((list) => (agents.value = list))
      .catch(() => {
        /* the built-in names stay offered; the server checks the name on submit */
      });
    get<{ default_sandbox: "docker" | "local"; docker_error: string | null }>("/api/environments")
      .then((env) => {
        sandbox.value = env.default_sandbox;
        dockerError.value = env.docker_error;
      })
      .catch(() => {
        /* the form still works; the server says what is wrong on submit */
      });
  }, []);

  async function submit(e?: Event) {
    e?.preventDefault();
    if (busy.value) return;
    error.value = null;
    if (!prompt.value.trim()) return void (error.value = "Write a prompt: what should the agent do?");
    if (!repo.value.trim()) return void (error.value = "Choose the repository the task works on (its path on this machine).");
    busy.value = true;
    try {
      const task = await post<Task>("/api/tasks", {
        prompt: prompt.value,
        repo: repo.value.trim(),
        agent: agent.value.trim() || undefined,
        base: base.value.trim() || undefined,
        sandbox: sandbox.value,
      });
      putTask(task);
      prompt.value = "";
      navigate({ page: "task", id: task.id, tab: "transcript" });
    } catch (err) {
      error.value = describe(err);
    } finally {
      busy.value = false;
    }
  }

  const form = (
    <form class={`new-task ${compact ? "compact" : ""}`} onSubmit={submit} aria-label="New task">
      {!compact && <h1>New task</h1>}
      <label>
        Prompt
        <textarea
          id="prompt"
          ref={promptRef}
          rows={compact ? 3 : 6}
          value={prompt.value}
          placeholder="What should the agent do? (Ctrl+Enter creates the task)"
          onInput={(e) => (prompt.value = e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) void submit(e);
          }}
        />
      </label>
      <div class="fields">
        <label>
          Repository
          <input
            id="repo"
            list="projects"
            value={repo.value}
            placeholder="/path/to/repository"
            onInput={(e) => (repo.value = e.currentTarget.value)}
          />
          <datalist id="projects">
            {(projects.value ?? []).map((p) => (
              <option key={p.id} value={p.path}>
                {p.name}
              </option>
            ))}
          </datalist>
        </label>
        <label>
          Agent
          <input id="agent" list="agents" value={agent.value} onInput={(e) => (agent.value = e.currentTarget.value)} />
          <datalist id="agents">
            {agents.value.map((a) => (
              <option key={a.name} value={a.name}>
                {a.builtin ? `${a.description} (built in)` : a.description}
              </option>
            ))}
          </datalist>
          {agentProblem(agent.value, agents.value) && (
            <span class="field-note warn" data-testid="agent-problem">
              {agentProblem(agent.value, agents.value)}
            </span>
          )}
        </label>
        <label>
          Base branch
          <input
            id="base"
            value={base.value}
            placeholder="the repository's current branch"
            onInput={(e) => (base.value = e.currentTarget.value)}
          />
        </label>
      </div>
      <fieldset class="sandbox">
        <legend>Sandbox</legend>
        <label>
          <input type="radio" name="sandbox" value="docker" checked={sandbox.value === "docker"} onChange={() => (sandbox.value = "docker")} />
          Docker container
          {dockerError.value && <span class="warn"> — Docker is not reachable: {dockerError.value}</span>}
        </label>
        <label class="unsafe">
          <input type="radio" name="sandbox" value="local" checked={sandbox.value === "local"} onChange={() => (sandbox.value = "local")} />
          Local <strong class="unsafe-tag">unsafe</strong>: the agent runs on this machine, unconfined, as you
        </label>
      </fieldset>
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
      <button type="submit" disabled={busy.value}>
        {busy.value ? "Creating…" : "Create task"} <kbd>Ctrl+Enter</kbd>
      </button>
    </form>
  );
  return compact ? form : <section class="new-page">{form}</section>;
}
