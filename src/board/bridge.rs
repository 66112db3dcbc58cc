//! `--board-mqtt`: the board on an MQTT broker, for people. Its outputs are published under a
//! topic prefix as they change, and inputs are taken from `.../set` topics, so a person can flip
//! a switch from MQTTX or `pymqtt pub` and watch the LED's topic.
//!
//! ```text
//! PREFIX/board                          the board's kind, once the bridge listens (retained)
//! PREFIX/pin/LED                        an output's level, 0 or 1 (retained)
//! PREFIX/pwm/15                         a PWM output: "duty_u16 freq"
//! PREFIX/neopixel/16                    a strip's colours: "#ff0000 #000000"
//! PREFIX/wifi                           the Wi-Fi station, in words
//! PREFIX/reset                          why the board reset
//! PREFIX/pin/14/set          0|1        an input's level
//! PREFIX/adc/26/set          N          what read_u16() gives (0..65535)
//! PREFIX/sensor/dht/4/temperature/set   a sensor reading
//! PREFIX/wifi/drop/set       SECONDS    takes the Wi-Fi away for that long
//! ```
//!
//! The bridge is its own MQTT client (plain TCP), apart from the script's.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rumqttc::{Client, Event, Incoming, MqttOptions, QoS};

use super::{Board, BoardEvent, control, hex_colors};
use crate::mqtt::address::{BrokerAddress, Scheme};

/// The topic prefix when `--board-mqtt` names none.
///
/// ```
/// assert_eq!(pymqtt::board::bridge::DEFAULT_PREFIX, "pymqtt/board");
/// ```
pub const DEFAULT_PREFIX: &str = "pymqtt/board";

/// Connects the board to the broker at `broker` under `prefix`; runs until the process ends.
///
/// ```
/// use std::sync::Arc;
/// use pymqtt::board::{Board, bridge};
/// use pymqtt::broker::EmbeddedBroker;
/// use pymqtt::BrokerAddress;
///
/// let broker = EmbeddedBroker::start_on_free_port().unwrap();
/// let address = BrokerAddress::tcp("127.0.0.1", broker.addr().port());
/// // From here on, `pymqtt/board/pin/14/set` with `1` puts 1 on pin 14, and the board's
/// // outputs appear under `pymqtt/board/...`.
/// bridge::start(Arc::new(Board::default()), &address, bridge::DEFAULT_PREFIX).unwrap();
/// assert!(bridge::start(Arc::new(Board::default()), &"ws://localhost".parse().unwrap(), "b").is_err());
/// ```
pub fn start(board: Arc<Board>, broker: &BrokerAddress, prefix: &str) -> Result<(), String> {
    if broker.scheme != Scheme::Mqtt {
        return Err(format!(
            "--board-mqtt speaks plain MQTT; give --broker HOST[:PORT], not {broker}"
        ));
    }
    let prefix = prefix.trim_end_matches('/').to_string();
    let id = format!("pymqtt-board-{}", std::process::id());
    let mut options = MqttOptions::new(id, broker.host.clone(), broker.port);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut connection) = Client::new(options, 64);

    let outputs = client.clone();
    let topics = prefix.clone();
    board.listen(move |event| {
        if let Some((topic, payload, retain)) = output(&topics, event) {
            let _ = outputs.try_publish(topic, QoS::AtLeastOnce, retain, payload);
        }
    });
    client
        .subscribe(format!("{prefix}/#"), QoS::AtLeastOnce)
        .map_err(|e| format!("--board-mqtt: {e}"))?;
    let kind = board.kind().name;
    thread::Builder::new()
        .name("pymqtt-board-mqtt".into())
        .spawn(move || {
            for event in connection.iter() {
                match event {
                    Ok(Event::Incoming(Incoming::SubAck(_))) => {
                        let _ = client.try_publish(
                            format!("{prefix}/board"),
                            QoS::AtLeastOnce,
                            true,
                            kind,
                        );
                    }
                    Ok(Event::Incoming(Incoming::Publish(message))) => {
                        let payload = String::from_utf8_lossy(&message.payload);
                        // `PREFIX/CONTROL/set`; the bridge's own outputs have no `/set`.
                        if let Some(control) = message
                            .topic
                            .strip_prefix(&format!("{prefix}/"))
                            .and_then(|rest| rest.strip_suffix("/set"))
                            && let Err(e) = control::apply(&board, control, &payload)
                        {
                            eprintln!("pymqtt: --board-mqtt: {}: {e}", message.topic);
                        }
                    }
                    Ok(_) => {}
                    // rumqttc reconnects by itself; wait a moment between attempts.
                    Err(_) => thread::sleep(Duration::from_secs(1)),
                }
            }
        })
        .map(drop)
        .map_err(|e| format!("--board-mqtt: {e}"))
}

/// The topic, payload and retain flag an event is published with.
fn output(prefix: &str, event: &BoardEvent) -> Option<(String, String, bool)> {
    Some(match event {
        BoardEvent::Output { pin, level } => {
            (format!("{prefix}/pin/{pin}"), level.to_string(), true)
        }
        BoardEvent::Pwm {
            pin,
            duty_u16,
            freq,
        } => (
            format!("{prefix}/pwm/{pin}"),
            format!("{duty_u16} {freq}"),
            true,
        ),
        BoardEvent::Pixels { pin, colors } => {
            (format!("{prefix}/neopixel/{pin}"), hex_colors(colors), true)
        }
        BoardEvent::Wifi(what) => (format!("{prefix}/wifi"), what.clone(), true),
        BoardEvent::Reset(why) => (format!("{prefix}/reset"), why.clone(), false),
        // Inputs come from outside; echoing them back would only repeat the `set` topics.
        BoardEvent::Input { .. } => return None,
    })
}
