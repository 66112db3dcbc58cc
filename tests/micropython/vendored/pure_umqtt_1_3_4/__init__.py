# The package of micropython-lib's umqtt.simple 1.3.4 (simple.py), renamed so that it does not
# shadow pymqtt's native umqtt.
