//! What pylib/_broker_redirect.py needs to send a script's own MQTT sockets where `--broker`
//! (or `pymqtt test`'s private broker) sends its MQTTClients.

#[rustpython_vm::pymodule(sub)]
pub(super) mod functions {
    use rustpython_vm::VirtualMachine;

    use crate::host::state as host_state;
    use crate::mqtt::address::Scheme;

    /// `(host, port)` of the broker every client is sent to, when that is a plain MQTT
    /// address; None without a redirect, or for a TLS or WebSocket one (a socket the script
    /// opens to the MQTT port speaks plain MQTT, which only a plain broker answers).
    #[pyfunction]
    fn broker_redirect(vm: &VirtualMachine) -> Option<(String, u16)> {
        let host = host_state::of(vm);
        let to = host.redirect.as_ref()?;
        (to.scheme == Scheme::Mqtt).then(|| (to.host.clone(), to.port))
    }
}
