# Subscribe to a topic and print every message that comes, for ever.
# Send it one with:  mosquitto_pub -t greenhouse/vent -m open
from umqtt.simple import MQTTClient


def show(topic, msg):
    print(topic.decode(), "->", msg.decode())


client = MQTTClient("greenhouse-vent", "localhost")
client.set_callback(show)
client.connect()
client.subscribe(b"greenhouse/vent")
while True:
    # Blocks until something arrives. A program with other work to do would call
    # check_msg() now and then instead, which returns at once when nothing is there.
    client.wait_msg()
