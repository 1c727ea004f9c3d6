"""Lesson 4: an event loop of generators (the David Beazley style).

In lessons 1 and 2 the event loop called *callbacks*.  Here the server and
each client connection are *generators*.  A generator runs until it is about
to do something that could block, and instead of blocking it ``yield``s a
tuple saying what it waits for:

    yield ('read', sock)    # "wake me when sock can be read without blocking"
    yield ('write', sock)   # "wake me when sock can be written"

The event loop parks the generator in ``to_read`` / ``to_write`` (keyed by the
socket), asks ``select`` which sockets are ready, and moves the generators
waiting on ready sockets back to the ``tasks`` queue, where ``next()`` resumes
each one exactly after its ``yield``.  The code of ``server()`` and
``client()`` looks sequential, like the blocking server, yet one thread
serves many clients: this is how asyncio's coroutines work inside.

A scripted client (a thread) connects as A and B and talks to the server while
both connections are open; the server accepts two clients and stops.
"""

import socket
import threading
from select import select

tasks = []             # generators ready to run
to_read = {}           # socket -> generator waiting until it is readable
to_write = {}          # socket -> generator waiting until it is writable
names = {}             # socket -> client name, for readable output


def server(server_socket, clients):
    for name in clients:                    # a real server: while True
        yield ('read', server_socket)       # wait for a connection...
        client_socket, addr = server_socket.accept()   # ...it won't block now
        names[client_socket] = name
        print('[server] connection from {}:{} ({})'.format(addr[0], addr[1], name))
        tasks.append(client(client_socket))  # a new task for this connection
    print('[server] accepted {} clients, stops listening'.format(len(clients)))
    server_socket.close()


def client(client_socket):
    name = names[client_socket]
    while True:
        yield ('read', client_socket)       # wait for data...
        request = client_socket.recv(4096)  # ...it won't block now
        if not request:
            break
        message = request.decode().strip()
        print('[server] {} says {!r}'.format(name, message))
        response = 'Hello world (you said: {})\n'.format(message).encode()
        yield ('write', client_socket)      # wait until we can write...
        client_socket.send(response)        # ...it won't block now
    print('[server] {} disconnected'.format(name))
    client_socket.close()


def event_loop():
    while any([tasks, to_read, to_write]):
        while not tasks:
            # Nothing to run: block until some socket is ready.
            ready_to_read, ready_to_write, _ = select(to_read, to_write, [])
            for sock in ready_to_read:
                tasks.append(to_read.pop(sock))
            for sock in ready_to_write:
                tasks.append(to_write.pop(sock))
        task = tasks.pop(0)
        try:
            reason, sock = next(task)       # run the task up to its next yield
            if reason == 'read':
                to_read[sock] = task
            elif reason == 'write':
                to_write[sock] = task
        except StopIteration:
            pass                            # the task (generator) finished


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
        sock.shutdown(socket.SHUT_WR)       # "I am done"...
        recv_line(sock)                     # ...wait until the server closes
        sock.close()


if __name__ == '__main__':
    server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server_socket.bind(('127.0.0.1', 0))    # port 0: the OS picks a free port
    server_socket.listen()
    port = server_socket.getsockname()[1]

    thread = threading.Thread(target=scripted_clients, args=(port,), daemon=True)
    thread.start()
    tasks.append(server(server_socket, ['A', 'B']))
    event_loop()                            # ends when no task is left
    thread.join()
    print('[server] all tasks finished: one thread served both clients')
