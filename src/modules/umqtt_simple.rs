//! The native `umqtt.simple` module: micropython-lib's API over [`crate::mqtt`].
//!
//! This file only translates: Python arguments into checked Rust values, blocking waits into
//! calls that let Ctrl-C through, and [`MqttError`]s into the exceptions umqtt raises.

pub(crate) use native::module_def;

#[rustpython_vm::pymodule(name = "umqtt.simple")]
mod native {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use bytes::Bytes;
    use rumqttc::SubscribeReasonCode;
    use rustpython_vm::builtins::{PyBaseExceptionRef, PyStr, PyTypeRef};
    use rustpython_vm::common::lock::PyMutex;
    use rustpython_vm::function::{ArgBytesLike, OptionalArg};
    use rustpython_vm::types::{Constructor, DefaultConstructor, Initializer, Representable};
    use rustpython_vm::{
        FromArgs, Py, PyObject, PyObjectRef, PyPayload, PyResult, TryFromBorrowedObject,
        VirtualMachine, pyclass,
    };

    use crate::host::hooks::ScriptEvent;
    use crate::host::redirect;
    use crate::host::state::{self as host_state, HostState};
    use crate::modules::arguments::{flag, int_in, seconds};
    use crate::modules::ssl::{self as ssl_module, params as ssl_params};
    use crate::mqtt::address::{BrokerAddress, Scheme};
    use crate::mqtt::error::ErrorKind;
    use crate::mqtt::limits;
    use crate::mqtt::settings::connect_timeout;
    use crate::mqtt::tracker::{Outcome, Ticket};
    use crate::mqtt::{ClientSettings, Connection, Engine, MqttError, Transport, WaitError, Will};

    /// The errno of a connect() with no network (`OSError: [Errno 113] EHOSTUNREACH`).
    const EHOSTUNREACH: i32 = 113;
    /// How long `ping()` waits for PINGRESP.
    const PING_TIMEOUT: Duration = Duration::from_secs(10);

    /// pylib/_umqtt_exception.py's class, which words the broker's codes: this interpreter's
    /// (not `once`: a class cached for the whole process would be the first interpreter's,
    /// and its first creation, running Python, would hold every other interpreter's import
    /// of this module waiting, across a garbage collection that waits for them in turn).
    #[pyattr(name = "MQTTException")]
    fn mqtt_exception(vm: &VirtualMachine) -> PyTypeRef {
        vm.import("_umqtt_exception", 0)
            .and_then(|module| module.get_attr("MQTTException", vm))
            .ok()
            .and_then(|class| class.downcast::<rustpython_vm::builtins::PyType>().ok())
            .unwrap_or_else(|| {
                // Only without pylib (never in pymqtt's binary): the plain class.
                vm.ctx
                    .new_exception_type("umqtt.simple", "MQTTException", None)
            })
    }

    fn to_exception(vm: &VirtualMachine, e: MqttError) -> PyBaseExceptionRef {
        match e.kind {
            ErrorKind::Os => vm
                .new_errno_error(e.errno, e.message_for_scripts())
                .upcast(),
            ErrorKind::Tls => ssl_module::new_ssl_error(vm, Some(e.errno), e.message_for_scripts()),
            ErrorKind::Refused(code) => {
                vm.new_exception(mqtt_exception(vm), vec![vm.ctx.new_int(code).into()])
            }
        }
    }

    fn wait_error(vm: &VirtualMachine, e: WaitError<PyBaseExceptionRef>) -> PyBaseExceptionRef {
        match e {
            WaitError::Mqtt(e) => to_exception(vm, e),
            WaitError::Interrupted(exc) => exc,
        }
    }

    /// A string field: str, or bytes holding UTF-8 (MQTT strings are UTF-8 on the wire).
    fn text(obj: &PyObject, what: &str, vm: &VirtualMachine) -> PyResult<String> {
        let value = if let Some(s) = obj.downcast_ref::<PyStr>() {
            s.to_str()
                .map(str::to_owned)
                .ok_or_else(|| vm.new_value_error(format!("{what} contains a lone surrogate")))?
        } else if let Ok(buf) = ArgBytesLike::try_from_borrowed_object(vm, obj) {
            String::from_utf8(buf.borrow_buf().to_vec()).map_err(|_| {
                vm.new_value_error(format!(
                    "{what} must be valid UTF-8 (MQTT strings are UTF-8)"
                ))
            })?
        } else {
            return Err(vm.new_type_error(format!(
                "{what} must be str or bytes, not {}",
                obj.class().name()
            )));
        };
        limits::string(&value, what).map_err(|m| vm.new_value_error(m))?;
        Ok(value)
    }

    fn optional_text(
        obj: &Option<PyObjectRef>,
        what: &str,
        vm: &VirtualMachine,
    ) -> PyResult<Option<String>> {
        obj.as_ref()
            .filter(|o| !vm.is_none(o))
            .map(|o| text(o, what, vm))
            .transpose()
    }

    /// A payload: bytes-like, or str sent as UTF-8.
    fn payload(obj: &PyObject, vm: &VirtualMachine) -> PyResult<Bytes> {
        if let Some(s) = obj.downcast_ref::<PyStr>() {
            let s = s
                .to_str()
                .ok_or_else(|| vm.new_value_error("msg contains a lone surrogate"))?;
            return Ok(Bytes::copy_from_slice(s.as_bytes()));
        }
        match ArgBytesLike::try_from_borrowed_object(vm, obj) {
            Ok(buf) => Ok(Bytes::copy_from_slice(&buf.borrow_buf())),
            Err(_) => Err(vm.new_type_error(format!(
                "msg must be bytes or str, not {}",
                obj.class().name()
            ))),
        }
    }

    fn qos(obj: &PyObject, vm: &VirtualMachine) -> PyResult<rumqttc::QoS> {
        let value = int_in(obj, "qos", 0..=2, "0, 1 or 2", vm)?;
        limits::qos(value).map_err(|m| vm.new_value_error(m))
    }

    /// The numbers and flags here and below are taken as objects and checked by
    /// [`crate::modules::arguments`], whose errors name the argument.
    #[derive(FromArgs)]
    struct InitArgs {
        #[pyarg(any)]
        client_id: PyObjectRef,
        #[pyarg(any)]
        server: PyObjectRef,
        #[pyarg(any, default)]
        port: Option<PyObjectRef>,
        #[pyarg(any, default)]
        user: Option<PyObjectRef>,
        #[pyarg(any, default)]
        password: Option<PyObjectRef>,
        #[pyarg(any, default)]
        keepalive: Option<PyObjectRef>,
        #[pyarg(any, default)]
        ssl: Option<PyObjectRef>,
        #[pyarg(any, default)]
        ssl_params: Option<PyObjectRef>,
        /// pymqtt's own: how many received messages, and how many bytes of them, the client
        /// holds unread before it stops reading from the broker (see crate::mqtt::inbox).
        #[pyarg(named, optional)]
        incoming_messages: OptionalArg<PyObjectRef>,
        #[pyarg(named, optional)]
        incoming_bytes: OptionalArg<PyObjectRef>,
    }

    #[derive(FromArgs)]
    struct ConnectArgs {
        #[pyarg(any, default)]
        clean_session: Option<PyObjectRef>,
        #[pyarg(any, default)]
        timeout: Option<PyObjectRef>,
    }

    /// `(topic, msg, retain=False, qos=0)`: publish() and set_last_will() alike.
    #[derive(FromArgs)]
    struct MessageArgs {
        #[pyarg(any)]
        topic: PyObjectRef,
        #[pyarg(any)]
        msg: PyObjectRef,
        #[pyarg(any, default)]
        retain: Option<PyObjectRef>,
        #[pyarg(any, default)]
        qos: Option<PyObjectRef>,
    }

    impl MessageArgs {
        fn retain(&self, vm: &VirtualMachine) -> PyResult<bool> {
            self.retain
                .as_ref()
                .map_or(Ok(false), |r| flag(r, "retain", vm))
        }

        fn qos(&self, vm: &VirtualMachine) -> PyResult<rumqttc::QoS> {
            self.qos
                .as_ref()
                .map_or(Ok(rumqttc::QoS::AtMostOnce), |q| qos(q, vm))
        }
    }

    #[derive(FromArgs)]
    struct SubscribeArgs {
        #[pyarg(any)]
        topic: PyObjectRef,
        #[pyarg(any, default)]
        qos: Option<PyObjectRef>,
    }

    #[derive(Debug, Default)]
    struct ClientState {
        /// `None` until `__init__` ran (a subclass may forget `super().__init__`).
        settings: Option<ClientSettings>,
        /// The `ssl.SSLContext` given as `ssl=ctx`: read again at each `connect()`, as
        /// MicroPython's umqtt uses it only then (a script may load certificates after
        /// creating the client).
        ssl_context: Option<PyObjectRef>,
        callback: Option<PyObjectRef>,
        connection: Option<Arc<Connection>>,
        /// The host running the script (its redirect, open connections and hooks).
        host: Option<Arc<HostState>>,
    }

    #[pyattr]
    #[pyclass(name = "MQTTClient", module = "umqtt.simple")]
    #[derive(Debug, Default, PyPayload)]
    struct MqttClient {
        state: PyMutex<ClientState>,
    }

    impl DefaultConstructor for MqttClient {}

    impl Representable for MqttClient {
        fn repr_str(zelf: &Py<Self>, _vm: &VirtualMachine) -> PyResult<String> {
            let state = zelf.state.lock();
            let connected = state.connection.as_ref().is_some_and(|c| !c.is_closed());
            Ok(match &state.settings {
                Some(s) => format!(
                    "<MQTTClient {:?} {} {}>",
                    s.client_id,
                    s.broker(),
                    if connected {
                        "connected"
                    } else {
                        "not connected"
                    }
                ),
                None => "<MQTTClient (not initialised)>".to_string(),
            })
        }
    }

    impl Initializer for MqttClient {
        type Args = InitArgs;

        fn init(zelf: &Py<Self>, args: InitArgs, vm: &VirtualMachine) -> PyResult<()> {
            let client_id = text(&args.client_id, "client_id", vm)?;
            let server = text(&args.server, "server", vm)?;
            let tls = ssl_params::tls_options(args.ssl.as_ref(), args.ssl_params.as_ref(), vm)?;
            let mut address = address(&server, tls.is_some(), vm)?;
            let port = match &args.port {
                Some(port) => int_in(port, "port", 0..=65535, "0..65535 (0: the default)", vm)?,
                None => 0,
            };
            if port != 0 {
                address.port = port as u16;
            }
            let keepalive = match &args.keepalive {
                Some(k) => int_in(k, "keepalive", 0..=65535, "0..65535 seconds", vm)? as u16,
                None => 0,
            };
            let transport = Transport::for_scheme(address.scheme, &address.path, tls);
            let mut settings = ClientSettings::new(client_id, &address, transport);
            settings.user = optional_text(&args.user, "user", vm)?;
            settings.password = optional_text(&args.password, "password", vm)?;
            settings.keepalive = keepalive;
            if let Some(messages) = args.incoming_messages.as_option() {
                settings.inbox.messages = positive_count(messages, "incoming_messages", vm)?;
            }
            if let Some(bytes) = args.incoming_bytes.as_option() {
                settings.inbox.bytes = positive_count(bytes, "incoming_bytes", vm)?;
            }
            let ssl_context = match args.ssl {
                Some(ssl) if ssl_module::is_context(&ssl, vm)? => Some(ssl),
                _ => None,
            };
            let mut state = zelf.state.lock();
            state.settings = Some(settings);
            state.ssl_context = ssl_context;
            state.host = Some(host_state::of(vm));
            Ok(())
        }
    }

    /// A limit of at least 1, given as an int.
    fn positive_count(value: &PyObjectRef, name: &str, vm: &VirtualMachine) -> PyResult<usize> {
        let count = int_in(value, name, 1..=i64::MAX, "1 or more (up to 2**63 - 1)", vm)?;
        Ok(usize::try_from(count).unwrap_or(usize::MAX))
    }

    /// Where `server` is (a host name or address, or a `ws://`/`wss://` URL), with its default
    /// port and the scheme of its transport; `tls` says whether `ssl`/`ssl_params` asked for
    /// TLS.
    fn address(server: &str, tls: bool, vm: &VirtualMachine) -> PyResult<BrokerAddress> {
        let lower = server.to_ascii_lowercase();
        if !(lower.starts_with("ws://") || lower.starts_with("wss://")) {
            let scheme = if tls { Scheme::Mqtts } else { Scheme::Mqtt };
            let mut address = BrokerAddress::tcp(server, scheme.default_port());
            address.scheme = scheme;
            return Ok(address);
        }
        let url: BrokerAddress = server
            .parse()
            .map_err(|e| vm.new_value_error(format!("server: {e}")))?;
        if url.scheme == Scheme::Ws && tls {
            return Err(vm.new_value_error(format!(
                "server {server:?} is plain WebSocket but ssl was given: use a wss:// URL for \
                 WebSocket over TLS"
            )));
        }
        Ok(url)
    }

    #[pyclass(
        flags(BASETYPE, HAS_DICT),
        with(Constructor, Initializer, Representable)
    )]
    impl MqttClient {
        fn settings(&self, vm: &VirtualMachine) -> PyResult<ClientSettings> {
            self.state.lock().settings.clone().ok_or_else(|| {
                vm.new_runtime_error("MQTTClient.__init__() was not called (a subclass must call super().__init__(...))")
            })
        }

        /// The host this client was made in (the interpreter's, if `__init__` did not run).
        fn host(&self, vm: &VirtualMachine) -> Arc<HostState> {
            let host = self.state.lock().host.clone();
            host.unwrap_or_else(|| host_state::of(vm))
        }

        fn connection(&self, vm: &VirtualMachine) -> PyResult<Arc<Connection>> {
            self.state
                .lock()
                .connection
                .clone()
                .filter(|c| !c.is_closed())
                .ok_or_else(|| to_exception(vm, MqttError::not_connected()))
        }

        /// Runs `f` on the engine, then waits for `ticket`'s outcome with Ctrl-C let through.
        fn request(
            &self,
            vm: &VirtualMachine,
            what: &str,
            queue: impl FnOnce(&mut Engine) -> Result<Ticket, MqttError>,
        ) -> PyResult<Outcome> {
            self.connection(vm)?
                .request(what, queue, &mut || vm.check_signals())
                .map_err(|e| wait_error(vm, e))
        }

        #[pygetset]
        fn client_id(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<String> {
            Ok(zelf.settings(vm)?.client_id)
        }

        #[pygetset]
        fn server(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<String> {
            Ok(zelf.settings(vm)?.host)
        }

        #[pygetset]
        fn port(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<u16> {
            Ok(zelf.settings(vm)?.port)
        }

        #[pygetset]
        fn keepalive(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<u16> {
            Ok(zelf.settings(vm)?.keepalive)
        }

        #[pygetset]
        fn cb(zelf: &Py<Self>, vm: &VirtualMachine) -> PyObjectRef {
            zelf.state
                .lock()
                .callback
                .clone()
                .unwrap_or_else(|| vm.ctx.none())
        }

        #[pygetset(setter)]
        fn set_cb(zelf: &Py<Self>, value: PyObjectRef, vm: &VirtualMachine) {
            zelf.state.lock().callback = (!vm.is_none(&value)).then_some(value);
        }

        #[pymethod]
        fn set_callback(zelf: &Py<Self>, f: PyObjectRef, vm: &VirtualMachine) {
            Self::set_cb(zelf, f, vm)
        }

        #[pymethod]
        fn set_last_will(zelf: &Py<Self>, args: MessageArgs, vm: &VirtualMachine) -> PyResult<()> {
            let topic = text(&args.topic, "topic", vm)?;
            limits::publish_topic(&topic).map_err(|m| vm.new_value_error(m))?;
            let message = payload(&args.msg, vm)?;
            // Checked here, not at connect(): there the broker would just drop the connection.
            limits::will_message(message.len()).map_err(|m| vm.new_value_error(m))?;
            let qos = args.qos(vm)?;
            let retain = args.retain(vm)?;
            let mut state = zelf.state.lock();
            let settings = state
                .settings
                .as_mut()
                .ok_or_else(|| vm.new_runtime_error("MQTTClient.__init__() was not called"))?;
            settings.will = Some(Will {
                topic,
                message,
                qos,
                retain,
            });
            Ok(())
        }

        /// Connects; returns 1 when the broker resumed a stored session, else 0.
        #[pymethod]
        fn connect(zelf: &Py<Self>, args: ConnectArgs, vm: &VirtualMachine) -> PyResult<u8> {
            let mut settings = zelf.settings(vm)?;
            let ssl_context = zelf.state.lock().ssl_context.clone();
            if let (Some(ctx), Some(tls)) = (ssl_context, settings.transport.tls_mut())
                && let Some(mut now) = ssl_module::context_options(&ctx, vm)?
            {
                // ssl_params' server_hostname stays: the context has none of its own.
                now.server_hostname = tls.server_hostname.take();
                *tls = now;
            }
            let clean_session = match &args.clean_session {
                Some(c) => flag(c, "clean_session", vm)?,
                None => true,
            };
            if settings.client_id.is_empty() && !clean_session {
                return Err(vm.new_value_error(
                    "clean_session=False needs a client_id: the broker keeps the session under it",
                ));
            }
            // None is the default timeout (see settings::DEFAULT_CONNECT_TIMEOUT).
            if let Some(timeout) = args.timeout.as_ref().filter(|t| !vm.is_none(t)) {
                let timeout = connect_timeout(seconds(timeout, "timeout", vm)?)
                    .map_err(|m| vm.new_value_error(m))?;
                settings.connect_timeout = Some(timeout);
            }
            settings.clean_session = clean_session;
            let host = zelf.host(vm);
            if !host.board.network_reachable() {
                // What a board's connect() raises with its Wi-Fi down.
                return Err(vm
                    .new_errno_error(
                        EHOSTUNREACH,
                        format!(
                            "cannot reach {}: the board's Wi-Fi is not connected",
                            settings.broker()
                        ),
                    )
                    .upcast());
            }
            match &host.redirect {
                Some(to) => redirect::apply(to, &mut settings),
                // A sandbox's MQTT goes to the application's broker, and there is none.
                None if crate::host::sandbox::of(vm).is_some() => {
                    return Err(crate::host::sandbox::refused(
                        vm,
                        format!(
                            "MQTT to {}: this sandbox allows only the broker the application \
                             configured, and it configured none",
                            settings.broker()
                        ),
                    ));
                }
                None => {}
            }
            // A new connect() replaces the old socket, as umqtt's does.
            let previous = zelf.state.lock().connection.take();
            drop(previous);
            let (connection, session_present) =
                Connection::open(&settings, &mut || vm.check_signals()).map_err(|e| match e {
                    // Nothing was connected yet: a failure is one of connecting, never "lost".
                    WaitError::Mqtt(e) => to_exception(vm, e.before_connack()),
                    WaitError::Interrupted(exc) => exc,
                })?;
            host.open.track(&connection);
            zelf.state.lock().connection = Some(Arc::new(connection));
            host.hooks.emit(ScriptEvent::Connected);
            Ok(u8::from(session_present))
        }

        /// Delivers what is queued, sends DISCONNECT and closes.
        #[pymethod]
        fn disconnect(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<()> {
            let connection = zelf.connection(vm)?;
            zelf.state.lock().connection = None;
            connection.disconnect().map_err(|e| to_exception(vm, e))
        }

        /// Sends PINGREQ and waits for PINGRESP.
        #[pymethod]
        fn ping(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<()> {
            let connection = zelf.connection(vm)?;
            connection
                .with_engine(|engine| {
                    let answered = engine.tracker().pings_answered();
                    engine.ping();
                    let deadline = Some(Instant::now() + PING_TIMEOUT);
                    engine.drive_until(
                        "waiting for PINGRESP",
                        deadline,
                        |t| (t.pings_answered() > answered).then_some(()),
                        &mut || vm.check_signals(),
                    )
                })
                .map_err(|e| wait_error(vm, e))
        }

        /// Publishes; with qos 1 or 2, returns once the broker acknowledged.
        #[pymethod]
        fn publish(zelf: &Py<Self>, args: MessageArgs, vm: &VirtualMachine) -> PyResult<()> {
            let topic = text(&args.topic, "topic", vm)?;
            limits::publish_topic(&topic).map_err(|m| vm.new_value_error(m))?;
            let message = payload(&args.msg, vm)?;
            let qos = args.qos(vm)?;
            let retain = args.retain(vm)?;
            limits::publish_size(&topic, message.len(), qos).map_err(|m| vm.new_value_error(m))?;
            let hooks = zelf.host(vm).hooks.clone();
            let published = hooks.attached().then(|| ScriptEvent::Published {
                topic: topic.clone(),
                payload: message.clone(),
                qos: qos as u8,
                retain,
            });
            zelf.request(vm, "publishing", |engine| {
                engine.publish(topic, message, qos, retain)
            })?;
            if let Some(published) = published {
                hooks.emit(published);
            }
            Ok(())
        }

        /// Subscribes and waits for SUBACK; a refused subscription raises MQTTException(0x80).
        #[pymethod]
        fn subscribe(zelf: &Py<Self>, args: SubscribeArgs, vm: &VirtualMachine) -> PyResult<()> {
            if zelf.state.lock().callback.is_none() {
                return Err(vm.new_exception_msg(
                    vm.ctx.exceptions.assertion_error.to_owned(),
                    "Subscribe callback is not set".into(),
                ));
            }
            let filter = text(&args.topic, "topic", vm)?;
            limits::topic_filter(&filter).map_err(|m| vm.new_value_error(m))?;
            let qos = match &args.qos {
                Some(q) => qos(q, vm)?,
                None => rumqttc::QoS::AtMostOnce,
            };
            let requested = filter.clone();
            match zelf.request(vm, "subscribing", |engine| engine.subscribe(filter, qos))? {
                Outcome::Subscribed(codes) if codes.contains(&SubscribeReasonCode::Failure) => {
                    Err(to_exception(vm, MqttError::refused(0x80)))
                }
                _ => {
                    zelf.host(vm).hooks.emit(ScriptEvent::Subscribed(requested));
                    Ok(())
                }
            }
        }

        #[pymethod]
        fn unsubscribe(zelf: &Py<Self>, topic: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
            let filter = text(&topic, "topic", vm)?;
            limits::topic_filter(&filter).map_err(|m| vm.new_value_error(m))?;
            let requested = filter.clone();
            zelf.request(vm, "unsubscribing", |engine| engine.unsubscribe(filter))?;
            zelf.host(vm)
                .hooks
                .emit(ScriptEvent::Unsubscribed(requested));
            Ok(())
        }

        /// Blocks until a message arrives, passes it to the callback and returns the PUBLISH
        /// header's first byte (0x30 | qos << 1 | retain), as umqtt does.
        #[pymethod]
        fn wait_msg(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<u8> {
            let connection = zelf.connection(vm)?;
            // Under `pymqtt test`, a script waiting here may be asked to end (see host::hooks),
            // and on a virtual clock, the clock moves on to the harness's next event.
            let host = zelf.host(vm);
            let hooks = host.hooks.clone();
            let clock = host.clock.clone();
            let message = connection
                .wait_message(&mut || {
                    vm.check_signals()?;
                    if let Some(clock) = &clock {
                        clock.wait(None, Duration::ZERO);
                    }
                    hooks.stop_point(vm)
                })
                .map_err(|e| wait_error(vm, e))?;
            zelf.deliver(&connection, message, vm)
        }

        /// Like wait_msg() when a message is pending; otherwise returns None at once (it takes
        /// only what the connection has ready, and waits for nothing).
        #[pymethod]
        fn check_msg(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<Option<u8>> {
            zelf.host(vm).hooks.stop_point(vm)?;
            let connection = zelf.connection(vm)?;
            match connection
                .ready_message()
                .map_err(|e| to_exception(vm, e))?
            {
                Some(message) => zelf.deliver(&connection, message, vm).map(Some),
                None => Ok(None),
            }
        }

        /// Passes `message` to the callback, then acknowledges it (QoS 1 and 2), as umqtt
        /// does: if the callback raises, or the script dies in it, the broker still holds the
        /// message and sends it again to the next session that resumes this one.
        fn deliver(
            &self,
            connection: &Connection,
            mut message: crate::mqtt::tracker::Message,
            vm: &VirtualMachine,
        ) -> PyResult<u8> {
            let first_byte = message.first_byte();
            let dropped = message.dropped_before;
            if dropped > 0 {
                // On stderr, not raised: the script lost nothing it could have had otherwise
                // (a broker drops the same messages for a board that is not reading).
                let warning = format!(
                    "pymqtt: warning: {dropped} QoS 0 message(s) dropped: more arrived than the \
                     script read while it kept the connection busy (the client holds up to \
                     twice incoming_messages/incoming_bytes unread)\n"
                );
                if let Ok(stderr) = vm.sys_module.get_attr("stderr", vm) {
                    let _ = vm.call_method(&stderr, "write", (warning,));
                }
            }
            let callback = self.state.lock().callback.clone();
            // One look at the host a message: its hooks hear of the delivery and the handling.
            let host = self.host(vm);
            let hooks = &host.hooks;
            if hooks.attached() {
                hooks.emit(ScriptEvent::Received {
                    topic: message.topic.clone(),
                    payload: message.payload.clone(),
                });
            }
            if let Some(callback) = callback {
                // The topic moves into the callback's bytes; the ack needs only the packet id.
                let topic = vm
                    .ctx
                    .new_bytes(std::mem::take(&mut message.topic).into_bytes());
                let msg = vm.ctx.new_bytes(message.payload.to_vec());
                callback.call((topic, msg), vm)?;
            }
            connection
                .acknowledge(&message, &mut || vm.check_signals())
                .map_err(|e| wait_error(vm, e))?;
            hooks.emit(ScriptEvent::Handled);
            Ok(first_byte)
        }
    }
}
