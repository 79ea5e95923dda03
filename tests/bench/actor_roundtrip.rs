//! Request/reply to a supervised actor on another thread: a caller on a tokio runtime sends
//! through a `ChildRef` to an actor on a kernel worker (actix arbiter) and awaits the reply.

use std::time::{Duration, Instant};

use actix::Message;
use plinth_kernel::{
    Backoff, Child, ChildSpec, Ctx, Handle, Intensity, Kernel, KernelConfig, Restart, Strategy,
    SupervisorSpec,
};

const WARMUP: usize = 20_000;
const SAMPLES: usize = 200_000;

struct Echo;

impl Child for Echo {}

struct Ping(u64);

impl Message for Ping {
    type Result = u64;
}

impl Handle<Ping> for Echo {
    type Result = actix::MessageResult<Ping>;

    fn handle(&mut self, msg: Ping, _: &mut Ctx<'_, Self>) -> Self::Result {
        actix::MessageResult(msg.0 + 1)
    }
}

pub fn run() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let kernel = Kernel::start(KernelConfig::default()).unwrap();
        let (spec, echo) = ChildSpec::actor("echo", "echo", Restart::Permanent, || Ok(Echo));
        kernel
            .start_root(SupervisorSpec {
                strategy: Strategy::OneForOne,
                intensity: Intensity {
                    max_restarts: 1,
                    within: Duration::from_secs(1),
                },
                backoff: Backoff {
                    initial: Duration::from_millis(1),
                    max: Duration::from_millis(1),
                    factor: 1,
                },
                children: vec![spec],
            })
            .await
            .unwrap();
        for i in 0..WARMUP as u64 {
            assert_eq!(echo.send(Ping(i)).await.unwrap(), i + 1);
        }
        let mut samples = Vec::with_capacity(SAMPLES);
        let began = Instant::now();
        for i in 0..SAMPLES as u64 {
            let t = Instant::now();
            let reply = echo.send(Ping(i)).await.unwrap();
            samples.push(t.elapsed());
            assert_eq!(reply, i + 1);
        }
        let total = began.elapsed();
        samples.sort();
        let at = |q: f64| samples[((SAMPLES as f64 - 1.0) * q) as usize].as_secs_f64() * 1e6;
        println!(
            "actor round trip across threads ({SAMPLES} sequential request/replies): median {:.2} µs, p90 {:.2} µs, p99 {:.2} µs, {:.0} round trips/s (target: median ≤ 5 µs)",
            at(0.5),
            at(0.9),
            at(0.99),
            SAMPLES as f64 / total.as_secs_f64()
        );
        let handled = kernel.registry().get("root/echo").unwrap().handled;
        assert_eq!(handled, (WARMUP + SAMPLES) as u64, "the registry counted every message");
        kernel.shutdown(Duration::from_secs(1)).await;
    });
}
