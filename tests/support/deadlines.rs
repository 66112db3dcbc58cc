//! How long tests wait, and waiting for a condition with a deadline: nothing in the tests
//! sleeps and hopes.

use std::thread;
use std::time::{Duration, Instant};

/// How long a test waits for something that normally takes well under a second. Only a
/// failing test ever waits this long.
pub const WAIT: Duration = Duration::from_secs(15);

/// Polls `cond` every 10 ms until it is true or `timeout` passes; returns whether it became true.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}
