"""The slow service of the report's first-contact story: a stdlib HTTP server
whose handler picks the top five of a list with five max()+remove() passes,
loaded by a client thread in the same process. Prints "ready" once serving,
then runs for SECONDS (argv[1]) and exits.

Nearly all of its CPU is in the builtins max() and list.remove() called from
select_top_naive: in the native view that time belongs to the interpreter's
own functions; in the runtime view it is select_top_naive's."""

import http.server
import json
import random
import sys
import threading
import time
import urllib.request

NUMBERS = [random.random() for _ in range(40_000)]


def select_top_naive(numbers, k):
    numbers = list(numbers)
    top = []
    for _ in range(k):
        biggest = max(numbers)
        numbers.remove(biggest)
        top.append(biggest)
    return top


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps(select_top_naive(NUMBERS, 5)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def load(port, until):
    while time.monotonic() < until:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/top") as response:
            response.read()


def main():
    seconds = float(sys.argv[1])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    load(server.server_address[1], time.monotonic() + seconds)
    server.shutdown()


if __name__ == "__main__":
    main()
