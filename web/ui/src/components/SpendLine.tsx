// A task's cost on its page, moving while its agent works, with its budget and a way to
// raise it: a task stopped by its budget goes on once it is raised and the agent is told.
import { useSignal } from "@preact/signals";
import { post, describe } from "../api";
import { putTask } from "../tasks";
import { budgetReached, costLabel, money } from "../spend";
import type { Task } from "../types";

export function SpendLine({ task }: { task: Task }) {
  const editing = useSignal(false);
  const amount = useSignal("");
  const error = useSignal<string | null>(null);
  const spend = task.spend;
  if (!spend) return null;
  const tokens =
    `${spend.input_tokens.toLocaleString()} in · ${spend.output_tokens.toLocaleString()} out` +
    (spend.cache_read_tokens ? ` · ${spend.cache_read_tokens.toLocaleString()} cache read` : "");

  async function save(e: Event) {
    e.preventDefault();
    const text = amount.value.trim().replace(/^\$/, "");
    const budget = text === "" || text === "none" ? null : Number(text);
    if (budget !== null && !(budget > 0)) {
      error.value = "give an amount above 0, e.g. 5, or leave it empty for no budget";
      return;
    }
    try {
      putTask(await post<Task>(`/api/tasks/${encodeURIComponent(task.id)}/budget`, { budget }));
      editing.value = false;
      error.value = null;
    } catch (err) {
      error.value = describe(err);
    }
  }

  // Nothing spent and no budget: only the way to set one.
  const used = spend.calls + spend.calls_in_flight > 0 || spend.budget !== null;
  return (
    <div class={`spend ${budgetReached(spend) ? "reached" : ""}`} data-cost={spend.cost}>
      {used && (
        <>
          <span class="cost" title={`prices of ${spend.prices_as_of}`}>
            {costLabel(spend)}
          </span>{" "}
          <span class="muted">
            · {spend.calls} model call{spend.calls === 1 ? "" : "s"}
            {spend.calls_in_flight > 0 && ` (${spend.calls_in_flight} under way)`} · {tokens}
          </span>
        </>
      )}
      {spend.unpriced_models.length > 0 && (
        <span class="muted"> · no price for {spend.unpriced_models.join(", ")}</span>
      )}{" "}
      {editing.value ? (
        <form class="budget-form" onSubmit={save}>
          <label>
            Budget $
            <input
              name="budget"
              inputMode="decimal"
              value={amount.value}
              onInput={(e) => (amount.value = (e.target as HTMLInputElement).value)}
              autoFocus
            />
          </label>
          <button type="submit">Set</button>
          <button type="button" onClick={() => (editing.value = false)}>
            Cancel
          </button>
        </form>
      ) : (
        <button
          class="link budget-edit"
          onClick={() => {
            amount.value = spend.budget === null ? "" : String(spend.budget);
            editing.value = true;
          }}
        >
          {spend.budget === null ? "Set a budget" : budgetReached(spend) ? "Raise the budget" : "Change the budget"}
        </button>
      )}
      {budgetReached(spend) && (
        <span class="muted"> · reached: raise it, then tell the agent to go on</span>
      )}
      {error.value && (
        <span class="error" role="alert">
          {" "}
          {error.value}
        </span>
      )}
      {spend.budget !== null && !budgetReached(spend) && (
        <span class="muted"> · {money(spend.budget - spend.cost)} left</span>
      )}
    </div>
  );
}
