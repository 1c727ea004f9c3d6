"""Lesson 00 (original): the problem with blocking functions.

A *blocking* function stops the whole program until it has a result:
``server_socket.accept()`` waits for a connection, ``client_socket.recv()``
waits for data.  A server written only with blocking calls can therefore
serve only ONE client at a time: while it sits in ``recv()`` waiting for
client A, client B can connect (the operating system queues the connection)
but nobody reads its request.

The scripted client below (a thread) shows exactly that:

1. client A connects and talks to the server - fine;
2. client B connects and sends a request - no reply, the server is stuck in
   ``recv()`` on A's socket;
3. A talks again and then leaves - only now does the server get to B.

The server here serves two clients and stops; a real one loops forever.
"""

import socket
import threading


def serve_client(client_socket, name):
    """The inner loop: talk to one client until it disconnects."""
    while True:
        # recv() BLOCKS: nothing else in the program runs while we wait here.
        request = client_socket.recv(4096)
        if not request:
            break                               # b'' means the client left
        message = request.decode().strip()
        print('[server] {} says {!r}'.format(name, message))
        client_socket.send('Hello world (you said: {})\n'.format(message).encode())
    print('[server] {} disconnected'.format(name))
    client_socket.close()


def server(server_socket, names):
    for name in names:                          # a real server: while True
        print('[server] waiting in accept()')
        # accept() BLOCKS until a client connects.
        client_socket, addr = server_socket.accept()
        print('[server] connection from {}:{} ({})'.format(addr[0], addr[1], name))
        serve_client(client_socket, name)


def recv_line(sock):
    data = b''
    while not data.endswith(b'\n'):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.decode().strip()


def scripted_clients(port):
    """Two clients, A and B, driven step by step from one thread."""
    a = socket.create_connection(('127.0.0.1', port))
    a.sendall(b'hello from A\n')
    print('[client A] got:', recv_line(a))

    b = socket.create_connection(('127.0.0.1', port))   # queued by the OS...
    b.sendall(b'hello from B\n')
    b.settimeout(0.2)
    try:
        print('[client B] got:', recv_line(b))
    except socket.timeout:
        print('[client B] no reply after 0.2 s: the server is blocked on A')
    b.settimeout(None)

    a.sendall(b'A again\n')
    print('[client A] got:', recv_line(a))
    a.close()                                   # A leaves...
    print('[client B] got:', recv_line(b))      # ...and only now B is served
    b.shutdown(socket.SHUT_WR)                  # B leaves too
    recv_line(b)                                # wait until the server closes
    b.close()


def main():
    server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server_socket.bind(('127.0.0.1', 0))         # port 0: the OS picks a port
    server_socket.listen()
    port = server_socket.getsockname()[1]

    client = threading.Thread(target=scripted_clients, args=(port,), daemon=True)
    client.start()
    server(server_socket, ['A', 'B'])
    client.join()
    server_socket.close()
    print('[server] done: the clients were served strictly one after another')


if __name__ == '__main__':
    main()
