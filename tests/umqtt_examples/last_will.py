# Let everyone know whether the controller is up: it publishes a retained "online" when it
# connects, and leaves the broker a retained last will, "offline", which the broker publishes
# if the controller vanishes without saying goodbye (a power cut, a crash, Ctrl-C).
#
# Both happen in connect(), so each reconnect of umqtt.robust sets the will and says
# "online" again.
import umqtt.robust

STATUS = b"greenhouse/status"


class StatusClient(umqtt.robust.MQTTClient):
    def connect(self, clean_session=True):
        self.set_last_will(STATUS, b"offline", retain=True)
        session_present = super().connect(clean_session)
        self.publish(STATUS, b"online", retain=True)
        return session_present


client = StatusClient("greenhouse-controller", "localhost", keepalive=5)
client.connect()
# Nothing is subscribed: this waits until the program is stopped.
client.wait_msg()
