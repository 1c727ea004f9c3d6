"""Lesson 00 (socket): how a web application works at the lowest level.

A web framework is, at its heart, a loop around a socket:

    accept a connection -> read the request -> parse the request line
    -> find the handler for the URL (the "route") -> write an HTTP response

This script builds exactly that with nothing but the ``socket`` module.
The server is *blocking*: every call (accept, recv, sendall) stops the whole
program until it is done.  That is fine here because one scripted client
sends its requests one after another.  The next lesson shows the problem.

To keep the lesson self-contained, the server listens on 127.0.0.1 on a port
chosen by the operating system (port 0), and a client thread plays the role
of the browser: it sends four requests, prints each reply, and the server
stops after serving them.
"""

import socket
import threading


# --- The "application": handlers and the routing table ---------------------

def index():
    return '<h1>Index page</h1>'


def blog():
    return '<h1>Blog page</h1>'


# The routing table: URL -> function that produces the page.
URLS = {
    '/': index,
    '/blog': blog,
}


# --- The "framework": parsing the request and building the response --------

def parse_request(request):
    """Return (method, url) from the first line of an HTTP request.

    The request line looks like ``GET /blog HTTP/1.1``.
    """
    request_line = request.split('\r\n', 1)[0]
    method, url, _version = request_line.split(' ')
    return method, url


def generate_headers(method, url):
    """Return (status line + headers, status code)."""
    if method != 'GET':
        return 'HTTP/1.1 405 Method Not Allowed\r\n', 405
    if url not in URLS:
        return 'HTTP/1.1 404 Not Found\r\n', 404
    return 'HTTP/1.1 200 OK\r\n', 200


def generate_content(code, url):
    if code == 404:
        return '<h1>404</h1><p>Not found</p>'
    if code == 405:
        return '<h1>405</h1><p>Method not allowed</p>'
    return URLS[url]()          # route: call the handler for this URL


def generate_response(request):
    method, url = parse_request(request)
    headers, code = generate_headers(method, url)
    body = generate_content(code, url)
    headers += 'Content-Type: text/html\r\n'
    headers += 'Content-Length: {}\r\n'.format(len(body.encode()))
    headers += 'Connection: close\r\n'
    return (headers + '\r\n' + body).encode()


def read_request(client_socket):
    """Read bytes until the empty line that ends the HTTP headers."""
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = client_socket.recv(1024)     # blocks until bytes arrive
        if not chunk:
            break
        data += chunk
    return data.decode('utf-8')


def run(server_socket, requests_to_serve):
    """The blocking server loop (a real server would loop forever)."""
    for _ in range(requests_to_serve):
        # accept() blocks until a client connects.
        client_socket, addr = server_socket.accept()
        request = read_request(client_socket)
        print('[server] connection from {}:{}'.format(*addr))
        print('[server] request line: {!r}'.format(request.split('\r\n')[0]))
        response = generate_response(request)
        client_socket.sendall(response)
        client_socket.close()   # HTTP/1.0 style: one request per connection


# --- A scripted client standing in for the browser --------------------------

def browser(port, requests):
    for method, url in requests:
        with socket.create_connection(('127.0.0.1', port)) as sock:
            sock.sendall('{} {} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
                         .format(method, url).encode())
            reply = b''
            while True:                 # the server closes when it is done
                chunk = sock.recv(1024)
                if not chunk:
                    break
                reply += chunk
        head, _, body = reply.decode().partition('\r\n\r\n')
        print('[client] {} {} -> {}'.format(method, url, head.split('\r\n')[0]))
        print('[client] body: {}'.format(body))


def main():
    server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server_socket.bind(('127.0.0.1', 0))     # port 0: let the OS pick one
    server_socket.listen()
    port = server_socket.getsockname()[1]
    print('[server] listening on 127.0.0.1:{}'.format(port))

    requests = [('GET', '/'), ('GET', '/blog'), ('GET', '/missing'), ('POST', '/')]
    client = threading.Thread(target=browser, args=(port, requests), daemon=True)
    client.start()
    run(server_socket, len(requests))
    client.join()
    server_socket.close()
    print('[server] served {} requests, stopped'.format(len(requests)))


if __name__ == '__main__':
    main()
