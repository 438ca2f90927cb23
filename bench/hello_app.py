"""The baseline: a bare Flask app that answers "hello", served the same way as the real one."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
