//! The `time` functions of a script on a virtual clock (`pymqtt test`'s `clock virtual`,
//! src/host/clock.rs): [`install`](super::install) puts them on `time` in place of the real
//! ones when the host has such a clock, so a script on the real clock pays nothing for them.
//! `localtime()`, `gmtime()`, `ctime()`, `asctime()` and `strftime()` without a time follow
//! `time.time()` (pylib/_virtual_time.py). The sleeps are the real ones, which wait on the
//! virtual clock when there is one ([`sleep`]).

use std::time::Duration;

use rustpython_vm::{PyResult, VirtualMachine};

use crate::host::clock::VirtualClock;

/// The names copied onto `time`, each from `virtual_NAME`.
pub(super) const NAMES: &[&str] = &[
    "ticks_ms",
    "ticks_us",
    "ticks_cpu",
    "time",
    "time_ns",
    "monotonic",
    "monotonic_ns",
    "perf_counter",
    "perf_counter_ns",
];

#[rustpython_vm::pymodule(sub)]
pub(super) mod functions {
    use std::sync::Arc;
    use std::time::Duration;

    use rustpython_vm::VirtualMachine;

    use crate::host::clock::VirtualClock;
    use crate::host::state as host_state;

    fn clock(vm: &VirtualMachine) -> Arc<VirtualClock> {
        host_state::of(vm).clock.clone().unwrap_or_default()
    }

    fn nanos(d: Duration) -> i64 {
        i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
    }

    #[pyfunction]
    fn virtual_ticks_ms(vm: &VirtualMachine) -> i64 {
        super::super::ticks::wrap_ticks(nanos(clock(vm).monotonic()) / 1_000_000)
    }

    #[pyfunction]
    fn virtual_ticks_us(vm: &VirtualMachine) -> i64 {
        super::super::ticks::wrap_ticks(nanos(clock(vm).monotonic()) / 1_000)
    }

    #[pyfunction]
    fn virtual_ticks_cpu(vm: &VirtualMachine) -> i64 {
        super::super::ticks::wrap_ticks(nanos(clock(vm).monotonic()))
    }

    #[pyfunction]
    fn virtual_time(vm: &VirtualMachine) -> f64 {
        clock(vm).wall().as_secs_f64()
    }

    #[pyfunction]
    fn virtual_time_ns(vm: &VirtualMachine) -> i64 {
        nanos(clock(vm).wall())
    }

    #[pyfunction]
    fn virtual_monotonic(vm: &VirtualMachine) -> f64 {
        clock(vm).monotonic().as_secs_f64()
    }

    #[pyfunction]
    fn virtual_monotonic_ns(vm: &VirtualMachine) -> i64 {
        nanos(clock(vm).monotonic())
    }

    #[pyfunction]
    fn virtual_perf_counter(vm: &VirtualMachine) -> f64 {
        virtual_monotonic(vm)
    }

    #[pyfunction]
    fn virtual_perf_counter_ns(vm: &VirtualMachine) -> i64 {
        virtual_monotonic_ns(vm)
    }
}

/// `time.sleep()`, `sleep_ms()`, `sleep_us()` on a virtual clock (their checks of the length
/// are the real ones'): waits until the clock reaches the end, which it does at once unless
/// the harness has something due first (see [`VirtualClock::wait`]). Signals and the
/// harness's stop request are looked at between turns, as the real sleep does.
pub(super) fn sleep(
    clock: &VirtualClock,
    length: Duration,
    hooks: &crate::host::Hooks,
    vm: &VirtualMachine,
) -> PyResult<()> {
    let end = clock.now().saturating_add(length);
    loop {
        vm.check_signals()?;
        hooks.stop_point(vm)?;
        if clock.now() >= end {
            return Ok(());
        }
        vm.allow_threads(|| clock.wait(Some(end), TURN));
    }
}

/// The longest a virtual sleep waits in real time before it looks for signals.
const TURN: Duration = Duration::from_millis(5);
