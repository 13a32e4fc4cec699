"""A TCP relay that forwards what it reads in small pieces with pauses, as a
real link delivers a body: seeded random piece sizes (1 to 1,448 bytes) and
5-30 ms between pieces, in both directions. This kernel has no netem.

    python -m tests.support.relay --listen PORT --to PORT [--seed N]

Prints `ready` once listening; runs until killed (bounded by --lifetime).
"""

import argparse
import random
import socket
import sys
import threading
import time

HOST = '127.0.0.1'
SEGMENT = 1448


def pump(source, sink, rng, min_pause, max_pause):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            while data:
                size = rng.randint(1, SEGMENT)
                sink.sendall(data[:size])
                data = data[size:]
                if data:
                    time.sleep(rng.uniform(min_pause, max_pause))
    except OSError:
        pass
    finally:
        for sock, how in ((sink, socket.SHUT_WR), (source, socket.SHUT_RD)):
            try:
                sock.shutdown(how)
            except OSError:
                pass


def serve(listen_port, target_port, seed, min_pause, max_pause, ready):
    listener = socket.create_server((HOST, listen_port))
    ready()
    counter = 0
    while True:
        client, _ = listener.accept()
        counter += 1
        upstream = socket.create_connection((HOST, target_port))
        for source, sink, salt in ((client, upstream, 1),
                                   (upstream, client, 2)):
            rng = random.Random(seed * 1000003 + counter * 7 + salt)
            threading.Thread(target=pump, daemon=True, args=(
                source, sink, rng, min_pause, max_pause)).start()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--listen', type=int, required=True)
    parser.add_argument('--to', type=int, required=True)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--min-pause', type=float, default=0.005)
    parser.add_argument('--max-pause', type=float, default=0.030)
    parser.add_argument('--lifetime', type=float, default=900)
    args = parser.parse_args(argv)
    threading.Timer(args.lifetime, lambda: sys.exit(0)).start()
    threading.Thread(target=serve, daemon=True, args=(
        args.listen, args.to, args.seed, args.min_pause, args.max_pause,
        lambda: print('ready', flush=True))).start()
    time.sleep(args.lifetime)


if __name__ == '__main__':
    main()
