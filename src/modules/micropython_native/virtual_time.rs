//! The `time` functions of a script on a virtual clock (`pymqtt test`'s `clock virtual`,
//! src/host/clock.rs): [`install`](super::install) puts them on `time` in place of the real
//! ones when the host has such a clock, so a script on the real clock pays nothing for them.
//! `localtime()`, `gmtime()`, `ctime()`, `asctime()` and `strftime()` without a time follow
//! `time.time()` (pylib/_virtual_time.py).

/// The names copied onto `time`, each from `virtual_NAME`.
pub(super) const NAMES: &[&str] = &[
    "ticks_ms",
    "ticks_us",
    "ticks_cpu",
    "sleep",
    "sleep_ms",
    "sleep_us",
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

    use rustpython_vm::builtins::PyIntRef;
    use rustpython_vm::function::ArgIntoFloat;
    use rustpython_vm::{PyResult, VirtualMachine};

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

    #[pyfunction]
    fn virtual_sleep(seconds: ArgIntoFloat, vm: &VirtualMachine) -> PyResult<()> {
        let seconds = f64::from(seconds);
        if seconds.is_nan() {
            return Err(vm.new_value_error("Invalid value NaN (not a number)"));
        }
        if seconds < 0.0 {
            return Err(vm.new_value_error("sleep length must be non-negative"));
        }
        let length = Duration::try_from_secs_f64(seconds)
            .map_err(|_| vm.new_overflow_error("sleep length is too large"))?;
        sleep(length, vm)
    }

    #[pyfunction]
    fn virtual_sleep_ms(ms: PyIntRef, vm: &VirtualMachine) -> PyResult<()> {
        let ms = ms.try_to_primitive::<i64>(vm).unwrap_or(i64::MAX).max(0);
        sleep(Duration::from_millis(ms as u64), vm)
    }

    #[pyfunction]
    fn virtual_sleep_us(us: PyIntRef, vm: &VirtualMachine) -> PyResult<()> {
        let us = us.try_to_primitive::<i64>(vm).unwrap_or(i64::MAX).max(0);
        sleep(Duration::from_micros(us as u64), vm)
    }

    /// Waits until the virtual clock reaches the end, which it does at once unless the
    /// harness has something due first (see [`VirtualClock::wait`]). Signals and the
    /// harness's stop request are looked at between turns, as the real sleep does.
    fn sleep(length: Duration, vm: &VirtualMachine) -> PyResult<()> {
        let state = host_state::of(vm);
        let clock = state.clock.clone().unwrap_or_default();
        let end = clock.now().saturating_add(length);
        loop {
            vm.check_signals()?;
            state.hooks.stop_point(vm)?;
            if clock.now() >= end {
                return Ok(());
            }
            vm.allow_threads(|| clock.wait(Some(end), TURN));
        }
    }

    /// The longest a virtual sleep waits in real time before it looks for signals.
    const TURN: Duration = Duration::from_millis(5);
}
