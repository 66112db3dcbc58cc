# `--broker` for MQTT clients written in Python over sockets (mqtt_as, micropython-lib's
# umqtt, mqtt_async). pymqtt's MQTTClient connects where `--broker`, or the private broker of
# `pymqtt test`, says, whatever server the script names; a client of the script's own opens
# a socket instead, and would reach for the board's broker, which is not there.
#
# So, while such a redirect is set (to a plain MQTT address), sockets to the MQTT port go to
# it: getaddrinfo(host, 1883) answers with the redirect's address for any host (a board's
# broker name need not resolve here), and connect()/connect_ex() to port 1883 of any address
# connect to the redirect. Other ports are left alone: HTTP, NTP, and TLS on 8883, which a
# plain broker could not answer. _micropython_imports.py installs this when `socket` is
# first imported.

MQTT_PORT = 1883


def _mqtt_port(port):
    if isinstance(port, (bytes, bytearray)):
        port = port.decode()
    return port == MQTT_PORT or port == str(MQTT_PORT)


def install(socket, to):
    """Sends `socket`'s connections to the MQTT port to `to`, a (host, port) pair."""
    standard_getaddrinfo = socket.getaddrinfo
    standard_connect = socket.socket.connect
    standard_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host, port, *args, **kwargs):
        if _mqtt_port(port):
            host, port = to
        return standard_getaddrinfo(host, port, *args, **kwargs)

    def redirected(address):
        if isinstance(address, tuple) and len(address) >= 2 and _mqtt_port(address[1]):
            return to
        return address

    def connect(self, address):
        return standard_connect(self, redirected(address))

    def connect_ex(self, address):
        return standard_connect_ex(self, redirected(address))

    getaddrinfo.__doc__ = standard_getaddrinfo.__doc__
    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
