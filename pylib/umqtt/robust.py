# umqtt.robust: an MQTTClient that reconnects by itself when the connection breaks.
#
# The API and class attributes are micropython-lib's umqtt.robust (DELAY, DEBUG, delay(i),
# log(in_reconnect, e), reconnect(), publish, wait_msg, check_msg(attempts=2)), so scripts
# and their subclasses run unchanged. It sits on pymqtt's native umqtt.simple.MQTTClient.
#
# Where it does better than micropython-lib's, on purpose:
#
# - Backoff: delay(i) waits DELAY, 2*DELAY, 4*DELAY, ... seconds, at most MAX_DELAY, rather
#   than DELAY every time. A broker that is down for an hour is retried every minute, not
#   every 2 seconds, and a short outage is still bridged quickly.
# - Subscriptions survive a lost session: subscribe() remembers each topic and its qos
#   (unsubscribe() forgets it). When reconnect() finds that the broker kept no session for
#   this client (connect() returned 0: a restarted broker without persistence, or a first
#   connect() made with clean_session=True), it subscribes to them again. micropython-lib's
#   client silently stops receiving in that case.
# - subscribe() and unsubscribe() retry after reconnecting, as publish() does.
# - check_msg() uses the native non-blocking check; there is no raw socket (self.sock) here.

import time

from . import simple


class MQTTClient(simple.MQTTClient):
    # Seconds to wait after the first failed reconnect attempt (micropython-lib's value).
    DELAY = 2
    # Longest wait between two reconnect attempts, in seconds: the backoff stops doubling here.
    MAX_DELAY = 60
    # True prints each error that caused a retry ("mqtt: ..." / "mqtt reconnect: ...").
    DEBUG = False

    def delay(self, i):
        # i counts the failed attempts so far (1, 2, ...). The exponent is bounded so that a
        # very long outage does not build huge integers.
        backoff = self.DELAY * 2 ** min(max(i - 1, 0), 30)
        time.sleep(min(backoff, self.MAX_DELAY))

    def log(self, in_reconnect, e):
        if self.DEBUG:
            if in_reconnect:
                print("mqtt reconnect: %r" % e)
            else:
                print("mqtt: %r" % e)

    def reconnect(self):
        i = 0
        while 1:
            try:
                # self.connect() may be a subclass's (one that sets a last will, say).
                session_present = self.connect(False)
                if not session_present:
                    self._resubscribe()
                return session_present
            except OSError as e:
                self.log(True, e)
                i += 1
                self.delay(i)

    def _subscriptions(self):
        # topic (bytes) -> qos, in the order they were subscribed. Made on first use rather
        # than in __init__, so that a subclass that skips this class's __init__ still works.
        try:
            return self._robust_subscriptions
        except AttributeError:
            self._robust_subscriptions = {}
            return self._robust_subscriptions

    def _resubscribe(self):
        # The native subscribe, not self.subscribe: a subclass's override may take other
        # arguments or count subscriptions, and this is not a new subscription.
        for topic, qos in self._subscriptions().items():
            simple.MQTTClient.subscribe(self, topic, qos)

    def publish(self, topic, msg, retain=False, qos=0):
        while 1:
            try:
                return super().publish(topic, msg, retain, qos)
            except OSError as e:
                self.log(False, e)
            self.reconnect()

    def subscribe(self, topic, qos=0):
        while 1:
            try:
                super().subscribe(topic, qos)
                self._subscriptions()[_topic_key(topic)] = qos
                return
            except OSError as e:
                self.log(False, e)
            self.reconnect()

    def unsubscribe(self, topic):
        self._subscriptions().pop(_topic_key(topic), None)
        while 1:
            try:
                return super().unsubscribe(topic)
            except OSError as e:
                self.log(False, e)
            self.reconnect()

    def wait_msg(self):
        while 1:
            try:
                return super().wait_msg()
            except OSError as e:
                self.log(False, e)
            self.reconnect()

    def check_msg(self, attempts=2):
        while attempts:
            try:
                return super().check_msg()
            except OSError as e:
                self.log(False, e)
            self.reconnect()
            attempts -= 1


def _topic_key(topic):
    # b"a/b" and "a/b" are the same topic.
    if isinstance(topic, str):
        return topic.encode()
    return bytes(topic)
