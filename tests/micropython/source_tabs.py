# Indentation that mixes tabs and spaces, as editors and board IDEs leave it, read as
# MicroPython's lexer reads it: a tab moves to the next multiple of 8 columns, so one tab,
# 8 spaces and "  <tab>" are the same indentation, and nothing raises TabError.
READINGS = {"kitchen": 21.5, "hall": 19.0}


def report(name, value):
	if value > 20:
	        state = "warm"
	else:
                state = "cool"
	return "{}: {} {}".format(name, value, state)


for name in sorted(READINGS):
        print(report(name, READINGS[name]))
	if name == "hall":
		print("a	tab inside a string stays", len("	"))
	    # a comment at any indentation
  	print("after the comment")

text = """
	inside a triple-quoted string
  	lines keep their tabs
"""
print(repr(text))

values = [
		1,
    	2,
]
while True:
  	print("sum", sum(values))
	break


class Sensor:
	def __init__(self, name):
        	self.name = name

        def read(self):
		try:
			return 1 // 0
	        except ZeroDivisionError:
		    return self.name + " failed"


print(Sensor("s1").read())
