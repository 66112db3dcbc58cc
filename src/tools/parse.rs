//! Value parsers for the tools' flags. clap names the flag in its error; these messages say
//! what a valid value looks like.

use std::time::Duration;

use rumqttc::QoS;

use crate::mqtt::limits;

/// `-q`: 0, 1 or 2.
pub fn qos(s: &str) -> Result<QoS, String> {
    match s.trim() {
        "0" => Ok(QoS::AtMostOnce),
        "1" => Ok(QoS::AtLeastOnce),
        "2" => Ok(QoS::ExactlyOnce),
        _ => Err("QoS must be 0 (at most once), 1 (at least once) or 2 (exactly once)".into()),
    }
}

/// `-p`: a TCP port.
pub fn port(s: &str) -> Result<u16, String> {
    s.trim()
        .parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| "the port must be a number from 1 to 65535, e.g. -p 1883".into())
}

/// `-n`, `-C`: how many messages, at least one.
pub fn count(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| "expected a whole number of messages, 1 or more, e.g. 10".into())
}

/// `-W`: seconds, fractions allowed, more than zero.
pub fn seconds(s: &str) -> Result<Duration, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|secs| secs.is_finite() && *secs > 0.0 && *secs < 1e9)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| "expected a number of seconds greater than 0, e.g. 10 or 0.5".into())
}

/// `--interval`: whole milliseconds, zero allowed.
pub fn millis(s: &str) -> Result<Duration, String> {
    s.trim()
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| "expected a whole number of milliseconds, e.g. 1000 for one second".into())
}

/// `-t` of `pub`: a topic name, no wildcards.
pub fn publish_topic(s: &str) -> Result<String, String> {
    limits::string(s, "the topic")?;
    if s.is_empty() {
        return Err("the topic must not be empty, e.g. -t raspberry/mqtt".into());
    }
    if s.contains(['+', '#']) {
        return Err(
            "wildcards (+ and #) are for subscribing; publish to one topic, e.g. -t raspberry/mqtt"
                .into(),
        );
    }
    Ok(s.to_string())
}

/// `-t` of `sub`: a topic filter; `+` fills one whole level, `#` is the whole last level.
pub fn topic_filter(s: &str) -> Result<String, String> {
    limits::topic_filter(s).map_err(|_| {
        if s.is_empty() {
            "the topic must not be empty, e.g. -t raspberry/mqtt or -t 'raspberry/#'".to_string()
        } else {
            "'+' must fill a whole level and '#' must be the whole last level, \
             e.g. -t 'sensors/+/temperature' or -t 'raspberry/#'"
                .to_string()
        }
    })?;
    Ok(s.to_string())
}

/// `-i`, `-u`, `-P`: any MQTT string.
pub fn mqtt_string(s: &str) -> Result<String, String> {
    limits::string(s, "the value")?;
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_out_of_range_says_which_values_exist() {
        assert_eq!(qos("2"), Ok(QoS::ExactlyOnce));
        assert!(qos("3").unwrap_err().contains("0 (at most once)"));
        assert!(qos("one").is_err());
    }

    #[test]
    fn counts_and_durations() {
        assert_eq!(count("3"), Ok(3));
        assert!(count("0").is_err());
        assert!(count("-1").is_err());
        assert_eq!(seconds("0.5"), Ok(Duration::from_millis(500)));
        assert!(seconds("0").is_err());
        assert!(seconds("nan").is_err());
        assert_eq!(millis("0"), Ok(Duration::ZERO));
        assert!(millis("1.5").is_err());
        assert!(port("0").is_err());
        assert_eq!(port("1883"), Ok(1883));
    }

    #[test]
    fn topics() {
        assert!(publish_topic("raspberry/mqtt").is_ok());
        assert!(publish_topic("a/#").is_err());
        assert!(publish_topic("").is_err());
        assert!(topic_filter("a/+/b").is_ok());
        assert!(topic_filter("a/#/b").is_err());
        assert!(topic_filter("").is_err());
    }
}
