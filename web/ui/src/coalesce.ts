// Many requests, one run: for work that should follow a burst of events (re-reading a
// diff while an agent edits file after file) without running once per event.

export interface Coalesced {
  /** Asks for a run: it comes once `quietMs` pass without another ask, or `maxWaitMs`
   * after the first unanswered ask, whichever is sooner. */
  request(): void;
  cancel(): void;
}

export function coalesce(run: () => void, quietMs: number, maxWaitMs: number): Coalesced {
  let quiet: ReturnType<typeof setTimeout> | null = null;
  let deadline: ReturnType<typeof setTimeout> | null = null;
  const cancel = () => {
    if (quiet) clearTimeout(quiet);
    if (deadline) clearTimeout(deadline);
    quiet = deadline = null;
  };
  const fire = () => {
    cancel();
    run();
  };
  return {
    request() {
      if (quiet) clearTimeout(quiet);
      quiet = setTimeout(fire, quietMs);
      deadline ??= setTimeout(fire, maxWaitMs);
    },
    cancel,
  };
}
