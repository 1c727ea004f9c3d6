"""Lesson 2: the same event loop with the ``selectors`` module.

``select.select`` works, but it is the oldest and slowest of the operating
system's monitoring calls (epoll on Linux, kqueue on BSD/macOS are better).
The ``selectors`` module hides them behind one interface and picks the best
one for the platform: ``selectors.DefaultSelector()``.

Two new ideas compared to lesson 1:

* ``selector.register(fileobj, events, data)`` starts watching a socket and
  ``selector.unregister(fileobj)`` stops;
* ``data`` can be anything - here we store the CALLBACK to run when the socket
  is ready.  ``selector.select()`` returns ``(key, events)`` pairs, and
  ``key.data`` / ``key.fileobj`` give us back the callback and the socket.
  The event loop no longer needs to know what each socket is for.

A scripted client (a thread) connects as A and B and talks to the server
while both connections are open; the server stops when both have left.
"""

import selectors
import socket
import threading

selector = selectors.DefaultSelector()
clients_left = []      # names of clients that disconnected (to stop the demo)
names = {}             # socket -> client name, for readable output
CLIENT_NAMES = iter('AB')


def server():
    server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server_socket.bind(('127.0.0.1', 0))    # port 0: the OS picks a free port
    server_socket.listen()
    # Watch the server socket; when it is readable call accept_connection().
    selector.register(fileobj=server_socket, events=selectors.EVENT_READ,
                      data=accept_connection)
    return server_socket


def accept_connection(server_socket):
    client_socket, addr = server_socket.accept()
    names[client_socket] = next(CLIENT_NAMES)
    print('[server] connection from {}:{} ({})'.format(
        addr[0], addr[1], names[client_socket]))
    # Watch the new client socket; when it is readable call send_message().
    selector.register(fileobj=client_socket, events=selectors.EVENT_READ,
                      data=send_message)


def send_message(client_socket):
    name = names[client_socket]
    request = client_socket.recv(4096)
    if request:
        message = request.decode().strip()
        print('[server] {} says {!r}'.format(name, message))
        response = 'Hello world (you said: {})\n'.format(message).encode()
        client_socket.send(response)
    else:
        print('[server] {} disconnected'.format(name))
        selector.unregister(client_socket)   # stop watching before closing
        client_socket.close()
        clients_left.append(name)


def event_loop():
    while len(clients_left) < 2:             # a real server: while True
        events = selector.select()           # [(key, events), ...]
        for key, _ in events:
            callback = key.data              # what we stored in register()
            callback(key.fileobj)            # the socket itself


# --- A scripted client ------------------------------------------------------

def recv_line(sock):
    data = b''
    while not data.endswith(b'\n'):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode().strip()


def scripted_clients(port):
    a = socket.create_connection(('127.0.0.1', port))
    a.sendall(b'hello from A\n')
    print('[client A] got:', recv_line(a))

    b = socket.create_connection(('127.0.0.1', port))
    b.sendall(b'hello from B\n')
    print('[client B] got:', recv_line(b), '(while A is still connected)')

    a.sendall(b'A again\n')
    print('[client A] got:', recv_line(a))
    b.sendall(b'B again\n')
    print('[client B] got:', recv_line(b))

    for sock in (a, b):
        sock.shutdown(socket.SHUT_WR)        # "I am done"...
        recv_line(sock)                      # ...wait until the server closes
        sock.close()


if __name__ == '__main__':
    server_socket = server()
    port = server_socket.getsockname()[1]
    client = threading.Thread(target=scripted_clients, args=(port,), daemon=True)
    client.start()
    event_loop()
    client.join()
    selector.unregister(server_socket)
    server_socket.close()
    selector.close()
    print('[server] both clients were served at the same time by one thread')
