//! A change from outside the board, in words: what a person or a tool puts on its inputs. The
//! `--board-mqtt` bridge takes these from `PREFIX/CONTROL/set` topics and the board view from
//! its page; both end in the same [`Board`] calls a `.wire` line makes.
//!
//! ```text
//! pin/NAME                   0|1 (also on/off, true/false)   an input's level
//! adc/NAME                   0..65535                        what read_u16() gives
//! sensor/DRIVER/NAME/QUANTITY  a number                      a sensor's reading (dht, ds18x20)
//! wifi/drop                  SECONDS                         takes the Wi-Fi away for that long
//! ```
//!
//! NAME is the pin as the board names it (`GP14`, `14`, `D4`).

use std::time::Duration;

use super::Board;

/// Applies `value` to the control `control` names; an unknown control or a bad value is an
/// error in words, and changes nothing.
///
/// ```
/// use std::time::Duration;
/// use pymqtt::board::{Board, control};
///
/// let board = Board::default();
/// control::apply(&board, "pin/GP14", "on").unwrap();
/// assert_eq!(board.pin_value("14"), 1);
/// control::apply(&board, "sensor/dht/4/temperature", "22.5").unwrap();
/// assert_eq!(board.sensor("dht:4", "temperature"), 22.5);
/// assert!(control::apply(&board, "adc/26", "lots").is_err());
/// ```
pub fn apply(board: &Board, control: &str, value: &str) -> Result<(), String> {
    let value = value.trim();
    let parts: Vec<&str> = control.trim_matches('/').split('/').collect();
    let kind = board.kind();
    let pin = |name: &str| {
        kind.pin_id(name)
            .ok_or_else(|| format!("{} has no pin {name:?}", kind.name))
    };
    match parts[..] {
        ["pin", name] => {
            let level = match value {
                "0" | "off" | "false" => 0,
                "1" | "on" | "true" => 1,
                other => return Err(format!("a pin level is 0 or 1, not {other:?}")),
            };
            board.set_input(&pin(name)?, level);
        }
        ["adc", name] => {
            let reading: u16 = value
                .parse()
                .map_err(|_| format!("an ADC value is 0..65535, not {value:?}"))?;
            board.set_adc(&pin(name)?, reading);
        }
        ["sensor", driver, name, quantity] => {
            let reading: f64 = value
                .parse()
                .ok()
                .filter(|r: &f64| r.is_finite())
                .ok_or_else(|| format!("a reading is a number, not {value:?}"))?;
            board.set_sensor(&format!("{driver}:{}", pin(name)?), quantity, reading);
        }
        ["wifi", "drop"] => {
            let seconds: f64 = value
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && (0.0..=86_400.0).contains(s))
                .ok_or_else(|| {
                    format!("a drop lasts a number of seconds (up to a day), not {value:?}")
                })?;
            board.wifi_drop(Duration::from_secs_f64(seconds));
        }
        _ => return Err(format!("the board has no control {control:?}")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_reach_the_board_and_bad_ones_change_nothing() {
        let board = Board::default();
        apply(&board, "pin/GP14", "0").unwrap();
        assert_eq!(board.pin_value("14"), 0);
        apply(&board, "pin/14", "on").unwrap();
        assert_eq!(board.pin_value("14"), 1);
        apply(&board, "adc/26", "1234").unwrap();
        assert_eq!(board.adc_read_u16("26"), 1234);
        apply(&board, "sensor/dht/4/temperature", "30.5").unwrap();
        assert_eq!(board.sensor("dht:4", "temperature"), 30.5);

        assert!(apply(&board, "pin/14", "2").unwrap_err().contains("0 or 1"));
        assert!(apply(&board, "pin/X9", "1").unwrap_err().contains("no pin"));
        assert!(apply(&board, "adc/26", "70000").is_err());
        assert!(apply(&board, "sensor/dht/4/temperature", "NaN").is_err());
        assert!(apply(&board, "wifi/drop", "-1").is_err());
        assert!(
            apply(&board, "reset", "1")
                .unwrap_err()
                .contains("no control")
        );
        assert_eq!(board.pin_value("14"), 1);
        assert_eq!(board.adc_read_u16("26"), 1234);
    }
}
