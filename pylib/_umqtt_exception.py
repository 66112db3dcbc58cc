# umqtt.simple's MQTTException (src/modules/umqtt_simple.rs raises it), in Python so that it
# says in words what the broker's code means, while args[0] stays the number scripts
# compare (`except MQTTException as e: if e.args[0] == 5: ...`), as with micropython-lib's.

# CONNACK's refusal codes (MQTT 3.1.1), and SUBACK's failure code.
_MEANINGS = {
    1: "unacceptable protocol version: the broker does not take MQTT 3.1.1",
    2: "client identifier rejected: try another client_id",
    3: "server unavailable: the broker takes no clients now",
    4: "bad user name or password",
    5: "not authorized: check user and password",
    0x80: "subscription refused: the broker does not allow this topic filter",
}


class MQTTException(Exception):
    __module__ = "umqtt.simple"

    def __str__(self):
        if len(self.args) == 1 and type(self.args[0]) is int and self.args[0] in _MEANINGS:
            return "%d (%s)" % (self.args[0], _MEANINGS[self.args[0]])
        return super().__str__()
