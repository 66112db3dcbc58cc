# A subscriber that keeps going when its connection drops, with umqtt.robust.
#
# It asks the broker to keep its session between connections (clean_session=False), and so
# subscribes only when the broker answers that it holds no session for this client yet;
# after that the broker remembers the subscription. umqtt.robust reconnects by itself when
# the connection breaks (DEBUG prints why). A broker that restarts without persistence has
# forgotten the session: pymqtt's umqtt.robust then subscribes again by itself.
from umqtt.robust import MQTTClient


def show(topic, msg):
    print(topic.decode(), "->", msg.decode())


client = MQTTClient("greenhouse-logger", "localhost")
client.DEBUG = True
client.set_callback(show)
if not client.connect(clean_session=False):
    print("no session on the broker yet: subscribing")
    client.subscribe(b"greenhouse/temperature")
while True:
    client.wait_msg()
