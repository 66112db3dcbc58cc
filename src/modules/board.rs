//! `_board`: the virtual board ([`crate::board`]) as the Python side of `machine`, `network` and
//! the sensor drivers (pylib/) reads and drives it. Not MicroPython API itself: those modules
//! are, on top of this one.
//!
//! Callbacks (pin interrupts, timers) run on the script's main thread between bytecodes, as
//! MicroPython's soft interrupts do: the board's side queues them with
//! [`HostState::soft_irq`](crate::host::state::HostState::soft_irq), and they call back into
//! pylib/_micropython_machine.py (`_pin_irq`, `_timer_fire`), which finds the script's handler.

pub(crate) use native::module_def;

use rustpython_vm::{AsObject, PyResult, VirtualMachine};

use crate::board::pins::Edge;

/// The Python half that dispatches callbacks to the script's handlers.
const MACHINE: &str = "_micropython_machine";

/// Runs the handler of the interrupt on `pin` (an edge the board saw).
pub(crate) fn pin_irq(vm: &VirtualMachine, pin: &str, edge: Edge) -> PyResult<()> {
    dispatch(vm, |machine| {
        vm.call_method(machine, "_pin_irq", (pin.to_string(), edge.bit()))
    })
}

fn timer_fire(vm: &VirtualMachine, token: u64) -> PyResult<()> {
    dispatch(vm, |machine| {
        vm.call_method(machine, "_timer_fire", (token,))
    })
}

/// Calls into the Python half between two of the script's bytecodes. Its handlers' own
/// exceptions are printed there; anything else that goes wrong is printed here, so that it
/// does not surface in whatever line the script was running. Only an exit (a reset, Ctrl-C)
/// goes on to the script.
fn dispatch(
    vm: &VirtualMachine,
    call: impl FnOnce(&rustpython_vm::PyObjectRef) -> PyResult,
) -> PyResult<()> {
    let Err(exc) = vm.import(MACHINE, 0).and_then(|machine| call(&machine)) else {
        return Ok(());
    };
    let exits = [
        vm.ctx.exceptions.system_exit,
        vm.ctx.exceptions.keyboard_interrupt,
    ];
    if exits.iter().any(|t| exc.fast_isinstance(t)) {
        return Err(exc);
    }
    vm.print_exception(&exc);
    Ok(())
}

#[rustpython_vm::pymodule(name = "_board")]
mod native {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use rustpython_vm::builtins::{PyDictRef, PyInt, PyListRef, PyStr};
    use rustpython_vm::function::{ArgBytesLike, OptionalArg};
    use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

    use crate::board::pins::{Mode, Pull};
    use crate::board::wifi::Link;
    use crate::host::state;

    fn board(vm: &VirtualMachine) -> Arc<crate::board::Board> {
        Arc::clone(&state::of(vm).board)
    }

    /// What kind of board this is: `name`, `sysname`, `machine`, `freq`, `unique_id_len`,
    /// `led_active_low`, and the Wi-Fi status numbers under `stat`.
    #[pyfunction]
    fn kind(vm: &VirtualMachine) -> PyResult<PyDictRef> {
        let kind = board(vm).kind();
        let dict = vm.ctx.new_dict();
        dict.set_item("name", vm.ctx.new_str(kind.name).into(), vm)?;
        dict.set_item("sysname", vm.ctx.new_str(kind.sysname).into(), vm)?;
        dict.set_item("machine", vm.ctx.new_str(kind.machine).into(), vm)?;
        dict.set_item("freq", vm.ctx.new_int(kind.freq).into(), vm)?;
        dict.set_item(
            "unique_id_len",
            vm.ctx.new_int(kind.unique_id_len).into(),
            vm,
        )?;
        dict.set_item(
            "led_active_low",
            vm.ctx.new_bool(kind.led_active_low).into(),
            vm,
        )?;
        let stat = vm.ctx.new_dict();
        let s = kind.wifi;
        for (name, value) in [
            ("IDLE", s.idle),
            ("CONNECTING", s.connecting),
            ("WRONG_PASSWORD", s.wrong_password),
            ("NO_AP_FOUND", s.no_ap_found),
            ("CONNECT_FAIL", s.connect_fail),
            ("GOT_IP", s.got_ip),
        ] {
            stat.set_item(name, vm.ctx.new_int(value).into(), vm)?;
        }
        dict.set_item("stat", stat.into(), vm)?;
        Ok(dict)
    }

    /// `os.uname()`'s fields on a declared board, or None (this computer's then).
    #[pyfunction]
    fn uname(vm: &VirtualMachine) -> Option<PyObjectRef> {
        board(vm).uname().map(|fields| {
            vm.new_tuple((
                fields[0].clone(),
                fields[1].clone(),
                fields[2].clone(),
                fields[3].clone(),
                fields[4].clone(),
            ))
            .into()
        })
    }

    /// The unique id the board file gives, or None.
    #[pyfunction]
    fn unique_id(vm: &VirtualMachine) -> Option<PyObjectRef> {
        board(vm)
            .unique_id()
            .map(|id| vm.ctx.new_bytes(id.to_vec()).into())
    }

    /// The canonical id of a pin named by number or name; ValueError for one the board lacks.
    #[pyfunction]
    fn pin_id(name: PyObjectRef, vm: &VirtualMachine) -> PyResult<String> {
        let board = board(vm);
        let kind = board.kind();
        let text = if let Some(n) = name.downcast_ref::<PyInt>() {
            n.as_bigint().to_string()
        } else if let Some(s) = name.downcast_ref::<PyStr>() {
            s.to_string_lossy().into_owned()
        } else {
            return Err(vm.new_type_error(format!(
                "a pin is a number or a name such as 'LED', not {}",
                name.class().name()
            )));
        };
        kind.pin_id(&text)
            .ok_or_else(|| vm.new_value_error(format!("invalid pin {text:?} on {}", kind.name)))
    }

    #[pyfunction]
    fn pin_init(
        id: String,
        mode: Option<i64>,
        pull: Option<i64>,
        value: Option<i64>,
        vm: &VirtualMachine,
    ) -> PyResult<()> {
        let mode = mode
            .map(|m| {
                Mode::from_int(m).ok_or_else(|| vm.new_value_error(format!("invalid pin mode {m}")))
            })
            .transpose()?;
        let pull = pull
            .map(|p| {
                Pull::from_int(p).ok_or_else(|| vm.new_value_error(format!("invalid pull {p}")))
            })
            .transpose()?;
        board(vm).pin_init(&id, mode, pull, value.map(|v| u8::from(v != 0)));
        Ok(())
    }

    #[pyfunction]
    fn pin_value(id: String, vm: &VirtualMachine) -> u8 {
        board(vm).pin_value(&id)
    }

    #[pyfunction]
    fn pin_write(id: String, level: bool, vm: &VirtualMachine) {
        board(vm).pin_write(&id, u8::from(level));
    }

    /// Which edges (`IRQ_FALLING | IRQ_RISING` bits) of `id` call its handler.
    #[pyfunction]
    fn pin_irq(id: String, triggers: u8, vm: &VirtualMachine) {
        board(vm).pin_irq(&id, triggers);
    }

    #[pyfunction]
    fn pwm(id: String, duty_u16: u16, freq: u32, vm: &VirtualMachine) {
        board(vm).pwm(&id, duty_u16, freq);
    }

    /// A NeoPixel strip's colours, as a list of (r, g, b).
    #[pyfunction]
    fn pixels(id: String, colors: PyListRef, vm: &VirtualMachine) -> PyResult<()> {
        let mut rgb = Vec::new();
        for item in colors.borrow_vec().iter() {
            let channels: Vec<u8> = item.try_to_value(vm)?;
            match channels[..] {
                [r, g, b, ..] => rgb.push((r, g, b)),
                _ => return Err(vm.new_value_error("a pixel is (r, g, b)")),
            }
        }
        board(vm).pixels(&id, rgb);
        Ok(())
    }

    #[pyfunction]
    fn adc_read_u16(id: String, vm: &VirtualMachine) -> u16 {
        board(vm).adc_read_u16(&id)
    }

    /// A reading of `quantity` from `device` (`"dht:4"`, `"ds18x20:12"`).
    #[pyfunction]
    fn sensor(device: String, quantity: String, vm: &VirtualMachine) -> f64 {
        board(vm).sensor(&device, &quantity)
    }

    /// The addresses that answer on the I2C bus.
    #[pyfunction]
    fn i2c_scan(vm: &VirtualMachine) -> Vec<u8> {
        board(vm).i2c_scan()
    }

    /// `writeto`: the first byte sets the device's register pointer. ENODEV when nobody
    /// answers, as a board's I2C raises.
    #[pyfunction]
    fn i2c_write(address: u8, data: ArgBytesLike, vm: &VirtualMachine) -> PyResult<()> {
        board(vm)
            .i2c_write(address, &data.borrow_buf())
            .map_err(|_| nack(vm))
    }

    #[pyfunction]
    fn i2c_read(address: u8, n: usize, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        let data = board(vm).i2c_read(address, n).map_err(|_| nack(vm))?;
        Ok(vm.ctx.new_bytes(data).into())
    }

    fn nack(vm: &VirtualMachine) -> rustpython_vm::builtins::PyBaseExceptionRef {
        vm.new_errno_error(19, "ENODEV").upcast()
    }

    /// One SPI transfer: `data` goes out, as many bytes come back from the device whose chip
    /// select is low.
    #[pyfunction]
    fn spi_transfer(data: ArgBytesLike, vm: &VirtualMachine) -> PyObjectRef {
        let reply = board(vm).spi_transfer(&data.borrow_buf());
        vm.ctx.new_bytes(reply).into()
    }

    /// A `network.WLAN` was made: from now on MQTT connections need the link up.
    #[pyfunction]
    fn wifi_used(vm: &VirtualMachine) {
        board(vm).wifi_used();
    }

    #[pyfunction]
    fn wifi_active(active: OptionalArg<bool>, vm: &VirtualMachine) -> bool {
        let board = board(vm);
        if let OptionalArg::Present(active) = active {
            board.set_wifi_active(active);
        }
        board.wifi_active()
    }

    #[pyfunction]
    fn wifi_connect(ssid: String, key: Option<String>, vm: &VirtualMachine) {
        board(vm).wifi_connect(&ssid, key.as_deref());
    }

    #[pyfunction]
    fn wifi_disconnect(vm: &VirtualMachine) {
        board(vm).wifi_disconnect();
    }

    /// `"idle"`, `"connecting"`, `"up"`, `"wrong_password"` or `"no_ap_found"`.
    #[pyfunction]
    fn wifi_status(vm: &VirtualMachine) -> &'static str {
        match board(vm).wifi_link() {
            Link::Idle => "idle",
            Link::Connecting => "connecting",
            Link::Up { .. } => "up",
            Link::WrongPassword => "wrong_password",
            Link::NoApFound => "no_ap_found",
        }
    }

    /// `(ssid, rssi, channel)` of the network joined, or None.
    #[pyfunction]
    fn wifi_joined(vm: &VirtualMachine) -> Option<(String, i32, u8)> {
        board(vm).wifi_joined().map(|n| (n.ssid, n.rssi, n.channel))
    }

    /// `(ssid, rssi, channel, open)` of each network in reach.
    #[pyfunction]
    fn wifi_scan(vm: &VirtualMachine) -> Vec<PyObjectRef> {
        board(vm)
            .wifi_scan()
            .into_iter()
            .map(|n| {
                let open = n.password.is_none();
                vm.new_tuple((n.ssid, n.rssi, n.channel, open)).into()
            })
            .collect()
    }

    /// Whether the program is a board's folder (`pymqtt DIR`: boot.py, then main.py).
    #[pyfunction]
    fn runs_folder(vm: &VirtualMachine) -> bool {
        state::of(vm).folder
    }

    /// The board resets (the caller then restarts the program).
    #[pyfunction]
    fn reset(why: String, vm: &VirtualMachine) {
        board(vm).reset(&why);
    }

    /// Calls `_micropython_machine._timer_fire(token)` on the script's thread after
    /// `period_ms`, then every `period_ms` while `periodic`, until [`timer_stop`].
    #[pyfunction]
    fn timer_start(
        token: u64,
        period_ms: u64,
        periodic: bool,
        vm: &VirtualMachine,
    ) -> PyResult<()> {
        let host = state::of(vm);
        let stop = Arc::new(AtomicBool::new(false));
        host.timers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token, Arc::clone(&stop));
        let period = Duration::from_millis(period_ms.max(1));
        if let Some(clock) = host.clock.clone() {
            return virtual_timer(&host, clock, token, period, periodic, stop)
                .map_err(|e| vm.new_os_error(format!("cannot start the timer: {e}")));
        }
        let host = Arc::downgrade(&host);
        std::thread::Builder::new()
            .name("pymqtt-timer".into())
            .spawn(move || {
                let mut next = std::time::Instant::now() + period;
                loop {
                    std::thread::sleep(next.saturating_duration_since(std::time::Instant::now()));
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Some(host) = host.upgrade() else { return };
                    host.soft_irq(move |vm| super::timer_fire(vm, token));
                    if !periodic {
                        return;
                    }
                    next += period;
                }
            })
            .map(drop)
            .map_err(|e| vm.new_os_error(format!("cannot start the timer: {e}")))
    }

    /// From now on each queued callback also writes a byte to `fd` (-1: to nothing), to wake
    /// the asyncio event loop whose self-pipe it is; returns the descriptor it replaces, or -1.
    #[pyfunction]
    fn set_wakeup_fd(fd: i32, vm: &VirtualMachine) -> i32 {
        let host = state::of(vm);
        let mut registered = host.wakeup_fd.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::replace(&mut *registered, (fd >= 0).then_some(fd)).unwrap_or(-1)
    }

    /// A timer on the virtual clock (`pymqtt test`'s `clock virtual`): its thread waits for the
    /// clock to reach each firing, which the script's waits jump to.
    fn virtual_timer(
        host: &Arc<state::HostState>,
        clock: Arc<crate::host::clock::VirtualClock>,
        token: u64,
        period: Duration,
        periodic: bool,
        stop: Arc<AtomicBool>,
    ) -> std::io::Result<()> {
        let mut next = clock.now() + period;
        // Registered now, on the script's thread: no wait of the script's can pass it.
        clock.timer_due(token, next);
        let host = Arc::downgrade(host);
        std::thread::Builder::new()
            .name("pymqtt-timer".into())
            .spawn(move || {
                loop {
                    while !clock.reached(next, Duration::from_millis(20)) {
                        if stop.load(Ordering::SeqCst) {
                            clock.timer_done(token);
                            return;
                        }
                    }
                    let Some(host) = host.upgrade().filter(|_| !stop.load(Ordering::SeqCst)) else {
                        clock.timer_done(token);
                        return;
                    };
                    host.soft_irq(move |vm| super::timer_fire(vm, token));
                    if !periodic {
                        clock.timer_done(token);
                        return;
                    }
                    next += period;
                    clock.timer_due(token, next);
                }
            })
            .map(drop)
    }

    #[pyfunction]
    fn timer_stop(token: u64, vm: &VirtualMachine) {
        if let Some(clock) = &state::of(vm).clock {
            clock.timer_done(token);
        }
        if let Some(stop) = state::of(vm)
            .timers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&token)
        {
            stop.store(true, Ordering::SeqCst);
        }
    }
}
