//! Board files (`board.toml` beside the script, or `--board FILE`): the board's kind, its
//! Wi-Fi networks and its inputs at power-up.
//!
//! ```toml
//! kind = "pico_w"                  # pico_w, esp32 or esp8266
//! unique_id = "e6614c311b3f6b2a"   # hex; derived from this computer when absent
//!
//! [wifi]
//! connect_time = 0.5               # seconds joining takes
//! networks = [{ ssid = "home", password = "secret", rssi = -55 }]
//!
//! [pins]                           # input levels at power-up
//! GP14 = 1
//!
//! [adc]                            # what read_u16() gives: a number or a list read in turn
//! 26 = [30000, 31000, 32000]
//!
//! [sensors."dht:4"]                # a DHT11/DHT22 on pin 4
//! temperature = [21.5, 22.0]
//! humidity = 48
//!
//! [sensors."ds18x20:13"]           # or a CSV file: a header row names the quantities,
//! csv = "readings.csv"             # then one row per read (beside the board file)
//!
//! [[spi]]                          # a device on the SPI bus, selected by its CS pin low:
//! cs = "5"                         # each selection, transfers read its reply from the start
//! reply = [0x0C, 0x80]
//!
//! [[i2c]]                          # a device on the I2C bus: its registers at power-up
//! address = 0x76
//! registers = [[0xD0, 0x60]]       # [first register, bytes from there...]
//! ```
//!
//! Mistakes are errors naming the file, the line and what was expected.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::i2c::{Bus, Device};
use super::kind::BoardKind;
use super::readings::Readings;
use super::spi;
use super::wifi::Network;

/// A board, as a file (or the default) declares it.
///
/// ```
/// use pymqtt::board::BoardConfig;
///
/// let config = BoardConfig::parse(
///     "kind = \"esp32\"\n\
///      [wifi]\n\
///      networks = [{ ssid = \"home\", password = \"secret\" }]\n\
///      [adc]\n\
///      34 = [1000, 2000]\n",
/// )
/// .unwrap();
/// assert_eq!(config.kind.name, "esp32");
/// assert_eq!(config.networks[0].ssid, "home");
/// assert!(BoardConfig::parse("kind = \"arduino\"").is_err());
/// ```
#[derive(Debug, Clone)]
pub struct BoardConfig {
    /// The kind of board (`kind = "esp32"`); a Pico W when the file names none.
    pub kind: &'static BoardKind,
    /// `machine.unique_id()`'s bytes, when the file gives them.
    pub unique_id: Option<Vec<u8>>,
    /// The Wi-Fi networks the station can see and join.
    pub networks: Vec<Network>,
    /// How long joining a network takes.
    pub connect_time: Duration,
    /// Input levels at power-up, by canonical pin id.
    pub pins: BTreeMap<String, u8>,
    /// `read_u16()` values, by canonical pin id.
    pub adc: BTreeMap<String, Readings>,
    /// Sensor readings, by device (`dht:4`, `ds18x20:12`) and quantity (`temperature`).
    pub sensors: BTreeMap<String, BTreeMap<String, Readings>>,
    /// The devices on the I2C bus.
    pub i2c: Bus,
    /// The devices on the SPI bus.
    pub spi: spi::Bus,
    /// Whether a board file declared the board (then `os.uname()` is the board's too).
    pub declared: bool,
}

/// The board file a script's folder may hold.
///
/// ```
/// assert_eq!(pymqtt::board::file::BOARD_FILE, "board.toml");
/// ```
pub const BOARD_FILE: &str = "board.toml";

/// How long joining a network takes when the file does not say.
///
/// ```
/// use pymqtt::board::BoardConfig;
/// use pymqtt::board::file::DEFAULT_CONNECT_TIME;
///
/// assert_eq!(BoardConfig::default().connect_time, DEFAULT_CONNECT_TIME);
/// ```
pub const DEFAULT_CONNECT_TIME: Duration = Duration::from_millis(300);

impl Default for BoardConfig {
    /// A Pico W that sees one open network, so that a script's `wlan.connect(SSID, PASSWORD)`
    /// joins whatever it names (see [`BoardConfig::accepts_any_network`]).
    fn default() -> Self {
        BoardConfig {
            kind: BoardKind::default_kind(),
            unique_id: None,
            networks: Vec::new(),
            connect_time: DEFAULT_CONNECT_TIME,
            pins: BTreeMap::new(),
            adc: BTreeMap::new(),
            sensors: BTreeMap::new(),
            i2c: Bus::default(),
            spi: spi::Bus::default(),
            declared: false,
        }
    }
}

impl BoardConfig {
    /// Without declared networks, any network a script joins exists and takes its password:
    /// a script runs on the default board as on the board it was written for.
    ///
    /// ```
    /// use pymqtt::board::BoardConfig;
    ///
    /// assert!(BoardConfig::default().accepts_any_network());
    /// let home = BoardConfig::parse("[wifi]\nnetworks = [{ ssid = \"home\" }]").unwrap();
    /// assert!(!home.accepts_any_network());
    /// ```
    pub fn accepts_any_network(&self) -> bool {
        self.networks.is_empty()
    }

    /// The board file in `folder` (`board.toml`), if there is one. Only a file that is not
    /// there means "none": one that cannot be read is a mistake to report.
    ///
    /// ```
    /// use pymqtt::board::BoardConfig;
    ///
    /// let folder = std::env::temp_dir().join(format!("pymqtt-beside-{}", std::process::id()));
    /// std::fs::create_dir_all(&folder).unwrap();
    /// assert!(BoardConfig::beside(&folder).unwrap().is_none());
    /// std::fs::write(folder.join("board.toml"), "kind = \"esp8266\"\n").unwrap();
    /// let (config, file) = BoardConfig::beside(&folder).unwrap().unwrap();
    /// assert_eq!((config.kind.name, file), ("esp8266", folder.join("board.toml")));
    /// std::fs::remove_dir_all(&folder).unwrap();
    /// ```
    pub fn beside(folder: &Path) -> Result<Option<(BoardConfig, std::path::PathBuf)>, String> {
        let file = folder.join(BOARD_FILE);
        if !file.exists() {
            return Ok(None);
        }
        BoardConfig::read(&file).map(|config| Some((config, file)))
    }

    /// Reads and checks the board file at `path`.
    ///
    /// ```
    /// use pymqtt::board::BoardConfig;
    ///
    /// let error = BoardConfig::read(std::path::Path::new("/nonexistent/board.toml")).unwrap_err();
    /// assert!(error.starts_with("cannot read the board file"), "{error}");
    /// ```
    pub fn read(path: &Path) -> Result<BoardConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the board file {}: {e}", path.display()))?;
        let folder = path.parent().unwrap_or(Path::new(""));
        BoardConfig::parse_in(&text, folder).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// A board file's text; files it names (CSV readings) are looked for in the current folder.
    ///
    /// ```
    /// use pymqtt::board::BoardConfig;
    ///
    /// let config = BoardConfig::parse("[pins]\nGP14 = 1\n").unwrap();
    /// assert_eq!(config.pins.get("14"), Some(&1));
    /// ```
    pub fn parse(text: &str) -> Result<BoardConfig, String> {
        BoardConfig::parse_in(text, Path::new(""))
    }

    /// A board file's text, whose CSV readings are named relative to `folder`.
    fn parse_in(text: &str, folder: &Path) -> Result<BoardConfig, String> {
        let file: File = toml::from_str(text).map_err(|e| describe_toml_error(&e, text))?;
        let at = |span: std::ops::Range<usize>, message: String| {
            format!("line {}: {message}", line_of(text, span.start))
        };
        let kind_name = file
            .kind
            .unwrap_or_else(|| Spanned::new(0..0, BoardKind::default_kind().name.to_string()));
        let kind = BoardKind::named(kind_name.get_ref()).ok_or_else(|| {
            at(
                kind_name.span(),
                format!(
                    "unknown board kind {:?} (known: {})",
                    kind_name.get_ref(),
                    BoardKind::names()
                ),
            )
        })?;
        let mut config = BoardConfig {
            kind,
            declared: true,
            ..BoardConfig::default()
        };
        if let Some(id) = file.unique_id {
            let bytes = hex(id.get_ref()).ok_or_else(|| {
                at(
                    id.span(),
                    "unique_id must be hex digits, e.g. \"e6614c31\"".into(),
                )
            })?;
            config.unique_id = Some(bytes);
        }
        if let Some(wifi) = file.wifi {
            if let Some(seconds) = wifi.connect_time {
                config.connect_time = Duration::try_from_secs_f64(*seconds.get_ref())
                    .map_err(|_| at(seconds.span(), "connect_time must be seconds >= 0".into()))?;
            }
            for network in wifi.networks {
                config.networks.push(Network {
                    ssid: network.ssid,
                    password: network.password,
                    rssi: network.rssi.unwrap_or(-60),
                    channel: network.channel.unwrap_or(6),
                });
            }
        }
        let pin_id = |name: &Spanned<String>| {
            kind.pin_id(name.get_ref()).ok_or_else(|| {
                at(
                    name.span(),
                    format!("{} has no pin {:?}", kind.name, name.get_ref()),
                )
            })
        };
        for (name, level) in file.pins {
            let level = match *level.get_ref() {
                0 => 0,
                1 => 1,
                other => {
                    return Err(at(
                        level.span(),
                        format!("a pin level is 0 or 1, not {other}"),
                    ));
                }
            };
            config.pins.insert(pin_id(&name)?, level);
        }
        for (name, values) in file.adc {
            let readings = readings(&values).map_err(|m| at(values.span(), m))?;
            config.adc.insert(pin_id(&name)?, readings);
        }
        for (device, quantities) in file.sensors {
            let (driver, pin) = device.get_ref().split_once(':').ok_or_else(|| {
                at(
                    device.span(),
                    format!(
                        "a sensor is named DRIVER:PIN, e.g. \"dht:4\", not {:?}",
                        device.get_ref()
                    ),
                )
            })?;
            if !SENSOR_DRIVERS.contains(&driver) {
                return Err(at(
                    device.span(),
                    format!(
                        "unknown sensor driver {driver:?} (known: {})",
                        SENSOR_DRIVERS.join(", ")
                    ),
                ));
            }
            let pin = Spanned::new(device.span(), pin.to_string());
            let key = format!("{driver}:{}", pin_id(&pin)?);
            let mut values = BTreeMap::new();
            for (quantity, value) in quantities {
                if let (CSV_KEY, Value::Text(file)) = (quantity.as_str(), value.get_ref()) {
                    let columns =
                        csv_readings(&folder.join(file)).map_err(|m| at(value.span(), m))?;
                    values.extend(columns);
                    continue;
                }
                let readings = readings(&value).map_err(|m| at(value.span(), m))?;
                values.insert(quantity, readings);
            }
            config.sensors.insert(key, values);
        }
        for entry in file.i2c {
            let span = entry.span();
            let entry = entry.into_inner();
            let address = u8::try_from(entry.address)
                .ok()
                .filter(|a| *a < 0x80)
                .ok_or_else(|| {
                    at(
                        span.clone(),
                        format!("an I2C address is 0..0x7f, not {}", entry.address),
                    )
                })?;
            let mut contents = Vec::new();
            for run in entry.registers {
                let bytes: Option<Vec<u8>> = run.iter().map(|b| u8::try_from(*b).ok()).collect();
                match bytes.as_deref() {
                    Some([start, rest @ ..]) => contents.push((*start, rest.to_vec())),
                    _ => {
                        return Err(at(
                            span.clone(),
                            "registers are [first register, bytes...], each 0..255".into(),
                        ));
                    }
                }
            }
            config.i2c.add(address, Device::new(&contents));
        }
        for entry in file.spi {
            let span = entry.span();
            let entry = entry.into_inner();
            let cs = pin_id(&entry.cs)?;
            let reply: Option<Vec<u8>> =
                entry.reply.iter().map(|b| u8::try_from(*b).ok()).collect();
            let reply =
                reply.ok_or_else(|| at(span.clone(), "a reply is bytes, each 0..255".into()))?;
            config.spi.add(spi::Device::new(cs, reply));
        }
        Ok(config)
    }
}

/// The drivers whose readings a board file can give.
///
/// ```
/// assert!(pymqtt::board::file::SENSOR_DRIVERS.contains(&"dht"));
/// ```
pub const SENSOR_DRIVERS: &[&str] = &["dht", "ds18x20"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    kind: Option<Spanned<String>>,
    unique_id: Option<Spanned<String>>,
    wifi: Option<WifiSection>,
    #[serde(default)]
    pins: BTreeMap<Spanned<String>, Spanned<i64>>,
    #[serde(default)]
    adc: BTreeMap<Spanned<String>, Spanned<Value>>,
    #[serde(default)]
    sensors: BTreeMap<Spanned<String>, BTreeMap<String, Spanned<Value>>>,
    #[serde(default)]
    i2c: Vec<Spanned<I2cEntry>>,
    #[serde(default)]
    spi: Vec<Spanned<SpiEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpiEntry {
    cs: Spanned<String>,
    #[serde(default)]
    reply: Vec<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct I2cEntry {
    address: i64,
    #[serde(default)]
    registers: Vec<Vec<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WifiSection {
    connect_time: Option<Spanned<f64>>,
    #[serde(default)]
    networks: Vec<NetworkEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkEntry {
    ssid: String,
    password: Option<String>,
    rssi: Option<i32>,
    channel: Option<u8>,
}

/// A number, or a list of numbers read in turn.
#[derive(Deserialize)]
#[serde(untagged)]
enum Value {
    Integer(i64),
    Float(f64),
    List(Vec<f64>),
    /// Only for `csv = "FILE"`.
    Text(String),
}

/// The quantity name that names a CSV file of readings instead.
const CSV_KEY: &str = "csv";

/// A CSV file's columns as readings: a header row names the quantities (`temperature,humidity`),
/// then each row is one read.
fn csv_readings(path: &Path) -> Result<BTreeMap<String, Readings>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the readings in {}: {e}", path.display()))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .ok_or_else(|| format!("{} has no header row", path.display()))?
        .split(',')
        .map(|h| h.trim().to_string())
        .collect();
    let mut columns = vec![Vec::new(); header.len()];
    for (row, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != header.len() {
            return Err(format!(
                "{} row {}: {} values for {} columns",
                path.display(),
                row + 2,
                cells.len(),
                header.len()
            ));
        }
        for (column, cell) in columns.iter_mut().zip(cells) {
            column.push(cell.parse::<f64>().map_err(|_| {
                format!(
                    "{} row {}: {cell:?} is not a number",
                    path.display(),
                    row + 2
                )
            })?);
        }
    }
    if columns.first().is_none_or(Vec::is_empty) {
        return Err(format!(
            "{} has no readings below its header",
            path.display()
        ));
    }
    Ok(header
        .into_iter()
        .zip(columns)
        .map(|(name, values)| (name, Readings::sequence(values)))
        .collect())
}

fn readings(value: &Spanned<Value>) -> Result<Readings, String> {
    match value.get_ref() {
        Value::Integer(n) => Ok(Readings::constant(*n as f64)),
        Value::Float(x) => Ok(Readings::constant(*x)),
        Value::List(values) if values.is_empty() => {
            Err("a list of readings needs at least one value".into())
        }
        Value::List(values) => Ok(Readings::sequence(values.clone())),
        Value::Text(_) => Err(format!(
            "a reading is a number or a list of numbers (or {CSV_KEY} = \"FILE\")"
        )),
    }
}

fn hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// toml's error, as `line N: what`.
fn describe_toml_error(e: &toml::de::Error, text: &str) -> String {
    let message = e.message().trim_end().to_string();
    match e.span() {
        Some(span) => format!("line {}: {message}", line_of(text, span.start)),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pico_w_file_is_read() {
        let config = BoardConfig::parse(
            "kind = \"pico_w\"\nunique_id = \"0a0b\"\n[wifi]\nconnect_time = 1.5\n\
             networks = [{ ssid = \"home\", password = \"pw\" }]\n[pins]\nGP14 = 1\n\
             [adc]\n26 = [1, 2]\n[sensors.\"dht:4\"]\ntemperature = 30.5\n",
        )
        .unwrap();
        assert_eq!(config.kind.name, "pico_w");
        assert_eq!(config.unique_id, Some(vec![10, 11]));
        assert_eq!(config.connect_time, Duration::from_millis(1500));
        assert_eq!(config.networks[0].ssid, "home");
        assert_eq!(config.pins.get("14"), Some(&1));
        assert!(config.adc.contains_key("26"));
        let mut t = config.sensors["dht:4"]["temperature"].clone();
        assert_eq!(t.take(), 30.5);
        let config =
            BoardConfig::parse("[[i2c]]\naddress = 0x76\nregisters = [[0xD0, 0x60]]\n").unwrap();
        assert_eq!(config.i2c.scan(), [0x76]);
        let e = BoardConfig::parse("[[i2c]]\naddress = 300\n").unwrap_err();
        assert!(e.starts_with("line 1: an I2C address is 0..0x7f"), "{e}");
    }

    #[test]
    fn csv_readings_are_columns_read_row_by_row() {
        let folder = std::env::temp_dir().join(format!("pymqtt-board-csv-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join("ok.csv"),
            "temperature,humidity\n20,50\n21,51\n",
        )
        .unwrap();
        std::fs::write(folder.join("bad.csv"), "temperature\n20\nwarm\n").unwrap();
        let board = |file: &str| {
            BoardConfig::parse_in(&format!("[sensors.\"dht:4\"]\ncsv = \"{file}\"\n"), &folder)
        };
        let mut config = board("ok.csv").unwrap();
        let humidity = config
            .sensors
            .get_mut("dht:4")
            .unwrap()
            .get_mut("humidity")
            .unwrap();
        assert_eq!(
            [humidity.take(), humidity.take(), humidity.take()],
            [50.0, 51.0, 51.0]
        );
        let e = board("bad.csv").unwrap_err();
        assert!(
            e.starts_with("line 2: ") && e.contains("row 3: \"warm\" is not a number"),
            "{e}"
        );
        let e = board("missing.csv").unwrap_err();
        assert!(e.contains("cannot read the readings in"), "{e}");
        std::fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn mistakes_name_their_line() {
        let e = BoardConfig::parse("kind = \"pico_w\"\n[pins]\nGP99x = 1\n").unwrap_err();
        assert!(e.starts_with("line 3: pico_w has no pin \"GP99x\""), "{e}");
        let e = BoardConfig::parse("\nkind = \"arduino\"\n").unwrap_err();
        assert!(
            e.starts_with("line 2: unknown board kind \"arduino\""),
            "{e}"
        );
        let e = BoardConfig::parse("kind = \"esp32\"\ncolour = 1\n").unwrap_err();
        assert!(e.starts_with("line 2:") && e.contains("colour"), "{e}");
        let e = BoardConfig::parse("[pins]\n4 = 2\n").unwrap_err();
        assert!(e.starts_with("line 2: a pin level is 0 or 1"), "{e}");
        let e = BoardConfig::parse("[sensors.\"bme:4\"]\nt = 1\n").unwrap_err();
        assert!(
            e.starts_with("line 1: unknown sensor driver \"bme\""),
            "{e}"
        );
    }
}
