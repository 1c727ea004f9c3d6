"""Lesson 1: a hand-written event loop over ``select.select``.

The blocking server of the previous lesson got stuck in ``recv()`` on one
client while another one waited.  The fix: never call a blocking function
unless we KNOW it will not block.

``select.select(rlist, wlist, xlist)`` is the operating system's monitoring
tool: we hand it the sockets we are interested in, it blocks until at least
one of them is ready and returns the ready ones.  For a listening socket
"ready to read" means "a connection is waiting, accept() will not block";
for a client socket it means "data (or the end of the stream) has arrived,
recv() will not block".

The event loop is then just:

    while True:
        ready = select(to_monitor)
        for each ready socket: accept a connection or answer a message

This is the heart of every asynchronous framework, asyncio included.

A scripted client (a thread) connects as A, then as B, and the server answers
both while both connections are open - which the blocking server could not.
The server stops after both clients have left.
"""

import socket
import threading
from select import select

to_monitor = []        # every socket select() should watch for readability
clients_left = []      # names of clients that disconnected (to stop the demo)
names = {}             # socket -> client name, for readable output
CLIENT_NAMES = iter('AB')

server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server_socket.bind(('127.0.0.1', 0))       # port 0: the OS picks a free port
server_socket.listen()


def accept_connection(server_socket):
    # select() said the server socket is readable: accept() returns at once.
    client_socket, addr = server_socket.accept()
    names[client_socket] = next(CLIENT_NAMES)
    print('[server] connection from {}:{} ({})'.format(
        addr[0], addr[1], names[client_socket]))
    to_monitor.append(client_socket)       # from now on, watch it too


def send_message(client_socket):
    # select() said the client socket is readable: recv() returns at once.
    name = names[client_socket]
    request = client_socket.recv(4096)
    if request:
        message = request.decode().strip()
        print('[server] {} says {!r}'.format(name, message))
        response = 'Hello world (you said: {})\n'.format(message).encode()
        client_socket.send(response)
    else:
        print('[server] {} disconnected'.format(name))
        to_monitor.remove(client_socket)   # stop watching it
        client_socket.close()
        clients_left.append(name)


def event_loop():
    while len(clients_left) < 2:           # a real server: while True
        # Blocks until at least one monitored socket is ready to read.
        ready_to_read, _, _ = select(to_monitor, [], [])
        for sock in ready_to_read:
            if sock is server_socket:
                accept_connection(sock)
            else:
                send_message(sock)


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
        sock.shutdown(socket.SHUT_WR)      # "I am done"...
        recv_line(sock)                    # ...wait until the server closes
        sock.close()


if __name__ == '__main__':
    to_monitor.append(server_socket)
    port = server_socket.getsockname()[1]
    client = threading.Thread(target=scripted_clients, args=(port,), daemon=True)
    client.start()
    event_loop()
    client.join()
    server_socket.close()
    print('[server] both clients were served at the same time by one thread')
