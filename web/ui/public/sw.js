// plinth's service worker: only for notifications. A browser notification of a task's
// question carries Approve and Deny actions (where the browser shows them); picking one
// answers the question through the API, with the page's session cookie. Clicking the
// notification itself opens the task.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("notificationclick", (event) => {
  const data = event.notification.data || {};
  event.notification.close();
  const choice = event.action ? (data.choices || {})[event.action] : null;
  if (data.task && choice) {
    event.waitUntil(
      fetch(`/api/tasks/${encodeURIComponent(data.task)}/answer`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ choice }),
      }),
    );
    return;
  }
  const url = data.task ? `/tasks/${encodeURIComponent(data.task)}` : "/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const w of windows) {
        if ("focus" in w) {
          w.focus();
          if ("navigate" in w) w.navigate(url);
          return;
        }
      }
      return self.clients.openWindow(url);
    }),
  );
});
