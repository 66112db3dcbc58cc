# The umqtt package. umqtt.simple is native (src/modules/umqtt_simple.rs); this file only makes
# `import umqtt.simple` find its parent package, as micropython-lib's layout does.
