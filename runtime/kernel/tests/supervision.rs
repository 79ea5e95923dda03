//! Supervision against real actix actors on real worker threads.

mod support;

use std::time::Duration;

use plinth_kernel::{
    ActorState, ChildRef, ChildSpec, Down, Exit, Kernel, KernelConfig, Monitor, Restart, SendError,
    Strategy, SupervisorRef,
};
use support::*;

fn kernel() -> Kernel {
    Kernel::start(KernelConfig { workers: 2 }).unwrap()
}

/// A kernel whose root supervises one probe, `name`, one for one (`max_restarts`, a first
/// backoff of `backoff_ms`); the probe's traces and address.
async fn one_probe(
    name: &'static str,
    restart: Restart,
    max_restarts: u32,
    backoff_ms: u64,
) -> (Kernel, Traces, ChildRef<Probe>) {
    let kernel = kernel();
    let traces = Traces::default();
    let (child, probe) = probe(name, restart, &traces);
    kernel
        .start_root(spec(
            Strategy::OneForOne,
            max_restarts,
            backoff_ms,
            vec![child],
        ))
        .await
        .unwrap();
    (kernel, traces, probe)
}

/// A kernel whose root supervises nothing yet (one for one, 5 restarts, 1 ms backoff).
async fn empty_root() -> (Kernel, SupervisorRef) {
    let kernel = kernel();
    let root = kernel
        .start_root(spec(Strategy::OneForOne, 5, 1, vec![]))
        .await
        .unwrap();
    (kernel, root)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_child_is_restarted_with_growing_delays_then_stopped_past_the_intensity_limit()
{
    let (kernel, traces, flaky) = one_probe("flaky", Restart::Permanent, 3, 40).await;

    // Three restarts are allowed; the fourth failure is one too many.
    for _ in 0..4 {
        let err = flaky.send(Boom).await.unwrap_err();
        assert!(matches!(err, SendError::Died { .. }), "{err}");
    }
    let exit = tokio::time::timeout(Duration::from_secs(5), kernel.root_exited())
        .await
        .unwrap();
    let Exit::Failed(reason) = exit else {
        panic!("root should fail, got {exit:?}")
    };
    assert!(
        reason.contains("flaky") && reason.contains("boom from flaky"),
        "{reason}"
    );

    let starts = traces.starts.lock().clone();
    assert_eq!(starts.len(), 4, "the first start and three restarts");
    for (k, pair) in starts.windows(2).enumerate() {
        let gap = pair[1] - pair[0];
        let backoff = Duration::from_millis(40 << k);
        assert!(
            gap >= backoff,
            "restart {} came after {gap:?}, before its backoff {backoff:?}",
            k + 1
        );
    }

    let registry = kernel.registry();
    let info = registry.get("root/flaky").unwrap();
    assert_eq!(info.state, ActorState::Failed);
    assert_eq!(info.restarts, 3);
    let why = info.last_error.unwrap();
    assert!(
        why.contains("restart limit reached")
            && why.contains("panicked while handling Boom: boom from flaky"),
        "{why}"
    );
    let root = registry.get("root").unwrap();
    assert_eq!(root.state, ActorState::Failed);
    assert!(root.last_error.unwrap().contains("flaky"));

    assert!(matches!(
        flaky.send(Incr).await,
        Err(SendError::NotRunning { .. })
    ));
    kernel.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_child_that_exits_normally_is_not_restarted() {
    let (kernel, traces, worker) = one_probe("worker", Restart::Transient, 5, 1).await;
    worker.send(Finish).await.unwrap();
    let registry = kernel.registry();
    let info = until(&registry, "root/worker", state_is(ActorState::Stopped)).await;
    assert_eq!((info.restarts, info.last_error), (0, None));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(traces.starts(), 1);
    assert!(matches!(
        worker.send(Incr).await,
        Err(SendError::NotRunning { .. })
    ));
    kernel.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_child_that_fails_is_restarted_and_sees_why() {
    let (kernel, traces, worker) = one_probe("worker", Restart::Transient, 5, 1).await;
    worker.send(Fail("the disk is full".into())).await.unwrap();
    assert_eq!(worker.send(Incr).await.unwrap(), (1, false));
    assert_eq!(traces.starts(), 2);
    let info = kernel.registry().get("worker").unwrap();
    assert_eq!((info.state, info.restarts), (ActorState::Running, 1));
    assert_eq!(info.last_error.as_deref(), Some("the disk is full"));
    kernel.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_child_is_never_restarted() {
    let (kernel, traces, once) = one_probe("once", Restart::Temporary, 5, 1).await;
    assert!(once.send(Boom).await.is_err());
    let info = until(
        &kernel.registry(),
        "root/once",
        state_is(ActorState::Failed),
    )
    .await;
    assert!(info.last_error.unwrap().contains("boom from once"));
    assert_eq!(info.restart_limit, None);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(traces.starts(), 1);
    kernel.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_builds_a_fresh_actor_from_its_persisted_state() {
    let (kernel, _traces, counter) = one_probe("counter", Restart::Permanent, 5, 1).await;
    for expected in 1..=3 {
        assert_eq!(counter.send(Incr).await.unwrap(), (expected, false));
    }
    assert!(counter.send(Boom).await.is_err());
    // The panic left `dirty` set in the old struct; the new one is built by the factory.
    assert_eq!(counter.send(Incr).await.unwrap(), (4, false));
    kernel.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_sent_during_a_backoff_reach_the_next_incarnation() {
    let (kernel, _traces, counter) = one_probe("counter", Restart::Permanent, 5, 150).await;
    assert!(counter.send(Boom).await.is_err());
    until(
        &kernel.registry(),
        "counter",
        state_is(ActorState::Restarting),
    )
    .await;
    let sends: Vec<_> = (0..5).map(|_| counter.send(Incr)).collect();
    let mut replies: Vec<u64> = futures::future::join_all(sends)
        .await
        .into_iter()
        .map(|r| r.unwrap().0)
        .collect();
    replies.sort();
    assert_eq!(replies, vec![1, 2, 3, 4, 5]);
    kernel.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nested_supervisor_that_gives_up_is_restarted_by_its_parent() {
    let kernel = kernel();
    let traces = Traces::default();
    let (child, flaky) = probe("flaky", Restart::Permanent, &traces);
    let (inner, _) = ChildSpec::supervisor(
        "inner",
        Restart::Permanent,
        spec(Strategy::OneForOne, 1, 1, vec![child]),
    );
    kernel
        .start_root(spec(Strategy::OneForOne, 5, 1, vec![inner]))
        .await
        .unwrap();

    assert!(flaky.send(Boom).await.is_err());
    assert!(flaky.send(Boom).await.is_err());
    // The inner supervisor gave up and escalated; the root restarted it, and with it the child.
    assert_eq!(flaky.send(Incr).await.unwrap(), (1, false));
    let registry = kernel.registry();
    let inner = until(&registry, "root/inner", state_is(ActorState::Running)).await;
    assert_eq!(inner.restarts, 1);
    assert!(inner.last_error.unwrap().contains("flaky"));
    let child = registry.get("root/inner/flaky").unwrap();
    assert_eq!(child.parent, Some(inner.id));
    assert_eq!(child.state, ActorState::Running);
    assert_eq!(traces.starts(), 3);
    assert_eq!(registry.get("root").unwrap().state, ActorState::Running);
    kernel.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_for_all_restarts_every_sibling() {
    let kernel = kernel();
    let (a_traces, b_traces) = (Traces::default(), Traces::default());
    let (a, a_ref) = probe("a", Restart::Permanent, &a_traces);
    let (b, b_ref) = probe("b", Restart::Permanent, &b_traces);
    kernel
        .start_root(spec(Strategy::OneForAll, 5, 1, vec![a, b]))
        .await
        .unwrap();
    a_ref.send(Incr).await.unwrap();
    assert!(b_ref.send(Boom).await.is_err());
    b_ref.send(Incr).await.unwrap();
    until(&kernel.registry(), "root/a", |i| {
        i.state == ActorState::Running && i.restarts == 1
    })
    .await;
    assert_eq!((a_traces.starts(), b_traces.starts()), (2, 2));
    assert!(
        a_traces.log().contains(&"a stopping".to_string()),
        "the sibling is stopped cleanly"
    );
    kernel.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_for_one_restarts_only_the_children_started_after() {
    let kernel = kernel();
    let traces: Vec<Traces> = (0..3).map(|_| Traces::default()).collect();
    let (a, _) = probe("a", Restart::Permanent, &traces[0]);
    let (b, b_ref) = probe("b", Restart::Permanent, &traces[1]);
    let (c, c_ref) = probe("c", Restart::Permanent, &traces[2]);
    kernel
        .start_root(spec(Strategy::RestForOne, 5, 1, vec![a, b, c]))
        .await
        .unwrap();
    c_ref.send(Incr).await.unwrap();
    assert!(b_ref.send(Boom).await.is_err());
    b_ref.send(Incr).await.unwrap();
    until(&kernel.registry(), "root/c", |i| {
        i.state == ActorState::Running && i.restarts == 1
    })
    .await;
    let starts: Vec<usize> = traces.iter().map(Traces::starts).collect();
    assert_eq!(starts, vec![1, 2, 2]);
    kernel.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_children_in_reverse_start_order() {
    let kernel = kernel();
    let traces = Traces::default();
    let children: Vec<ChildSpec> = ["a", "b", "c"]
        .into_iter()
        .map(|n| probe(n, Restart::Permanent, &traces).0)
        .collect();
    kernel
        .start_root(spec(Strategy::OneForOne, 5, 1, children))
        .await
        .unwrap();
    until(&kernel.registry(), "root/c", state_is(ActorState::Running)).await;
    kernel.shutdown(Duration::from_secs(2)).await;
    assert_eq!(kernel.root_exited().await, Exit::Shutdown);
    let stops: Vec<String> = traces
        .log()
        .into_iter()
        .filter(|l| l.ends_with("stopping"))
        .collect();
    assert_eq!(stops, vec!["c stopping", "b stopping", "a stopping"]);
    assert_eq!(
        kernel.registry().get("root/a").unwrap().state,
        ActorState::Stopped
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_can_be_added_and_removed_while_running() {
    let (kernel, root) = empty_root().await;
    let traces = Traces::default();
    let (child, task) = probe("task-1", Restart::Transient, &traces);
    let id = root.start_child(child).await.unwrap();
    assert_eq!(task.send(Incr).await.unwrap(), (1, false));
    assert_eq!(task.id(), Some(id));
    let (dup, _) = probe("task-1", Restart::Transient, &traces);
    assert!(
        root.start_child(dup)
            .await
            .unwrap_err()
            .to_string()
            .contains("already has")
    );
    root.terminate_child("task-1").await.unwrap();
    assert!(kernel.registry().get("root/task-1").is_none());
    assert!(matches!(
        task.send(Incr).await,
        Err(SendError::NotRunning { .. })
    ));
    assert!(root.terminate_child("task-1").await.is_err());
    kernel.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registry_shows_the_mailbox_and_the_message_in_hand() {
    let (kernel, _traces, busy) = one_probe("busy", Restart::Permanent, 5, 1).await;
    busy.send(Incr).await.unwrap();
    let (release, held) = std::sync::mpsc::channel();
    busy.do_send(Block(held)).unwrap();
    for _ in 0..3 {
        busy.do_send(Incr).unwrap();
    }
    let registry = kernel.registry();
    // A snapshot reads its counters one by one, so wait for it to settle on the held actor.
    let info = until(&registry, "busy", |i| {
        i.in_flight.is_some() && i.mailbox == 3
    })
    .await;
    assert_eq!(info.in_flight.as_deref(), Some("Block"));
    release.send(()).unwrap();
    let info = until(&registry, "busy", |i| i.handled == 5).await;
    assert_eq!((info.mailbox, info.in_flight), (0, None));
    let root = registry.get("root").unwrap();
    assert_eq!(
        (info.parent, info.kind.as_str(), root.kind.as_str()),
        (Some(root.id), "probe", "supervisor")
    );
    kernel.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_factory_that_fails_counts_as_a_failure_with_its_reason() {
    let kernel = kernel();
    let (child, _) = ChildSpec::actor(
        "broken",
        "probe",
        Restart::Permanent,
        || -> Result<support::Probe, String> { Err("config file missing".into()) },
    );
    kernel
        .start_root(spec(Strategy::OneForOne, 2, 1, vec![child]))
        .await
        .unwrap();
    let Exit::Failed(reason) = tokio::time::timeout(Duration::from_secs(5), kernel.root_exited())
        .await
        .unwrap()
    else {
        panic!("root should give up")
    };
    assert!(
        reason.contains("could not start: config file missing"),
        "{reason}"
    );
    kernel.shutdown(Duration::from_secs(1)).await;
}

/// A monitor that has not fired within a short while (it must not have).
async fn still_pending(monitor: &mut Monitor) {
    assert!(
        tokio::time::timeout(Duration::from_millis(100), monitor)
            .await
            .is_err(),
        "the monitor fired though the child runs on"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_past_its_own_budget_ends_failed_alone_with_growing_delays_and_its_supervisor_goes_on()
 {
    let kernel = kernel();
    let (traces, steady_traces) = (Traces::default(), Traces::default());
    let (child, flaky) = probe("flaky", Restart::Transient, &traces);
    let mut child = child.with_budget(budget(3, 40));
    let mut down = child.monitor();
    let (steady, steady_ref) = probe("steady", Restart::Permanent, &steady_traces);
    // The supervisor itself allows a single restart: the child's four failures would be
    // far too many for it, were they counted against it.
    kernel
        .start_root(spec(Strategy::OneForAll, 1, 1, vec![steady, child]))
        .await
        .unwrap();
    steady_ref.send(Incr).await.unwrap();

    for n in 0..4 {
        assert!(flaky.send(Boom).await.is_err());
        if n < 3 {
            still_pending(&mut down).await;
        }
    }
    let ended = tokio::time::timeout(Duration::from_secs(5), down)
        .await
        .expect("the monitor fires once the budget is spent");
    let Down::BudgetSpent {
        exits,
        within,
        last,
    } = ended
    else {
        panic!("{ended:?}")
    };
    assert_eq!((exits, within), (4, Duration::from_secs(30)));
    assert!(last.contains("boom from flaky"), "{last}");

    let starts = traces.starts.lock().clone();
    assert_eq!(starts.len(), 4, "the first start and three restarts");
    for (k, pair) in starts.windows(2).enumerate() {
        let backoff = Duration::from_millis(40 << k);
        assert!(pair[1] - pair[0] >= backoff, "restart {} too soon", k + 1);
    }
    let registry = kernel.registry();
    let info = registry.get("root/flaky").unwrap();
    assert_eq!((info.state, info.restarts), (ActorState::Failed, 3));
    assert_eq!(
        info.restart_limit.unwrap().max_restarts,
        3,
        "its own budget"
    );
    let why = info.last_error.unwrap();
    assert!(
        why.contains("restart budget is spent") && why.contains("boom from flaky"),
        "{why}"
    );
    assert!(matches!(
        flaky.send(Incr).await,
        Err(SendError::NotRunning { .. })
    ));
    // Neither the supervisor nor the one_for_all sibling was touched.
    assert!(
        tokio::time::timeout(Duration::from_millis(100), kernel.root_exited())
            .await
            .is_err(),
        "the supervisor gave up"
    );
    assert_eq!(registry.get("root").unwrap().state, ActorState::Running);
    assert_eq!(steady_ref.send(Incr).await.unwrap(), (2, false));
    assert_eq!(steady_traces.starts(), 1);
    assert_eq!(registry.get("root/steady").unwrap().restarts, 0);
    kernel.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_children_crash_looping_on_their_own_budgets_never_make_their_supervisor_give_up() {
    let (kernel, root) = empty_root().await;
    // Like the server's `tasks`: a supervisor the task-like children are added to.
    let (tasks, tasks_ref) = ChildSpec::supervisor(
        "tasks",
        Restart::Permanent,
        spec(Strategy::OneForOne, 3, 1, vec![]),
    );
    root.start_child(tasks).await.unwrap();
    let mut handles = Vec::new();
    for name in ["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"] {
        let (child, r) = probe(name, Restart::Transient, &Traces::default());
        let mut child = child.with_budget(budget(2, 1));
        handles.push((r, child.monitor()));
        tasks_ref.start_child(child).await.unwrap();
    }
    // Thirty failures in a moment, ten times what `tasks` itself allows.
    for (child, _) in &handles {
        for _ in 0..3 {
            assert!(child.send(Boom).await.is_err());
        }
    }
    for (_, down) in handles {
        let ended = tokio::time::timeout(Duration::from_secs(5), down)
            .await
            .unwrap();
        assert!(
            matches!(ended, Down::BudgetSpent { exits: 3, .. }),
            "{ended:?}"
        );
    }
    let registry = kernel.registry();
    let tasks = registry.get("root/tasks").unwrap();
    assert_eq!((tasks.state, tasks.restarts), (ActorState::Running, 0));
    assert_eq!(registry.get("root").unwrap().state, ActorState::Running);
    kernel.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitor_hears_the_final_exit_only() {
    let (kernel, root) = empty_root().await;
    let traces = Traces::default();

    // A transient child: a failure is restarted (no word), a normal exit is its end.
    let (mut child, worker) = probe("worker", Restart::Transient, &traces);
    let mut down = child.monitor();
    root.start_child(child).await.unwrap();
    worker.send(Fail("the disk is full".into())).await.unwrap();
    assert_eq!(worker.send(Incr).await.unwrap().0, 1);
    still_pending(&mut down).await;
    worker.send(Finish).await.unwrap();
    assert_eq!(down.await, Down::Exited(Exit::Normal));

    // A temporary child's failure is final at once.
    let (mut child, once) = probe("once", Restart::Temporary, &traces);
    let down = child.monitor();
    root.start_child(child).await.unwrap();
    assert!(once.send(Boom).await.is_err());
    let Down::Exited(Exit::Failed(reason)) = down.await else {
        panic!("a failure")
    };
    assert!(reason.contains("boom from once"), "{reason}");

    // Removed by its supervisor, and stopped with the tree.
    let (mut child, _) = probe("removed", Restart::Permanent, &traces);
    let removed = child.monitor();
    root.start_child(child).await.unwrap();
    let (mut child, _) = probe("kept", Restart::Permanent, &traces);
    let mut kept = child.monitor();
    root.start_child(child).await.unwrap();
    root.terminate_child("removed").await.unwrap();
    assert_eq!(removed.await, Down::Exited(Exit::Shutdown));
    still_pending(&mut kept).await;
    kernel.shutdown(Duration::from_secs(1)).await;
    assert_eq!(kept.await, Down::Exited(Exit::Shutdown));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_for_all_stops_a_temporary_sibling_for_good() {
    let kernel = kernel();
    let (a_traces, t_traces) = (Traces::default(), Traces::default());
    let (a, a_ref) = probe("a", Restart::Permanent, &a_traces);
    let (mut t, t_ref) = probe("t", Restart::Temporary, &t_traces);
    let down = t.monitor();
    kernel
        .start_root(spec(Strategy::OneForAll, 5, 1, vec![a, t]))
        .await
        .unwrap();
    t_ref.send(Incr).await.unwrap();
    assert!(a_ref.send(Boom).await.is_err());
    a_ref.send(Incr).await.unwrap();
    assert_eq!(down.await, Down::Exited(Exit::Shutdown));
    assert!(t_traces.log().contains(&"t stopping".to_string()));
    assert_eq!(t_traces.starts(), 1, "not started again");
    assert!(matches!(
        t_ref.send(Incr).await,
        Err(SendError::NotRunning { .. })
    ));
    kernel.shutdown(Duration::from_secs(1)).await;
}
