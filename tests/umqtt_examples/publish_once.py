# Publish one reading and leave: the shortest useful umqtt.simple program.
# See it arrive with:  mosquitto_sub -t greenhouse/temperature
from umqtt.simple import MQTTClient

BROKER = "localhost"


def send_reading(value):
    client = MQTTClient("greenhouse-thermometer", BROKER)
    client.connect()
    client.publish(b"greenhouse/temperature", value)
    client.disconnect()


if __name__ == "__main__":
    send_reading(b"21.5")
