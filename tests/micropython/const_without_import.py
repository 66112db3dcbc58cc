# MicroPython's parser knows `const` without an import; pymqtt has it as a built-in name.
X = const(5)
_Y = const(X * 2)
print(X, _Y)
