//! Embedding pymqtt: run a MicroPython MQTT script from your own Rust program, with its
//! clients sent to a broker of your choice.
//!
//! ```text
//! cargo run --example embed -- scripts/pub.py localhost:1883
//! ```

use std::path::PathBuf;

use pymqtt::{BrokerAddress, Host, Program};

fn main() {
    let mut args = std::env::args().skip(1);
    let script = PathBuf::from(args.next().unwrap_or_else(|| "scripts/pub.py".into()));
    let broker: BrokerAddress = args
        .next()
        .unwrap_or_else(|| "localhost:1883".into())
        .parse()
        .unwrap_or_else(|e| panic!("bad broker address: {e}"));

    let host = Host::builder()
        .argv(vec![script.display().to_string()])
        .broker(broker)
        .build();
    let status = host.run(&Program::File(script));
    std::process::exit(status.code());
}
