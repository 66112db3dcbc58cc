//! What MQTT 3.1.1 allows on the wire, checked before anything is queued so that a bad
//! argument is a clear error in the script rather than a broken connection later.

use rumqttc::QoS;

/// The largest "remaining length" the MQTT fixed header can encode.
pub const MAX_REMAINING_LENGTH: usize = 268_435_455;
/// The largest whole packet: fixed header (1 + 4 length bytes) plus remaining length.
pub const MAX_PACKET_SIZE: usize = MAX_REMAINING_LENGTH + 5;
/// Strings on the wire carry a two-byte length.
pub const MAX_STRING_LENGTH: usize = 65_535;

/// A QoS as a script gives it: 0, 1 or 2.
pub fn qos(value: i64) -> Result<QoS, String> {
    match value {
        0 => Ok(QoS::AtMostOnce),
        1 => Ok(QoS::AtLeastOnce),
        2 => Ok(QoS::ExactlyOnce),
        other => Err(format!("qos must be 0, 1 or 2, not {other}")),
    }
}

/// A topic to publish to (or a will topic): non-empty, no wildcards, no NUL.
pub fn publish_topic(topic: &str) -> Result<(), String> {
    string(topic, "topic")?;
    if topic.is_empty() {
        return Err("topic must not be empty".into());
    }
    if topic.contains(['+', '#']) {
        return Err(format!(
            "topic {topic:?} contains a wildcard (+ or #): wildcards are only allowed in subscribe()"
        ));
    }
    Ok(())
}

/// A subscription filter: wildcards allowed where MQTT allows them.
pub fn topic_filter(filter: &str) -> Result<(), String> {
    string(filter, "topic filter")?;
    if filter.is_empty() {
        return Err("topic filter must not be empty".into());
    }
    let levels: Vec<&str> = filter.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        let misplaced_hash = level.contains('#') && (*level != "#" || i != levels.len() - 1);
        let misplaced_plus = level.contains('+') && *level != "+";
        if misplaced_hash || misplaced_plus {
            return Err(format!(
                "topic filter {filter:?} is invalid: '+' must fill a whole level and '#' must be the whole last level"
            ));
        }
    }
    Ok(())
}

/// Any string field: fits its two-byte length, no NUL character.
pub fn string(value: &str, what: &str) -> Result<(), String> {
    if value.len() > MAX_STRING_LENGTH {
        return Err(format!(
            "{what} is {} bytes in UTF-8; MQTT allows at most {MAX_STRING_LENGTH}",
            value.len()
        ));
    }
    if value.contains('\0') {
        return Err(format!("{what} must not contain a NUL character"));
    }
    Ok(())
}

/// A whole PUBLISH fits in one MQTT packet.
pub fn publish_size(topic: &str, payload_len: usize, qos: QoS) -> Result<(), String> {
    let packet_id = if qos == QoS::AtMostOnce { 0 } else { 2 };
    let remaining = 2 + topic.len() + packet_id + payload_len;
    if remaining > MAX_REMAINING_LENGTH {
        return Err(format!(
            "message of {payload_len} bytes is too large: an MQTT packet holds at most {MAX_REMAINING_LENGTH} bytes"
        ));
    }
    Ok(())
}

/// A last will's message: CONNECT carries it with a two-byte length, like a string (and
/// rumqttc would cut a longer length to 16 bits, sending a CONNECT the broker drops).
pub fn will_message(len: usize) -> Result<(), String> {
    if len > MAX_STRING_LENGTH {
        return Err(format!(
            "will message of {len} bytes is too large: MQTT allows at most {MAX_STRING_LENGTH} \
             bytes in a last will"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_refused_in_publish_topics_only() {
        assert!(publish_topic("a/+/b").is_err());
        assert!(publish_topic("a/#").is_err());
        assert!(publish_topic("raspberry/mqtt").is_ok());
        assert!(topic_filter("a/+/b").is_ok());
        assert!(topic_filter("a/#").is_ok());
        assert!(topic_filter("a/#/b").is_err());
        assert!(topic_filter("a/b+").is_err());
    }

    #[test]
    fn lengths_are_utf8_byte_lengths() {
        let topic = "é".repeat(MAX_STRING_LENGTH / 2 + 1);
        assert!(topic.chars().count() <= MAX_STRING_LENGTH);
        assert!(string(&topic, "topic").is_err());
    }

    #[test]
    fn payload_limit_counts_the_whole_packet() {
        let max = MAX_REMAINING_LENGTH - 2 - 1;
        assert!(publish_size("t", max, QoS::AtMostOnce).is_ok());
        assert!(publish_size("t", max, QoS::AtLeastOnce).is_err());
        assert!(qos(3).is_err());
    }

    #[test]
    fn will_messages_fit_a_two_byte_length() {
        assert!(will_message(MAX_STRING_LENGTH).is_ok());
        assert!(will_message(MAX_STRING_LENGTH + 1).is_err());
    }
}
