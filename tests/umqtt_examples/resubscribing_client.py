# A umqtt.robust subclass that keeps its own list of topics and subscribes to them again
# whenever it connects to a broker that holds no session for it, rather than trusting the
# broker to remember. It overrides connect() and subscribe(topic), the latter with a
# signature of its own, as applications do.
import time

import umqtt.robust

LIGHTS = b"greenhouse/lights"


class ResubscribingClient(umqtt.robust.MQTTClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.topics = []

    def connect(self, clean_session=True):
        session_present = super().connect(clean_session)
        if not session_present:
            for topic in self.topics:
                print("subscribing again to", topic)
                super().subscribe(topic)
        return session_present

    def subscribe(self, topic):
        print("subscribing to", topic)
        super().subscribe(topic)
        if topic not in self.topics:
            self.topics.append(topic)


client = ResubscribingClient("greenhouse-lights", "localhost", keepalive=2)
client.DEBUG = True
client.set_callback(lambda topic, msg: print(topic, msg))
client.connect()
client.subscribe(LIGHTS)

# It hears its own messages: each wait_msg() below takes one back.
client.publish(LIGHTS, b"message 1")
client.wait_msg()

# Quiet for longer than the keepalive. A client that sends nothing meanwhile is dropped by
# the broker; the calls after this then find the connection gone and reconnect.
time.sleep(4)

client.publish(LIGHTS, b"message 2")
client.check_msg()
client.publish(LIGHTS, b"message 3")
client.wait_msg()
print("done")
