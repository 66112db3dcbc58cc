//! `--broker HOST[:PORT]`: where every MQTTClient connects, whatever the script hard-codes.

use std::sync::RwLock;

use crate::broker_address::BrokerAddress;

static REDIRECT: RwLock<Option<BrokerAddress>> = RwLock::new(None);

/// Sends every client created from now on to `to` (or back to its own server with `None`).
pub fn set(to: Option<BrokerAddress>) {
    *REDIRECT.write().unwrap_or_else(|p| p.into_inner()) = to;
}

/// The broker clients are redirected to, if any.
pub fn get() -> Option<BrokerAddress> {
    REDIRECT.read().unwrap_or_else(|p| p.into_inner()).clone()
}
