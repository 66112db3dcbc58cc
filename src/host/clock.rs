//! A virtual clock (`pymqtt test`'s `clock virtual`): the script's time stands still while it
//! works and jumps while it waits, to the end of its sleep or to the harness's next event,
//! whichever comes first. A script that publishes every 60 seconds is tested for an hour of
//! its life in a fraction of a second.
//!
//! Two sides share it. The script's waits (`time.sleep()` and friends, `wait_msg()`) call
//! [`VirtualClock::wait`]; the harness says when its next event is due
//! ([`VirtualClock::set_next_due`]) and counts the script's events it has not taken in yet
//! ([`VirtualClock::event_sent`], [`VirtualClock::event_taken`]). The clock never moves
//! past a due event the harness has not handled, nor while an event of the script's waits
//! to be taken in (it may start a trigger's delay from its own time).

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The clock a script and its harness share: the script's time, and what holds it back.
///
/// ```
/// use std::time::Duration;
/// use pymqtt::host::clock::VirtualClock;
///
/// let clock = VirtualClock::new();
/// clock.set_next_due(Some(Duration::from_secs(60))); // the harness's next stimulus
/// // A script sleeping an hour wakes at the stimulus, a minute in.
/// assert_eq!(clock.wait(Some(Duration::from_secs(3600)), Duration::ZERO), Duration::from_secs(60));
/// ```
#[derive(Debug)]
pub struct VirtualClock {
    state: Mutex<State>,
    moved: Condvar,
    /// The wall clock and the monotonic clock when the virtual one started.
    wall_at_start: Duration,
    monotonic_at_start: Duration,
}

#[derive(Debug, Default)]
struct State {
    now: Duration,
    next_due: Option<Duration>,
    untaken_events: usize,
    /// Messages sent to the script that it has not handled yet: a wait for a message (not a
    /// sleep) does not move the clock past them.
    undelivered: usize,
    /// When each running `machine.Timer` fires next, by its token. The clock jumps to them as
    /// to the harness's events, and stands at one until its thread has fired it.
    timers: std::collections::BTreeMap<u64, Duration>,
}

impl Default for VirtualClock {
    fn default() -> VirtualClock {
        VirtualClock::new()
    }
}

impl VirtualClock {
    /// A clock at 0, showing the wall time and monotonic time of now. It stands until the
    /// harness first says what is due ([`VirtualClock::set_next_due`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::host::clock::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// assert_eq!(clock.now(), Duration::ZERO);
    /// // It stands: nothing has said what is due yet.
    /// assert_eq!(clock.wait(Some(Duration::from_secs(1)), Duration::ZERO), Duration::ZERO);
    /// ```
    pub fn new() -> VirtualClock {
        VirtualClock {
            state: Mutex::new(State {
                next_due: Some(Duration::ZERO),
                ..State::default()
            }),
            moved: Condvar::new(),
            wall_at_start: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
            monotonic_at_start: monotonic(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Virtual time since the start.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::host::clock::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// clock.set_next_due(None);
    /// clock.wait(Some(Duration::from_secs(5)), Duration::ZERO);
    /// assert_eq!(clock.now(), Duration::from_secs(5));
    /// ```
    pub fn now(&self) -> Duration {
        self.lock().now
    }

    /// `time.time()`'s clock: the wall time at the start plus the virtual time since.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use pymqtt::host::clock::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// clock.set_next_due(None);
    /// clock.wait(Some(Duration::from_secs(86_400)), Duration::ZERO);
    /// let real = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    /// assert!(clock.wall() > real + Duration::from_secs(86_000)); // a day ahead
    /// ```
    pub fn wall(&self) -> Duration {
        self.wall_at_start + self.now()
    }

    /// `time.monotonic()`'s and ticks' clock.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::host::clock::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// let before = clock.monotonic();
    /// clock.set_next_due(None);
    /// clock.wait(Some(Duration::from_secs(10)), Duration::ZERO);
    /// assert_eq!(clock.monotonic() - before, Duration::from_secs(10));
    /// ```
    pub fn monotonic(&self) -> Duration {
        self.monotonic_at_start + self.now()
    }

    /// The harness's next event (a stimulus, the test's limit), in virtual time.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::host::clock::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// clock.set_next_due(Some(Duration::from_secs(2)));
    /// assert_eq!(clock.wait(None, Duration::ZERO), Duration::from_secs(2));
    /// ```
    pub fn set_next_due(&self, due: Option<Duration>) {
        self.lock().next_due = due;
        self.moved.notify_all();
    }

    /// How many messages sent to the script it has yet to handle.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::host::clock::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// clock.set_next_due(Some(Duration::from_secs(2)));
    /// clock.set_undelivered(1);
    /// // A script waiting for a message gets the one on its way before the clock moves on.
    /// assert_eq!(clock.wait(None, Duration::ZERO), Duration::ZERO);
    /// ```
    pub fn set_undelivered(&self, n: usize) {
        self.lock().undelivered = n;
        self.moved.notify_all();
    }

    /// A timer fires next at `at`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::host::clock::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// clock.set_next_due(None);
    /// clock.timer_due(1, Duration::from_secs(3));
    /// clock.timer_done(1); // fired (a timer's thread would fire it while the script waits)
    /// assert_eq!(clock.wait(Some(Duration::from_secs(10)), Duration::ZERO), Duration::from_secs(10));
    /// ```
    pub fn timer_due(&self, token: u64, at: Duration) {
        self.lock().timers.insert(token, at);
        self.moved.notify_all();
    }

    /// A timer fired its last, or was stopped.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::host::clock::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// clock.timer_due(7, Duration::from_secs(1));
    /// clock.timer_done(7);
    /// ```
    pub fn timer_done(&self, token: u64) {
        self.lock().timers.remove(&token);
        self.moved.notify_all();
    }

    /// For a timer's thread: waits (at most `slice` of real time) until the clock reaches
    /// `at`, without moving it (only the script's waits do); whether it has.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::host::clock::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// assert!(!clock.reached(Duration::from_secs(1), Duration::ZERO));
    /// clock.set_next_due(None);
    /// clock.wait(Some(Duration::from_secs(1)), Duration::ZERO);
    /// assert!(clock.reached(Duration::from_secs(1), Duration::ZERO));
    /// ```
    pub fn reached(&self, at: Duration, slice: Duration) -> bool {
        let state = self.lock();
        if state.now >= at {
            return true;
        }
        let state = self
            .moved
            .wait_timeout(state, slice)
            .map(|(s, _)| s)
            .unwrap_or_else(|p| p.into_inner().0);
        state.now >= at
    }

    /// The script emitted an event the harness has yet to take in.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::host::clock::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// clock.set_next_due(None);
    /// clock.event_sent();
    /// // The harness has not taken the event in: the clock holds.
    /// assert_eq!(clock.wait(Some(Duration::from_secs(1)), Duration::ZERO), Duration::ZERO);
    /// clock.event_taken();
    /// assert_eq!(clock.wait(Some(Duration::from_secs(1)), Duration::ZERO), Duration::from_secs(1));
    /// ```
    pub fn event_sent(&self) {
        self.lock().untaken_events += 1;
    }

    /// The harness took in one of the script's events; a wait held back for it may go on.
    ///
    /// ```
    /// use pymqtt::host::clock::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// clock.event_sent();
    /// clock.event_taken();
    /// ```
    pub fn event_taken(&self) {
        let mut state = self.lock();
        state.untaken_events = state.untaken_events.saturating_sub(1);
        drop(state);
        self.moved.notify_all();
    }

    /// A script's thread waits until `until` (None: for something from outside, a message):
    /// moves the clock on to `until` or to the harness's next event, whichever is first,
    /// when the harness has caught up with the present; else waits (at most `slice` of real
    /// time) for it to. Returns the time now.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::host::clock::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// clock.set_next_due(None);
    /// assert_eq!(clock.wait(Some(Duration::from_secs(30)), Duration::ZERO), Duration::from_secs(30));
    /// ```
    pub fn wait(&self, until: Option<Duration>, slice: Duration) -> Duration {
        let mut state = self.lock();
        // A message on its way arrives before the clock moves on for a script waiting for
        // one; a sleeping script finds it waiting when it wakes.
        let timer = state.timers.values().min().copied();
        let caught_up = state.untaken_events == 0
            && state.next_due.is_none_or(|due| due > state.now)
            && timer.is_none_or(|at| at > state.now)
            && (until.is_some() || state.undelivered == 0);
        if caught_up {
            let target = [until, state.next_due, timer].into_iter().flatten().min();
            if let Some(target) = target.filter(|t| *t > state.now) {
                state.now = target;
                self.moved.notify_all();
                // A timer due now fires before the wait ends: at one instant, the board's
                // interrupt comes first, as it would a moment before on a real one.
                let deadline = std::time::Instant::now() + slice;
                while state.timers.values().any(|at| *at <= target) {
                    let left = deadline.saturating_duration_since(std::time::Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    state = self
                        .moved
                        .wait_timeout(state, left)
                        .map(|(s, _)| s)
                        .unwrap_or_else(|p| p.into_inner().0);
                }
                return target;
            }
        }
        if !slice.is_zero() {
            state = self
                .moved
                .wait_timeout(state, slice)
                .map(|(s, _)| s)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        state.now
    }
}

fn monotonic() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec to write to; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    Duration::new(
        now.tv_sec.max(0) as u64,
        now.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_WAIT: Duration = Duration::ZERO;

    #[test]
    fn a_wait_jumps_to_its_end_or_to_the_next_event_and_never_past_an_unhandled_one() {
        let clock = VirtualClock::new();
        let s = Duration::from_secs;
        // Until the harness has said what is due, time stands.
        assert_eq!(clock.wait(Some(s(60)), NO_WAIT), s(0));
        clock.set_next_due(None);
        assert_eq!(clock.wait(Some(s(60)), NO_WAIT), s(60));
        clock.set_next_due(Some(s(90)));
        assert_eq!(clock.wait(Some(s(120)), NO_WAIT), s(90));
        // The harness has not handled the event due at 90 s yet: time stands.
        assert_eq!(clock.wait(Some(s(120)), NO_WAIT), s(90));
        clock.set_next_due(Some(s(200)));
        assert_eq!(clock.wait(Some(s(120)), NO_WAIT), s(120));
        // Waiting for a message: to the next event.
        assert_eq!(clock.wait(None, NO_WAIT), s(200));
        clock.set_next_due(None);
        assert_eq!(clock.wait(None, NO_WAIT), s(200));
        // An event of the script's not taken in holds the clock.
        clock.event_sent();
        assert_eq!(clock.wait(Some(s(300)), NO_WAIT), s(200));
        clock.event_taken();
        assert_eq!(clock.wait(Some(s(300)), NO_WAIT), s(300));
        assert_eq!(clock.wall() - clock.wall_at_start, s(300));
        // A message on its way holds a wait for messages, not a sleep.
        clock.set_next_due(Some(s(400)));
        clock.set_undelivered(1);
        assert_eq!(clock.wait(None, NO_WAIT), s(300));
        assert_eq!(clock.wait(Some(s(350)), NO_WAIT), s(350));
        clock.set_undelivered(0);
        assert_eq!(clock.wait(None, NO_WAIT), s(400));
        // A timer is a stop on the way, and the clock stands there until it has fired.
        clock.set_next_due(None);
        clock.timer_due(7, s(450));
        assert_eq!(clock.wait(Some(s(500)), NO_WAIT), s(450));
        assert!(clock.reached(s(450), NO_WAIT));
        assert_eq!(clock.wait(Some(s(500)), NO_WAIT), s(450));
        clock.timer_due(7, s(470));
        assert_eq!(clock.wait(Some(s(500)), NO_WAIT), s(470));
        clock.timer_done(7);
        assert_eq!(clock.wait(Some(s(500)), NO_WAIT), s(500));
    }
}
