# A user's own ujson.py. MicroPython never imports it for `import ujson`: the "u" name
# always means the built-in json (u_modules.py checks that pymqtt does the same).
print("user_modules/ujson.py was imported")
USERS = True
