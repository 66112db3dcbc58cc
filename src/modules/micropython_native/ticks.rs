//! MicroPython's `time.ticks_*()` and `time.sleep_ms()`/`sleep_us()`, as its unix port has
//! them (extmod/modtime.c, ports/unix/unix_mphal.c).
//!
//! Ticks are a monotonic clock (`CLOCK_MONOTONIC`, as the unix port) wrapped to
//! `TICKS_PERIOD` = 2**30, the unix port's `MICROPY_PY_TIME_TICKS_PERIOD`: values run over
//! `0..2**30` and start again at 0. Only `ticks_diff()` and `ticks_add()` should do
//! arithmetic on them; `ticks_diff()` answers in `-2**29..2**29`.
//!
//! `ticks_cpu()` counts nanoseconds (the highest resolution the host offers). MicroPython's
//! unix port has no CPU counter and always returns 0 there.

/// The names [`crate::modules::micropython_native::install`] copies onto `time`.
pub(super) const NAMES: &[&str] = &[
    "ticks_ms",
    "ticks_us",
    "ticks_cpu",
    "ticks_add",
    "ticks_diff",
    "sleep_ms",
    "sleep_us",
];

/// MicroPython's `MICROPY_PY_TIME_TICKS_PERIOD` on the unix port.
pub(super) const TICKS_PERIOD: i64 = 1 << 30;
const TICKS_MASK: i64 = TICKS_PERIOD - 1;
const HALF_PERIOD: i64 = TICKS_PERIOD / 2;

/// `value` wrapped into `0..TICKS_PERIOD`, as MicroPython reads a ticks value.
fn wrap(value: i64) -> i64 {
    value & TICKS_MASK
}

/// [`wrap`], for the virtual clock's ticks (super::virtual_time).
pub(super) fn wrap_ticks(value: i64) -> i64 {
    wrap(value)
}

/// MicroPython's `ticks_diff(end, start)` on wrapped values: the signed distance, in
/// `-HALF_PERIOD..HALF_PERIOD`.
pub(super) fn diff(end: i64, start: i64) -> i64 {
    wrap(end.wrapping_sub(start).wrapping_add(HALF_PERIOD)) - HALF_PERIOD
}

/// MicroPython's `ticks_add(ticks, delta)`, or None when `delta` is beyond what
/// `ticks_diff()` can measure (MicroPython's `OverflowError`).
pub(super) fn add(ticks: i64, delta: i64) -> Option<i64> {
    if delta <= -HALF_PERIOD || delta >= HALF_PERIOD {
        return None;
    }
    Some(wrap(ticks.wrapping_add(delta)))
}

#[rustpython_vm::pymodule(sub)]
pub(super) mod functions {
    use std::time::{Duration, Instant};

    use rustpython_vm::builtins::{PyInt, PyIntRef};
    use rustpython_vm::function::ArgIntoFloat;
    use rustpython_vm::{AsObject, PyResult, VirtualMachine};

    use super::{add, diff, wrap};

    /// `CLOCK_MONOTONIC` in nanoseconds.
    // `time_t` and `c_long` are 32 bits on 32-bit targets (a 32-bit Raspberry Pi OS).
    #[allow(clippy::useless_conversion)]
    fn monotonic_ns() -> i64 {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `now` is a valid timespec to write to; CLOCK_MONOTONIC always exists.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
        i64::from(now.tv_sec)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(i64::from(now.tv_nsec))
    }

    /// A ticks argument: any int, read modulo the period (a value from `ticks_*()` is
    /// unchanged). Ints beyond 64 bits are reduced with Python's own `&`.
    fn ticks_arg(value: &PyIntRef, vm: &VirtualMachine) -> PyResult<i64> {
        if let Ok(v) = value.try_to_primitive::<i64>(vm) {
            return Ok(wrap(v));
        }
        let mask = vm.ctx.new_int(super::TICKS_MASK);
        let masked = vm._and(value.as_object(), mask.as_object())?;
        Ok(masked
            .downcast_ref::<PyInt>()
            .and_then(|i| i.try_to_primitive::<i64>(vm).ok())
            .unwrap_or(0))
    }

    /// Milliseconds of a monotonic clock, wrapped to 2**30.
    #[pyfunction]
    fn ticks_ms() -> i64 {
        wrap(monotonic_ns() / 1_000_000)
    }

    /// Microseconds of a monotonic clock, wrapped to 2**30.
    #[pyfunction]
    fn ticks_us() -> i64 {
        wrap(monotonic_ns() / 1_000)
    }

    /// Nanoseconds of a monotonic clock, wrapped to 2**30 (MicroPython's unix port: always 0).
    #[pyfunction]
    fn ticks_cpu() -> i64 {
        wrap(monotonic_ns())
    }

    /// `ticks_diff(end, start)`: the signed ticks from `start` to `end`, across wrap-around.
    #[pyfunction]
    fn ticks_diff(end: PyIntRef, start: PyIntRef, vm: &VirtualMachine) -> PyResult<i64> {
        Ok(diff(ticks_arg(&end, vm)?, ticks_arg(&start, vm)?))
    }

    /// `ticks_add(ticks, delta)`: the ticks value `delta` (positive or negative) after `ticks`.
    #[pyfunction]
    fn ticks_add(ticks: PyIntRef, delta: PyIntRef, vm: &VirtualMachine) -> PyResult<i64> {
        let ticks = ticks_arg(&ticks, vm)?;
        delta
            .try_to_primitive::<i64>(vm)
            .ok()
            .and_then(|delta| add(ticks, delta))
            .ok_or_else(|| vm.new_overflow_error("ticks interval overflow"))
    }

    /// Sleeps `ms` milliseconds; 0 or a negative value only runs pending signal handlers
    /// (MicroPython waits no time for either).
    #[pyfunction]
    fn sleep_ms(ms: PyIntRef, vm: &VirtualMachine) -> PyResult<()> {
        // A negative length waits for nothing, but is still a wait: Ctrl-C and the host's
        // requests are answered there.
        sleep(Duration::from_millis(length(&ms, vm)?.unwrap_or(0)), vm)
    }

    /// Sleeps `us` microseconds (no time for 0 or less, as MicroPython).
    #[pyfunction]
    fn sleep_us(us: PyIntRef, vm: &VirtualMachine) -> PyResult<()> {
        sleep(Duration::from_micros(length(&us, vm)?.unwrap_or(0)), vm)
    }

    /// A sleep's length in its unit; `None` for a negative one. Past what the clock counts,
    /// OverflowError (MicroPython's, in words).
    fn length(value: &PyIntRef, vm: &VirtualMachine) -> PyResult<Option<u64>> {
        let value = value.as_bigint();
        if *value < Default::default() {
            return Ok(None);
        }
        u64::try_from(value)
            .ok()
            .filter(|n| *n <= MAX_SLEEP.as_secs() * 1_000_000)
            .map(Some)
            .ok_or_else(|| vm.new_overflow_error("sleep length is too large"))
    }

    /// `time.sleep(seconds)`, replacing RustPython's, which sleeps in one piece (a stop
    /// request under `pymqtt test` would wait for its end) and panics on a huge length.
    #[pyfunction(name = "sleep")]
    fn sleep_seconds(seconds: ArgIntoFloat, vm: &VirtualMachine) -> PyResult<()> {
        let seconds = f64::from(seconds);
        if seconds.is_nan() {
            return Err(vm.new_value_error("Invalid value NaN (not a number)"));
        }
        if seconds < 0.0 {
            return Err(vm.new_value_error("sleep length must be non-negative"));
        }
        if seconds > MAX_SLEEP.as_secs_f64() {
            return Err(vm.new_overflow_error("sleep length is too large"));
        }
        sleep(Duration::from_secs_f64(seconds), vm)
    }

    /// The longest sleep: CPython's (its clock counts nanoseconds in 64 bits, ~292 years).
    const MAX_SLEEP: Duration = Duration::from_secs(i64::MAX as u64 / 1_000_000_000);

    /// Sleeps in slices of at most [`SIGNAL_CHECK`], running pending signal handlers between
    /// them: Ctrl-C raises KeyboardInterrupt within that time, whichever thread the signal
    /// reached. On a virtual clock, the clock's sleep.
    fn sleep(duration: Duration, vm: &VirtualMachine) -> PyResult<()> {
        // Beyond a century is forever; the cap keeps the deadline representable.
        let host = crate::host::state::of(vm);
        if let Some(clock) = &host.clock {
            return super::super::virtual_time::sleep(clock, duration, &host.hooks, vm);
        }
        let deadline = Instant::now() + duration.min(Duration::from_secs(100 * 365 * 86_400));
        let hooks = host.hooks.clone();
        loop {
            vm.check_signals()?;
            hooks.stop_point(vm)?;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            vm.allow_threads(|| std::thread::sleep(left.min(SIGNAL_CHECK)));
        }
    }

    /// How often a long sleep looks for signals.
    const SIGNAL_CHECK: Duration = Duration::from_millis(20);
}

#[cfg(test)]
mod tests {
    use super::{HALF_PERIOD, TICKS_PERIOD, add, diff};

    #[test]
    fn diff_is_signed_across_wrap_around() {
        assert_eq!(diff(5, TICKS_PERIOD - 5), 10);
        assert_eq!(diff(TICKS_PERIOD - 5, 5), -10);
        assert_eq!(diff(HALF_PERIOD - 1, 0), HALF_PERIOD - 1);
        assert_eq!(diff(HALF_PERIOD, 0), -HALF_PERIOD);
    }

    #[test]
    fn add_wraps_and_refuses_half_a_period() {
        assert_eq!(add(TICKS_PERIOD - 1, 1), Some(0));
        assert_eq!(add(0, -1), Some(TICKS_PERIOD - 1));
        assert_eq!(add(0, HALF_PERIOD - 1), Some(HALF_PERIOD - 1));
        assert_eq!(add(0, HALF_PERIOD), None);
        assert_eq!(add(0, -HALF_PERIOD), None);
        assert_eq!(add(0, -HALF_PERIOD + 1), Some(HALF_PERIOD + 1));
    }
}
